// Parser of one target definition (targets.NAME).
#include "config/detail/config_parser.hpp"

namespace cairn::config::detail {

// object_lock_days: N (1..36500, 100 years) and object_lock_mode: compliance | governance.
void parser::parse_object_lock(const YAML::Node& n, target_config& t) const {
  if (auto d = n["object_lock_days"]) {
    uint64_t v = 0;
    if (!d.IsScalar() || !YAML::convert<uint64_t>::decode(d, v) || v < 1 || v > 36500)
      error_at(d, "object_lock_days must be a whole number of days from 1 to 36500");
    t.object_lock_days = static_cast<int>(v);
  }
  if (auto m = n["object_lock_mode"]) {
    auto word = scalar(m, "object_lock_mode");
    auto mode = parse_object_lock_mode(word);
    if (!mode) error_at(m, "object_lock_mode \"" + word + "\" is not known (known: compliance, governance)");
    if (!n["object_lock_days"]) error_at(m, "object_lock_mode needs object_lock_days");
    t.lock_mode = *mode;
  }
}

target_config parser::parse_target(const std::string& name, const YAML::Node& key,
                                   const YAML::Node& n) const {
  target_config t;
  t.name = name;
  t.where = where(key);
  check_name(key, name, "target name");
  expect_map(n, "target \"" + name + "\"");
  check_keys(n, {"type", "url", "path", "limits", "host", "port", "user", "identity", "known_hosts",
                 "endpoint", "bucket", "prefix", "region", "access_key_file", "ca_file", "path_style", "ssh_command",
                 "object_lock_days", "object_lock_mode"},
             "target \"" + name + "\"");
  if (n["limits"]) t.limits = parse_limits(n["limits"], name);
  if (n["url"]) {
    if (auto st = parse_target_url(scalar(n["url"], "url"), t); !st) error_at(n["url"], st.error().message());
    if (t.type == target_type::local) t.path = (t.path.is_absolute() ? t.path : base_ / t.path).lexically_normal();
  }
  if (n["type"]) {
    auto word = scalar(n["type"], "target type");
    auto type = parse_target_type(word);
    if (!type) error_at(n["type"], "target type \"" + word + "\" is not supported (supported: local, sftp, s3, ssh)");
    if (n["url"] && *type != t.type) error_at(n["type"], "type " + word + " contradicts the url");
    t.type = *type;
  } else if (!n["url"]) {
    error_at(key, "target \"" + name + "\" needs a type (local, sftp, s3, ssh) or a url");
  }
  auto text = [&](const char* k, std::string& into) {
    if (n[k]) into = scalar(n[k], k);
  };
  for (const char* k : {"object_lock_days", "object_lock_mode"})
    if (n[k] && t.type != target_type::s3) error_at(n[k], std::string(k) + " is only for targets of type s3");
  if (t.type == target_type::local) {
    if (n["path"]) t.path = path_of(n["path"], "target path");
    if (t.path.empty()) error_at(key, "target \"" + name + "\" of type local needs a path");
  } else if (t.type == target_type::sftp || t.type == target_type::ssh) {
    auto type = std::string(to_string(t.type));
    text("host", t.host);
    text("user", t.user);
    if (n["path"]) t.path = scalar(n["path"], "path");
    if (n["port"]) t.port = static_cast<int>(number(n["port"], "port", 65535));
    if (n["identity"]) t.identity = path_of(n["identity"], "identity");
    if (n["known_hosts"]) t.known_hosts = path_of(n["known_hosts"], "known_hosts");
    if (t.host.empty()) error_at(key, "target \"" + name + "\" of type " + type + " needs a host");
    // ssh's command line takes the host and user as words: no option may hide in them.
    if (t.host[0] == '-' || t.user.rfind('-', 0) == 0)
      error_at(n["host"] ? n["host"] : key, "target \"" + name + "\": a host or user may not start with '-'");
    if (t.path.empty() || !t.path.is_absolute())
      error_at(n["path"] ? n["path"] : key, "target \"" + name + "\" of type " + type + " needs an absolute path on the server");
    if (t.type == target_type::sftp && t.identity.empty())
      error_at(key, "target \"" + name + "\" of type sftp needs an identity (a private key file)");
    if (t.type == target_type::ssh) text("ssh_command", t.ssh_command);
    if (n["ssh_command"] && t.type != target_type::ssh) error_at(n["ssh_command"], "ssh_command is for targets of type ssh");
  } else {
    text("endpoint", t.endpoint);
    text("bucket", t.bucket);
    text("prefix", t.prefix);
    text("region", t.region);
    if (n["access_key_file"]) t.access_key_file = path_of(n["access_key_file"], "access_key_file");
    if (n["ca_file"]) t.ca_file = path_of(n["ca_file"], "ca_file");
    if (n["path_style"]) t.path_style = flag(n["path_style"], "path_style");
    parse_object_lock(n, t);
    if (t.endpoint.rfind("http://", 0) != 0 && t.endpoint.rfind("https://", 0) != 0)
      error_at(n["endpoint"] ? n["endpoint"] : key, "target \"" + name + "\" of type s3 needs an endpoint http(s)://host[:port]");
    if (t.bucket.empty()) error_at(key, "target \"" + name + "\" of type s3 needs a bucket");
    if (!t.path_style && t.bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)
      error_at(n["path_style"], "bucket \"" + t.bucket + "\" cannot be a host name (lowercase letters, digits and '-' only): use path_style: true");
  }
  return t;
}

}  // namespace cairn::config::detail
