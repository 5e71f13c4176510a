#include "config/resource.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "config/detail/yaml_screen.hpp"

namespace cairn::config {

namespace {

namespace fs = std::filesystem;

constexpr size_t max_descriptor_bytes = 64u << 10;
constexpr size_t max_sensitive = 256;
constexpr size_t max_command_bytes = 4096;
constexpr size_t max_resources = 256;
constexpr uint64_t max_timeout = 7 * 24 * 3600;

struct descriptor_error {
  std::string message;
};

std::string at(const std::string& file, const YAML::Node& n) {
  auto m = n.Mark();
  if (m.is_null()) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

[[noreturn]] void error_at(const std::string& file, const YAML::Node& n, const std::string& what) {
  throw descriptor_error{at(file, n) + ": " + what};
}

bool good_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' && name[0] != '-';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '-' || c == '.');
  return ok;
}

// "a/./b/" -> "a/b"; empty for paths that leave the folder or are absolute.
std::string normal_relative(const std::string& text) {
  if (text.empty() || text[0] == '/' || text.find('\0') != std::string::npos) return {};
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('/', start);
    if (end == std::string::npos) end = text.size();
    auto part = text.substr(start, end - start);
    if (part == "..") return {};
    if (!part.empty() && part != ".") parts.push_back(part);
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

resource_config parse_root(const YAML::Node& root, const std::string& file) {
  if (!root || root.IsNull()) throw descriptor_error{file + ": the descriptor is empty"};
  if (!root.IsMap()) error_at(file, root, "a resource descriptor must be a mapping (key: value)");
  static const std::set<std::string> keys{"name", "version", "backup", "recover", "post_recovery", "sensitive", "user",
                                        "timeout", "registered_by"};
  std::set<std::string> seen;
  for (auto it = root.begin(); it != root.end(); ++it) {
    YAML::Node key = it->first;
    if (!key.IsScalar()) error_at(file, key, "keys must be plain names");
    if (!keys.count(key.Scalar()))
      error_at(file, key, "unknown key \"" + key.Scalar() +
                            "\" in a resource descriptor (expected one of: backup, name, post_recovery, recover, "
                            "registered_by, sensitive, timeout, user, version)");
    if (!seen.insert(key.Scalar()).second) error_at(file, key, "duplicate key \"" + key.Scalar() + "\"");
  }
  auto text = [&](const char* k, size_t max, bool required) -> std::string {
    auto n = root[k];
    if (!n) {
      if (required) error_at(file, root, std::string("a resource descriptor needs ") + k + ":");
      return {};
    }
    if (!n.IsScalar()) error_at(file, n, std::string(k) + " must be a single value");
    const auto& v = n.Scalar();
    if (v.empty()) error_at(file, n, std::string(k) + " is empty");
    if (v.size() > max) error_at(file, n, std::string(k) + " is longer than " + std::to_string(max) + " bytes");
    if (v.find('\0') != std::string::npos) error_at(file, n, std::string(k) + " holds a NUL byte");
    return v;
  };
  resource_config r;
  r.name = text("name", 64, true);
  if (!good_name(r.name))
    error_at(file, root["name"], "resource name \"" + r.name + "\" must be 1-64 letters, digits, '.', '_' or '-'");
  r.version = text("version", 64, true);
  for (char c : r.version)
    if (static_cast<unsigned char>(c) < 0x20) error_at(file, root["version"], "version holds a control character");
  r.backup = text("backup", max_command_bytes, true);
  r.recover = text("recover", max_command_bytes, true);
  r.post_recovery = text("post_recovery", max_command_bytes, false);
  r.user = text("user", 32, false);
  if (!r.user.empty() && !good_name(r.user)) error_at(file, root["user"], "user \"" + r.user + "\" is not a user name");
  if (auto n = root["timeout"]) {
    uint64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<uint64_t>::decode(n, v) || v < 1 || v > max_timeout)
      error_at(file, n, "timeout must be a whole number of seconds from 1 to " + std::to_string(max_timeout));
    r.timeout = static_cast<uint32_t>(v);
  }
  if (auto n = root["registered_by"]) {
    uint64_t v = 0;
    if (!n.IsScalar() || !YAML::convert<uint64_t>::decode(n, v) || v >= 0xffffffffu)
      error_at(file, n, "registered_by must be the uid that registered the resource");
    r.registered_by = static_cast<uint32_t>(v);
  }
  if (auto n = root["sensitive"]) {
    if (!n.IsSequence()) error_at(file, n, "sensitive must be a list of paths under the staging folder");
    if (n.size() > max_sensitive) error_at(file, n, "sensitive lists more than " + std::to_string(max_sensitive) + " paths");
    for (const auto& item : n) {
      if (!item.IsScalar()) error_at(file, item, "sensitive entries must be single paths");
      auto p = normal_relative(item.Scalar());
      if (p.empty() || p.size() > 1024)
        error_at(file, item, "sensitive entry \"" + item.Scalar() +
                               "\" must be a path inside the staging folder (relative, no '..')");
      r.sensitive.push_back(p);
    }
  }
  return r;
}

}  // namespace

bool resource_config::is_sensitive(std::string_view rel) const {
  for (const auto& s : sensitive)
    if (rel == s || (rel.size() > s.size() && rel.substr(0, s.size()) == s && rel[s.size()] == '/')) return true;
  return false;
}

std::string emit_resource(const resource_config& r) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  auto text = [&](const char* key, const std::string& value) {
    if (!value.empty() || key == std::string_view("name") || key == std::string_view("version") ||
        key == std::string_view("backup") || key == std::string_view("recover"))
      e << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
  };
  text("name", r.name);
  text("version", r.version);
  text("backup", r.backup);
  text("recover", r.recover);
  text("post_recovery", r.post_recovery);
  if (!r.sensitive.empty()) {
    e << YAML::Key << "sensitive" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : r.sensitive) e << YAML::DoubleQuoted << s;
    e << YAML::EndSeq;
  }
  text("user", r.user);
  if (r.timeout) e << YAML::Key << "timeout" << YAML::Value << r.timeout;
  if (r.registered_by) e << YAML::Key << "registered_by" << YAML::Value << *r.registered_by;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

