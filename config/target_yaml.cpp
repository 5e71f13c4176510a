#include "config/target_yaml.hpp"

#include <yaml-cpp/yaml.h>

#include "config/detail/target_emit.hpp"

namespace cairn::config {

void emit_target(YAML::Emitter& out, const target_config& t) {
  out << YAML::BeginMap;
  auto text = [&](const char* key, const std::string& value) {
    out << YAML::Key << key << YAML::Value << YAML::DoubleQuoted << value;
  };
  out << YAML::Key << "type" << YAML::Value << std::string(to_string(t.type));
  switch (t.type) {
    case target_type::local:
      text("path", t.path.string());
      break;
    case target_type::sftp:
      text("host", t.host);
      out << YAML::Key << "port" << YAML::Value << (t.port ? t.port : 22);
      text("user", t.user);
      text("path", t.path.string());
      text("identity", t.identity.string());
      if (!t.known_hosts.empty()) text("known_hosts", t.known_hosts.string());
      break;
    case target_type::ssh:
      text("host", t.host);
      if (t.port) out << YAML::Key << "port" << YAML::Value << t.port;
      if (!t.user.empty()) text("user", t.user);
      text("path", t.path.string());
      if (!t.identity.empty()) text("identity", t.identity.string());
      if (!t.known_hosts.empty()) text("known_hosts", t.known_hosts.string());
      if (!t.ssh_command.empty()) text("ssh_command", t.ssh_command);
      break;
    case target_type::s3:
      text("endpoint", t.endpoint);
      text("bucket", t.bucket);
      text("prefix", t.prefix);
      if (t.object_lock_days) {
        out << YAML::Key << "object_lock_days" << YAML::Value << t.object_lock_days;
        out << YAML::Key << "object_lock_mode" << YAML::Value << std::string(to_string(t.lock_mode));
      }
      break;
  }
  out << YAML::EndMap;
}

std::string target_yaml(const target_config& t, std::string_view indent) {
  YAML::Emitter out;
  emit_target(out, t);
  std::string body = out.c_str();
  std::string indented;
  for (char c : body) {
    indented += c;
    if (c == '\n') indented += indent;
  }
  return indented;
}

}  // namespace cairn::config
