#include "config/suite_config.hpp"

#include <sys/stat.h>

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <map>
#include <set>

#include "base/names.hpp"
#include "config/detail/config_parser.hpp"
#include "config/detail/yaml_screen.hpp"

namespace cairn::config {

std::string_view to_string(keyring_mode mode) {
  switch (mode) {
    case keyring_mode::none: return "none";
    case keyring_mode::keyfile: return "keyfile";
    case keyring_mode::password: return "password";
    case keyring_mode::tpm: return "tpm";
    case keyring_mode::write_only: return "write-only";
  }
  return "?";
}

std::string_view to_string(target_type type) {
  switch (type) {
    case target_type::local: return "local";
    case target_type::sftp: return "sftp";
    case target_type::s3: return "s3";
    case target_type::ssh: return "ssh";
  }
  return "?";
}

std::string_view to_string(object_lock_mode mode) {
  return mode == object_lock_mode::governance ? "governance" : "compliance";
}

std::optional<object_lock_mode> parse_object_lock_mode(std::string_view word) {
  for (auto m : {object_lock_mode::compliance, object_lock_mode::governance})
    if (to_string(m) == word) return m;
  return std::nullopt;
}

std::optional<target_type> parse_target_type(std::string_view word) {
  for (auto t : {target_type::local, target_type::sftp, target_type::s3, target_type::ssh})
    if (to_string(t) == word) return t;
  return std::nullopt;
}

namespace {

namespace fs = std::filesystem;

std::string join(const std::set<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

}  // namespace

namespace detail {

void parser::check_keys(const YAML::Node& n, const std::set<std::string>& allowed,
                        const std::string& context) const {
  for (auto it = n.begin(); it != n.end(); ++it) {
    YAML::Node key = it->first;  // a copy: it-> yields a proxy that dies with the expression
    if (!key.IsScalar()) error_at(key, "keys must be plain names");
    if (!allowed.count(key.Scalar()))
      error_at(key, "unknown key \"" + key.Scalar() + "\" in " + context + " (expected one of: " +
                      join(allowed) + ")");
  }
}

void parser::check_name(const YAML::Node& n, const std::string& name, const std::string& what) const {
  if (!is_plain_name(name))
    error_at(n, what + " \"" + name + "\" must be 1-64 letters, digits, '.', '_' or '-'");
}

keyring_config parser::parse_keyring(const YAML::Node& n) const {
  keyring_config k;
  k.where = where(n);
  expect_map(n, "keyring");
  check_keys(n, {"mode", "keyfile", "password_file", "recovery_keyfile", "pcrs", "tcti", "public_key", "tpm"},
             "keyring");
  if (n["mode"]) {
    auto mode = scalar(n["mode"], "keyring mode");
    static const std::map<std::string, keyring_mode> modes{
      {"none", keyring_mode::none}, {"keyfile", keyring_mode::keyfile}, {"password", keyring_mode::password},
      {"tpm", keyring_mode::tpm}, {"write-only", keyring_mode::write_only}};
    auto it = modes.find(mode);
    if (it == modes.end()) {
      std::set<std::string> names;
      for (const auto& [name, _] : modes) names.insert(name);
      error_at(n["mode"], "keyring mode \"" + mode + "\" is not one of: " + join(names));
    }
    k.mode = it->second;
  }
  if (n["public_key"]) k.public_key = scalar(n["public_key"], "public_key");
  if (k.mode == keyring_mode::write_only) {
    if (k.public_key.empty())
      error_at(n, "keyring mode write-only needs public_key: the key cairn key generate printed");
    // Its form here, for a message with a line number; its checksum when it is used (crypto/).
    bool form = k.public_key.size() == 10 + 72 && k.public_key.rfind("cairn-pk1-", 0) == 0 &&
                k.public_key.find_first_not_of("0123456789abcdef", 10) == std::string::npos;
    if (!form)
      error_at(n["public_key"], "public_key must be cairn-pk1- and 72 lowercase hex digits, as cairn key generate printed it");
  }
  if (n["tpm"]) {
    k.tpm = flag(n["tpm"], "tpm");
    if (k.mode != keyring_mode::write_only)
      error_at(n["tpm"], "tpm: is only used with keyring mode write-only (mode tpm seals the key of the other modes)");
  }
  if (!k.public_key.empty() && k.mode != keyring_mode::write_only)
    error_at(n["public_key"], "public_key is only used with keyring mode write-only");
  if (n["keyfile"]) k.keyfile = path_of(n["keyfile"], "keyfile");
  if (n["password_file"]) k.password_file = path_of(n["password_file"], "password_file");
  if (n["recovery_keyfile"]) k.recovery_keyfile = path_of(n["recovery_keyfile"], "recovery_keyfile");
  if (n["tcti"]) k.tcti = scalar(n["tcti"], "tcti");
  if (n["pcrs"]) {
    if (!n["pcrs"].IsSequence()) error_at(n["pcrs"], "pcrs must be a list of PCR numbers");
    for (const auto& p : n["pcrs"]) {
      int v = -1;
      if (!p.IsScalar() || !YAML::convert<int>::decode(p, v) || v < 0 || v > 23)
        error_at(p, "a PCR number must be 0-23");
      k.pcrs.push_back(v);
    }
  }
  if (k.mode == keyring_mode::keyfile && k.keyfile.empty()) k.keyfile = base_ / "cairn.key";
  if (k.mode == keyring_mode::tpm && k.recovery_keyfile.empty())
    error_at(n, "keyring mode tpm needs recovery_keyfile: the key that opens the backups on other hardware");
  return k;
}

uint64_t parser::number(const YAML::Node& n, const std::string& what, uint64_t max) const {
  uint64_t v = 0;
  if (!n.IsScalar() || !YAML::convert<uint64_t>::decode(n, v) || v > max)
    error_at(n, what + " must be a whole number from 0 to " + std::to_string(max));
  return v;
}

target_limits parser::parse_limits(const YAML::Node& n, const std::string& target) const {
  expect_map(n, "limits");
  check_keys(n, {"upload_kbps", "download_kbps", "connections", "timeout_seconds", "retry_seconds"},
             "limits of target \"" + target + "\"");
  target_limits l;
  if (n["upload_kbps"]) l.upload_kbps = number(n["upload_kbps"], "upload_kbps", 1ull << 40);
  if (n["download_kbps"]) l.download_kbps = number(n["download_kbps"], "download_kbps", 1ull << 40);
  if (n["connections"]) l.connections = static_cast<int>(number(n["connections"], "connections", 64));
  if (n["timeout_seconds"]) l.timeout_seconds = static_cast<int>(number(n["timeout_seconds"], "timeout_seconds", 86400));
  if (n["retry_seconds"]) l.retry_seconds = static_cast<int>(number(n["retry_seconds"], "retry_seconds", 86400));
  return l;
}

suite_config parser::parse(const YAML::Node& root) {
  suite_config c;
  c.file = file_;
  if (!root || root.IsNull()) throw config_error{name_ + ": the file is empty"};
  expect_map(root, "the configuration");
  check_keys(root, {"state_dir", "keyring", "targets", "plans", "suite_state", "daemon", "limits", "api", "on_failure"},
             "the configuration");
  if (root["daemon"]) {
    const auto& n = root["daemon"];
    expect_map(n, "daemon");
    check_keys(n, {"retry", "nice", "io", "cpu", "prune_every", "pause_when", "pause_check", "sysfs_root", "procfs_root"},
               "daemon");
    if (n["pause_when"]) {
      const auto& w = n["pause_when"];
      expect_map(w, "daemon pause_when");
      check_keys(w, {"on_battery", "cpu_some_avg10", "io_some_avg10", "command"}, "daemon pause_when");
      if (w["on_battery"]) c.daemon.pause_on_battery = flag(w["on_battery"], "pause_when on_battery");
      if (w["cpu_some_avg10"]) c.daemon.pause_cpu_some_avg10 = static_cast<double>(number(w["cpu_some_avg10"], "pause_when cpu_some_avg10", 100));
      if (w["command"]) c.daemon.pause_command = scalar(w["command"], "pause_when command");
      if (w["io_some_avg10"]) c.daemon.pause_io_some_avg10 = static_cast<double>(number(w["io_some_avg10"], "pause_when io_some_avg10", 100));
    }
    if (n["pause_check"]) {
      auto d = parse_duration(scalar(n["pause_check"], "daemon pause_check"));
      if (!d) error_at(n["pause_check"], "daemon pause_check: " + d.error().message());
      c.daemon.pause_check = *d;
    }
    if (n["sysfs_root"]) c.daemon.sysfs_root = path_of(n["sysfs_root"], "daemon sysfs_root");
    if (n["procfs_root"]) c.daemon.procfs_root = path_of(n["procfs_root"], "daemon procfs_root");
    if (n["prune_every"]) {
      auto d = parse_duration(scalar(n["prune_every"], "daemon prune_every"));
      if (!d) error_at(n["prune_every"], "daemon prune_every: " + d.error().message());
      c.daemon.prune_every = *d;
    }
    if (n["retry"]) {
      auto d = parse_duration(scalar(n["retry"], "daemon retry"));
      if (!d) error_at(n["retry"], "daemon retry: " + d.error().message());
      c.daemon.retry = *d;
    }
    if (n["nice"]) c.daemon.nice = static_cast<int>(number(n["nice"], "daemon nice", 19));
    if (n["io"]) {
      auto io = scalar(n["io"], "daemon io");
      if (io != "idle" && io != "normal") error_at(n["io"], "daemon io must be idle or normal, not \"" + io + "\"");
      c.daemon.idle_io = io == "idle";
    }
    if (n["cpu"]) {
      auto cpu = scalar(n["cpu"], "daemon cpu");
      if (cpu != "idle" && cpu != "normal") error_at(n["cpu"], "daemon cpu must be idle or normal, not \"" + cpu + "\"");
      c.daemon.idle_cpu = cpu == "idle";
    }
  }
  if (root["suite_state"]) {
    const auto& n = root["suite_state"];
    expect_map(n, "suite_state");
    check_keys(n, {"keep"}, "suite_state");
    if (n["keep"]) c.suite_state_keep = static_cast<size_t>(number(n["keep"], "suite_state keep", 1000));
    if (c.suite_state_keep == 0) error_at(n["keep"], "suite_state keep must be at least 1");
  }
  if (root["state_dir"]) {
    c.state_dir = path_of(root["state_dir"], "state_dir");
  } else {
    const char* home = std::getenv("HOME");
    c.state_dir = geteuid() == 0 || !home ? fs::path("/var/lib/cairn")
                                          : fs::path(home) / ".local/state/cairn";
  }
  if (root["on_failure"]) c.on_failure = scalar(root["on_failure"], "on_failure");
  c.api.socket = c.state_dir / "cairn.sock";
  if (root["api"]) {
    const auto& n = root["api"];
    expect_map(n, "api");
    check_keys(n, {"socket", "group", "web"}, "api");
    if (n["socket"]) c.api.socket = path_of(n["socket"], "api socket");
    if (n["group"]) c.api.group = scalar(n["group"], "api group");
    if (n["web"]) {
      auto web = parse_listen_address(scalar(n["web"], "api web"));
      if (!web) error_at(n["web"], "api web: " + web.error().message());
      c.api.web = std::move(*web);
    }
  }
  if (root["keyring"]) c.keyring = parse_keyring(root["keyring"]);
  else c.keyring.keyfile = base_ / "cairn.key";
  if (!root["targets"]) error_at(root, "the configuration needs a targets: section");
  expect_map(root["targets"], "targets");
  for (auto it = root["targets"].begin(); it != root["targets"].end(); ++it)
    c.targets.push_back(parse_target(it->first.Scalar(), it->first, it->second));
  if (root["limits"]) {  // for all targets together
    const auto& n = root["limits"];
    expect_map(n, "limits");
    check_keys(n, {"upload_kbps", "download_kbps"}, "the suite's limits (for all targets together)");
    uint64_t up = n["upload_kbps"] ? number(n["upload_kbps"], "upload_kbps", 1ull << 40) : 0;
    uint64_t down = n["download_kbps"] ? number(n["download_kbps"], "download_kbps", 1ull << 40) : 0;
    for (auto& t : c.targets) t.suite_upload_kbps = up, t.suite_download_kbps = down;
  }
  auto resources = load_resources(base_ / "resources.d");
  if (!resources) throw config_error{resources.error().message()};
  resources_ = std::move(*resources);
  c.resources = resources_;
  if (root["plans"]) {
    expect_map(root["plans"], "plans");
    for (auto it = root["plans"].begin(); it != root["plans"].end(); ++it)
      c.plans.push_back(parse_plan(it->first.Scalar(), it->first, it->second, c.targets));
  }
  return c;
}

}  // namespace detail

namespace {

using detail::config_error;
using detail::parser;

// yaml-cpp accepts duplicate keys silently; a second "plans:" would hide the first.
void reject_duplicate_keys(const YAML::Node& n, const std::string& name) {
  if (n.IsMap()) {
    std::set<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
      if (it->first.IsScalar() && !seen.insert(it->first.Scalar()).second) {
        auto m = it->first.Mark();
        throw config_error{name + ":" + std::to_string(m.line + 1) + ":" +
                           std::to_string(m.column + 1) + ": duplicate key \"" +
                           it->first.Scalar() + "\""};
      }
      reject_duplicate_keys(it->second, name);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n) reject_duplicate_keys(item, name);
  }
}

}  // namespace

status parse_target_url(const std::string& url, target_config& t) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos || url.rfind("file://", 0) == 0) {
    t.type = target_type::local;
    t.path = url.rfind("file://", 0) == 0 ? url.substr(7) : url;
    if (t.path.empty()) return fail(errc::invalid_input, "an empty path");
    return {};
  }
  auto scheme = url.substr(0, scheme_end);
  auto rest = url.substr(scheme_end + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto path = slash == std::string::npos ? std::string() : rest.substr(slash);
  auto at = authority.rfind('@');
  std::string user = at == std::string::npos ? "" : authority.substr(0, at);
  auto hostport = authority.substr(at == std::string::npos ? 0 : at + 1);
  auto colon = hostport.rfind(':');
  std::string host = hostport.substr(0, colon);
  int port = 0;
  if (colon != std::string::npos) {
    // The whole field, 1-65535: stoi took "22x" as 22 and "-1" or "99999" as given.
    auto digits = std::string_view(hostport).substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size())
      return fail(errc::invalid_input, "\"" + url + "\": the port is not a number");
    if (port < 1 || port > 65535)
      return fail(errc::invalid_input, "\"" + url + "\": the port must be 1-65535");
  }
  if (host.empty()) return fail(errc::invalid_input, "\"" + url + "\" names no host");
  if (host[0] == '-' || user.rfind('-', 0) == 0)
    return fail(errc::invalid_input, "\"" + url + "\": a host or user may not start with '-'");
  if (scheme == "sftp" || scheme == "ssh") {
    t.type = scheme == "sftp" ? target_type::sftp : target_type::ssh;
    t.user = user;
    t.host = host;
    t.port = port;
    t.path = path;
    if (path.empty()) return fail(errc::invalid_input, "\"" + url + "\" names no directory");
    return {};
  }
  if (scheme == "s3" || scheme == "s3+http") {
    t.type = target_type::s3;
    t.endpoint = std::string(scheme == "s3" ? "https://" : "http://") + hostport;
    auto parts = path.substr(path.empty() ? 0 : 1);
    auto cut = parts.find('/');
    t.bucket = parts.substr(0, cut);
    t.prefix = cut == std::string::npos ? "" : parts.substr(cut + 1);
    if (t.bucket.empty()) return fail(errc::invalid_input, "\"" + url + "\" names no bucket");
    return {};
  }
  return fail(errc::invalid_input, "unknown URL scheme \"" + scheme + "\" (use a path, file://, sftp://, ssh://, s3:// or s3+http://)");
}

