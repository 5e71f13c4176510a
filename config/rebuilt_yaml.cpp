#include "config/rebuilt_yaml.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "base/names.hpp"
#include "config/detail/target_emit.hpp"

namespace cairn::config {

namespace {

// One line of printable ASCII for a comment: a JSON string with every
// control and non-ASCII character escaped, so nothing can end the comment.
std::string comment_safe(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
}

// The header's words (local, but a comment all the same): printable ASCII.
std::string header_safe(std::string text) {
  for (auto& ch : text)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
  return text;
}

}  // namespace

std::string rebuilt_yaml(const rebuilt_config& c) {
  std::vector<std::string> withheld;
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "state_dir" << YAML::Value << YAML::DoubleQuoted << c.state_dir.string();
  out << YAML::Key << "keyring" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mode" << YAML::Value << YAML::DoubleQuoted << std::string(to_string(c.key_mode));
  if (c.key_mode == keyring_mode::keyfile)
    out << YAML::Key << "keyfile" << YAML::Value << YAML::DoubleQuoted << c.keyfile.string();
  out << YAML::EndMap;
  out << YAML::Key << "targets" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << YAML::DoubleQuoted << c.target.name << YAML::Value;
  emit_target(out, c.target);
  out << YAML::EndMap;
  bool any_plan = false;
  for (const auto& [plan, sources] : c.plans) {
    if (!is_plain_name(plan)) {
      withheld.push_back("a plan with the name " + comment_safe(plan) + ", which is not a plain name");
      continue;
    }
    std::vector<const recovered_source*> kept;
    for (const auto& s : sources) {
      if (!is_plain_name(s.name))
        withheld.push_back("plan " + plan + ": a source " + comment_safe(s.name) + ", which is not a plain name");
      else if (s.type == source_type::resource)
        withheld.push_back("plan " + plan + ": - {type: resource, name: " + s.name +
                           "}   install the application's resources.d/" + s.name + ".yaml first (docs/RESOURCES.md)");
      else if (s.type == source_type::command)
        withheld.push_back("plan " + plan + ": - {type: command, name: " + s.name + ", command: " + comment_safe(s.path) +
                           "}   the command came from the target: review it before enabling it");
      else
        kept.push_back(&s);
    }
    if (kept.empty()) {  // a plan needs a source: left for the user to write
      withheld.push_back("plan " + plan + ": none of its sources could be written, so the plan itself is left out");
      continue;
    }
    if (!any_plan) out << YAML::Key << "plans" << YAML::Value << YAML::BeginMap;
    any_plan = true;
    out << YAML::Key << YAML::DoubleQuoted << plan << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "sources" << YAML::Value << YAML::BeginSeq;
    for (const auto* s : kept) {
      out << YAML::BeginMap;
      out << YAML::Key << "type" << YAML::Value << std::string(to_string(s->type));
      out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << s->name;
      out << YAML::Key << "path" << YAML::Value << YAML::DoubleQuoted << s->path;
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "targets" << YAML::Value << YAML::Flow << YAML::BeginSeq << YAML::DoubleQuoted
        << c.target.name << YAML::EndSeq;
    out << YAML::EndMap;
  }
  if (any_plan) out << YAML::EndMap;
  out << YAML::EndMap;
  std::string text = "# Rebuilt by cairn bootstrap --rebuild on " + header_safe(c.date) + " from " + header_safe(c.from) +
                     ":\n# no suite state was found, so the plans come from the checkpoints. Check every path before\n"
                     "# running a backup.\n";
  text += out.c_str();
  text += "\n";
  if (!withheld.empty()) {
    text += "# Not written from the checkpoints (docs/RECOVERY.md): add them to a plan's sources yourself\n"
            "# once you have checked them.\n";
    for (const auto& w : withheld) text += "#   " + w + "\n";
  }
  return text;
}

}  // namespace cairn::config