expected<resource_config> parse_resource(std::string_view text, const fs::path& file) {
  std::string name = file.string();
  if (text.size() > max_descriptor_bytes)
    return fail(errc::invalid_input, name + ": a resource descriptor is at most 64 KiB");
  CAIRN_TRY(detail::screen_yaml(text, name));
  try {
    auto r = parse_root(YAML::Load(std::string(text)), name);
    std::error_code ec;
    auto a = fs::absolute(file, ec);
    r.file = ec ? file : a;
    return r;
  } catch (const descriptor_error& e) {
    return fail(errc::invalid_input, e.message);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return fail(errc::invalid_input, name + ": " + e.msg);
    return fail(errc::invalid_input, name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                       std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {
    return fail(errc::invalid_input, name + ": cannot read the resource descriptor: " + e.what());
  }
}

expected<run_as> resource_user(const resource_config& r, uid_t file_uid, mode_t file_mode) {
  auto name = r.file.string();
  if (file_mode & (S_IWGRP | S_IWOTH))
    return fail(errc::invalid_input, name + ": resource " + r.name +
                                       " runs commands, and the file can be changed by other users: chmod go-w " + name);
  run_as who;
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (r.user.empty()) getpwuid_r(geteuid(), &pw, buf.data(), buf.size(), &found);
  else getpwnam_r(r.user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (!found) {
    if (!r.user.empty())
      return fail(errc::not_found, name + ": resource " + r.name + ": user: no user \"" + r.user + "\" on this machine");
    who.uid = geteuid();
    who.gid = getegid();
    who.user = std::to_string(who.uid);
  } else {
    who.uid = found->pw_uid;
    who.gid = found->pw_gid;
    who.user = found->pw_name;
    who.home = found->pw_dir;
  }
  if (who.uid == 0 && file_uid != 0)
    return fail(errc::invalid_input, name + ": resource " + r.name +
                                       " would run its commands as root, but the file is not owned by root: give it a "
                                       "user: or chown root " + name);
  return who;
}

expected<std::vector<resource_config>> load_resources(const fs::path& dir) {
  std::vector<resource_config> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  std::vector<fs::path> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".yaml") files.push_back(it->path());
  if (ec) return fail(errc::io, dir.string() + ": cannot list the resource descriptors: " + ec.message());
  if (files.size() > max_resources)
    return fail(errc::invalid_input, dir.string() + ": more than " + std::to_string(max_resources) + " resource descriptors");
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    struct stat st {};
    if (::lstat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return fail(errc::invalid_input, f.string() + ": a resource descriptor must be a regular file (not a link)");
    std::ifstream in(f);
    if (!in) return fail(errc::invalid_input, f.string() + ": cannot read the resource descriptor");
    std::string text(max_descriptor_bytes + 1, '\0');
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
    auto r = parse_resource(text, f);
    if (!r) return fail(r.error());
    if (f.stem().string() != r->name)
      return fail(errc::invalid_input, f.string() + ": declares resource \"" + r->name + "\"; the file must be " +
                                         r->name + ".yaml");
    // A user that does not exist (yet) fails that resource's commands when
    // they would run, not every command of the suite: it cannot be root.
    if (auto who = resource_user(*r, st.st_uid, st.st_mode); !who && who.error().code() != errc::not_found)
      return fail(who.error());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace cairn::config