std::string location::str() const {
  if (line == 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const target_config* suite_config::find_target(std::string_view name) const {
  for (const auto& t : targets)
    if (t.name == name) return &t;
  return nullptr;
}

const resource_config* suite_config::find_resource(std::string_view name) const {
  for (const auto& r : resources)
    if (r.name == name) return &r;
  return nullptr;
}

const plan_config* suite_config::find_plan(std::string_view name) const {
  for (const auto& p : plans)
    if (p.name == name) return &p;
  return nullptr;
}

expected<suite_config> parse_config(std::string_view text, const fs::path& file) {
  std::string name = file.string();
  // Before YAML::Load builds a graph: it follows aliases, keeps only the first
  // document and recurses per level (README, Configuration).
  CAIRN_TRY(detail::screen_yaml(text, name));
  try {
    YAML::Node root = YAML::Load(std::string(text));
    reject_duplicate_keys(root, name);
    parser p(file);
    auto c = p.parse(root);
    c.text = std::string(text);
    return c;
  } catch (const config_error& e) {
    return fail(errc::invalid_input, e.message);
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) return fail(errc::invalid_input, name + ": " + e.msg);
    return fail(errc::invalid_input, name + ":" + std::to_string(e.mark.line + 1) + ":" +
                                       std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const std::exception& e) {  // bad_alloc, a conversion yaml-cpp did not expect
    return fail(errc::invalid_input, name + ": cannot read the configuration: " + e.what());
  }
}

expected<suite_config> load_config(const fs::path& file) {
  std::error_code ec;
  std::ifstream in(file);
  if (!in)
    return fail(errc::invalid_input, "cannot read configuration " + file.string() + ": " +
                                       (fs::exists(file, ec) ? "permission denied" : "no such file"));
  // One byte more than the limit, so parse_config refuses a larger file
  // without reading all of it (a device, a runaway file).
  std::string text(detail::max_yaml_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto c = parse_config(text, file);
  if (!c) return c;
  // The YAML can run commands (command sources, post_restore steps) as the
  // user running Cairn, often root: nobody else may be able to change it.
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
    if (!c->on_failure.empty())
      return fail(errc::invalid_input, file.string() + ": on_failure runs a command, and " + file.string() +
                                         " can be changed by other users: chmod go-w " + file.string());
    for (const auto& p : c->plans) {
      if (!p.before.empty() || !p.after.empty() || !p.on_failure.empty())
        return fail(errc::invalid_input, p.where.str() + ": plan \"" + p.name + "\" runs a command (before/after/on_failure), and " +
                                           file.string() + " can be changed by other users: chmod go-w " + file.string());
      for (const auto& src : p.sources)
        if (src.type == source_type::command || !src.post_restore.empty())
          return fail(errc::invalid_input,
                      src.where.str() + ": source " + src.name + " of plan \"" + p.name + "\" runs a command, and " +
                        file.string() + " can be changed by other users: chmod go-w " + file.string());
    }
  }
  return c;
}

}  // namespace cairn::config
