#include "config/yaml_edit.hpp"

#include "config/suite_config.hpp"

#include <yaml-cpp/yaml.h>

#include <vector>

namespace cairn::config {

namespace {

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string quoted(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

expected<std::string> set_target_key(const std::string& yaml, const std::string& target, const std::string& key,
                                     const std::string& value) {
  try {
    YAML::Node root = YAML::Load(yaml);
    YAML::Node t = root["targets"] ? root["targets"][target] : YAML::Node();
    if (!t || !t.IsMap())
      return fail(errc::invalid_input, "no target \"" + target + "\" written as a mapping");
    if (t.Style() == YAML::EmitterStyle::Flow)
      return fail(errc::invalid_input, "target \"" + target + "\" is written in flow style ({...})");
    auto lines = split_lines(yaml);
    std::string line = std::string(static_cast<size_t>(t.Mark().column), ' ') + key + ": " + quoted(value);
    if (YAML::Node old = t[key]) {
      auto mark = old.Mark();
      if (!old.IsScalar() || mark.line < 0 || static_cast<size_t>(mark.line) >= lines.size())
        return fail(errc::invalid_input, "target \"" + target + "\": " + key + " is not a single-line value");
      auto& l = lines[static_cast<size_t>(mark.line)];
      l = l.substr(0, static_cast<size_t>(mark.column)) + quoted(value);
    } else {
      if (t.Mark().line < 0 || static_cast<size_t>(t.Mark().line) > lines.size())
        return fail(errc::invalid_input, "target \"" + target + "\" has no position");
      lines.insert(lines.begin() + t.Mark().line, line);
    }
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  } catch (const YAML::Exception& e) {
    return fail(errc::invalid_input, std::string("cannot edit the YAML: ") + e.what());
  }
}

recovered_yaml adopt_recovered(const std::string& yaml, const std::filesystem::path& file,
                               const std::filesystem::path& credentials) {
  recovered_yaml out{yaml, {}};
  auto suite = parse_config(yaml, file);
  if (!suite) {
    out.notes.push_back("the recovered configuration does not load here: " + suite.error().message());
    return out;
  }
  for (const auto& t : suite->targets) {
    auto secret = credentials / t.name;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(secret, ec)) continue;
    std::string key = t.type == target_type::s3 ? "access_key_file"
                      : t.type == target_type::sftp || t.type == target_type::ssh ? "identity"
                                                                                  : "";
    if (key.empty()) continue;
    auto edited = set_target_key(out.yaml, t.name, key, secret.string());
    if (edited)
      out.yaml = std::move(*edited);
    else
      out.notes.push_back("set targets." + t.name + "." + key + " to " + secret.string() + " in " + file.string() +
                          " (" + edited.error().message() + ")");
  }
  std::vector<std::string> commands;
  for (const auto& p : suite->plans) {
    if (!p.before.empty()) commands.push_back("plan " + p.name + " before: " + p.before);
    if (!p.after.empty()) commands.push_back("plan " + p.name + " after: " + p.after);
    for (const auto& s : p.sources) {
      if (!s.command.empty()) commands.push_back("plan " + p.name + " source " + s.name + ": " + s.command);
      if (!s.restore_command.empty())
        commands.push_back("plan " + p.name + " source " + s.name + " restore_command: " + s.restore_command);
      if (!s.post_restore.empty())
        commands.push_back("plan " + p.name + " source " + s.name + " post_restore: " + s.post_restore);
    }
  }
  if (!commands.empty()) {
    std::string list;
    for (const auto& c : commands) list += (list.empty() ? "" : "; ") + c;
    out.notes.push_back("the recovered configuration runs commands; check them in " + file.string() +
                        " before using it: " + list);
  }
  return out;
}

}  // namespace cairn::config
