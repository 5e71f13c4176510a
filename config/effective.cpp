#include "config/effective.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>

namespace cairn::config {

int effective_connections(const target_config& t) {
  if (t.limits.connections > 0) return t.limits.connections;
  if (t.type == target_type::sftp || t.type == target_type::ssh) return 2;
  if (t.type == target_type::s3) return 4;
  return 1;
}

std::chrono::seconds effective_timeout(const target_config& t) {
  return std::chrono::seconds(t.limits.timeout_seconds > 0 ? t.limits.timeout_seconds : 60);
}

std::chrono::seconds effective_retry(const target_config& t) {
  return std::chrono::seconds(t.limits.retry_seconds > 0 ? t.limits.retry_seconds : 300);
}

int effective_port(const target_config& t) { return t.port ? t.port : 22; }

std::string effective_region(const target_config& t) {
  if (!t.region.empty()) return t.region;
  const char* env = std::getenv("AWS_DEFAULT_REGION");
  return env && *env ? env : "us-east-1";
}

std::filesystem::path effective_known_hosts(const target_config& t) {
  if (!t.known_hosts.empty()) return t.known_hosts;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home ? home : "/root") / ".ssh/known_hosts";
}

std::string duration_text(std::chrono::seconds d) {
  auto s = d.count();
  if (s <= 0) return "0s";
  std::string out;
  for (auto [unit, size] : {std::pair{'d', 86400L}, {'h', 3600L}, {'m', 60L}, {'s', 1L}}) {
    if (s >= size) out += std::to_string(s / size) + unit;
    s %= size;
  }
  return out;
}

namespace {

// "https://key:secret@host" → "https://<redacted>@host": a URL may carry a login.
std::string redact_userinfo(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : scheme + 3;
  auto at = url.find('@', start);
  if (at == std::string::npos || url.find('/', start) < at) return url;
  return url.substr(0, start) + "<redacted>" + url.substr(at);
}

void emit_limits(YAML::Emitter& out, const target_config& t) {
  out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "upload_kbps" << YAML::Value << t.limits.upload_kbps;
  out << YAML::Key << "download_kbps" << YAML::Value << t.limits.download_kbps;
  out << YAML::Key << "connections" << YAML::Value << effective_connections(t);
  if (t.type != target_type::local) {
    out << YAML::Key << "timeout_seconds" << YAML::Value << effective_timeout(t).count();
    out << YAML::Key << "retry_seconds" << YAML::Value << effective_retry(t).count();
  }
  out << YAML::EndMap;
}

void emit_target(YAML::Emitter& out, const target_config& t) {
  out << YAML::Key << t.name << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << std::string(to_string(t.type));
  if (t.type == target_type::local) {
    out << YAML::Key << "path" << YAML::Value << t.path.string();
  } else if (t.type == target_type::sftp) {
    out << YAML::Key << "host" << YAML::Value << t.host;
    out << YAML::Key << "port" << YAML::Value << effective_port(t);
    auto colon = t.user.find(':');
    out << YAML::Key << "user" << YAML::Value
        << (colon == std::string::npos ? t.user : t.user.substr(0, colon) + ":<redacted>");
    out << YAML::Key << "path" << YAML::Value << t.path.string();
    if (!t.identity.empty()) out << YAML::Key << "identity" << YAML::Value << t.identity.string();
    out << YAML::Key << "known_hosts" << YAML::Value << effective_known_hosts(t).string();
  } else if (t.type == target_type::ssh) {
    out << YAML::Key << "host" << YAML::Value << t.host;
    if (t.port) out << YAML::Key << "port" << YAML::Value << t.port;
    if (!t.user.empty()) out << YAML::Key << "user" << YAML::Value << t.user;
    out << YAML::Key << "path" << YAML::Value << t.path.string();
    if (!t.identity.empty()) out << YAML::Key << "identity" << YAML::Value << t.identity.string();
    if (!t.known_hosts.empty()) out << YAML::Key << "known_hosts" << YAML::Value << t.known_hosts.string();
    out << YAML::Key << "ssh_command" << YAML::Value << (t.ssh_command.empty() ? "ssh" : t.ssh_command);
  } else if (t.type == target_type::s3) {
    out << YAML::Key << "endpoint" << YAML::Value << redact_userinfo(t.endpoint);
    out << YAML::Key << "bucket" << YAML::Value << t.bucket;
    out << YAML::Key << "prefix" << YAML::Value << t.prefix;
    out << YAML::Key << "region" << YAML::Value << effective_region(t);
    out << YAML::Key << "path_style" << YAML::Value << t.path_style;
    if (t.object_lock_days) {
      out << YAML::Key << "object_lock_days" << YAML::Value << t.object_lock_days;
      out << YAML::Key << "object_lock_mode" << YAML::Value << std::string(to_string(t.lock_mode));
    }
    if (!t.ca_file.empty()) out << YAML::Key << "ca_file" << YAML::Value << t.ca_file.string();
    if (!t.access_key_file.empty())
      out << YAML::Key << "access_key_file" << YAML::Value << t.access_key_file.string();
    else
      out << YAML::Comment("credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment");
  }
  emit_limits(out, t);
  out << YAML::EndMap;
}

void emit_list(YAML::Emitter& out, const char* key, const std::vector<std::string>& items) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << items;
}

void emit_source(YAML::Emitter& out, const source_config& s) {
  out << YAML::BeginMap;
  out << YAML::Key << "type" << YAML::Value << std::string(to_string(s.type));
  out << YAML::Key << "name" << YAML::Value << s.name;
  if (s.type == source_type::command) {
    out << YAML::Key << "command" << YAML::Value << s.command;
    if (s.timeout) out << YAML::Key << "timeout" << YAML::Value << s.timeout;
    out << YAML::Key << "output" << YAML::Value << s.output;
    if (!s.restore_command.empty()) out << YAML::Key << "restore_command" << YAML::Value << s.restore_command;
  } else {
    out << YAML::Key << "path" << YAML::Value << s.path.string();
  }
  if (s.type == source_type::dir) {
    std::vector<std::string> own(s.exclude.begin(), s.exclude.end() - static_cast<long>(s.exclude_from_count));
    emit_list(out, "exclude", own);
    if (!s.exclude_from.empty()) out << YAML::Key << "exclude_from" << YAML::Value << s.exclude_from.string();
    out << YAML::Key << "exclude_caches" << YAML::Value << s.exclude_caches;
    emit_list(out, "exclude_if_present", s.exclude_if_present);
    out << YAML::Key << "one_file_system" << YAML::Value << s.one_file_system;
  }
  if (!s.post_restore.empty()) out << YAML::Key << "post_restore" << YAML::Value << s.post_restore;
  out << YAML::EndMap;
}

void emit_keep(YAML::Emitter& out, const keep_policy& k) {
  out << YAML::Key << "keep" << YAML::Value << YAML::Flow << YAML::BeginMap;
  for (auto [name, n] : {std::pair{"last", k.last}, {"hourly", k.hourly}, {"daily", k.daily}, {"weekly", k.weekly},
                         {"monthly", k.monthly}, {"yearly", k.yearly}})
    if (n) out << YAML::Key << name << YAML::Value << n;
  if (k.within.count()) out << YAML::Key << "within" << YAML::Value << duration_text(k.within);
  out << YAML::EndMap;
}

void emit_plan(YAML::Emitter& out, const plan_config& p) {
  out << YAML::Key << p.name << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "sources" << YAML::Value << YAML::BeginSeq;
  for (const auto& s : p.sources) emit_source(out, s);
  out << YAML::EndSeq;
  emit_list(out, "targets", p.targets);
  out << YAML::Key << "readers" << YAML::Value << p.readers;
  if (!p.when.empty()) out << YAML::Key << "schedule" << YAML::Value << p.when.text;
  else out << YAML::Comment("no schedule: runs only by cairn backup or cairn run");
  if (!p.keep.empty()) emit_keep(out, p.keep);
  else out << YAML::Comment("no keep policy: every checkpoint is kept");
  for (auto [key, cmd] : {std::pair{"before", &p.before}, {"after", &p.after}, {"on_failure", &p.on_failure}})
    if (!cmd->empty()) out << YAML::Key << key << YAML::Value << *cmd;
  out << YAML::EndMap;
}

void emit_keyring(YAML::Emitter& out, const keyring_config& k) {
  out << YAML::Key << "keyring" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "mode" << YAML::Value << std::string(to_string(k.mode));
  if (!k.keyfile.empty()) out << YAML::Key << "keyfile" << YAML::Value << k.keyfile.string();
  if (!k.password_file.empty()) out << YAML::Key << "password_file" << YAML::Value << k.password_file.string();
  if (!k.recovery_keyfile.empty())
    out << YAML::Key << "recovery_keyfile" << YAML::Value << k.recovery_keyfile.string();
  if (k.mode == keyring_mode::write_only) {
    out << YAML::Key << "public_key" << YAML::Value << k.public_key;
    if (k.tpm) {
      out << YAML::Key << "tpm" << YAML::Value << true;
      out << YAML::Key << "pcrs" << YAML::Value << YAML::Flow << k.pcrs;
      if (!k.tcti.empty()) out << YAML::Key << "tcti" << YAML::Value << k.tcti;
    }
    out << YAML::Comment("the writer key: state_dir/writer.key; reading needs --private-key FILE");
  }
  if (k.mode == keyring_mode::tpm) {
    out << YAML::Key << "pcrs" << YAML::Value << YAML::Flow << k.pcrs;
    if (!k.tcti.empty()) out << YAML::Key << "tcti" << YAML::Value << k.tcti;
    else out << YAML::Comment("tcti: $TPM2TOOLS_TCTI, else $TSS2_TCTI, else device:/dev/tpmrm0");
  }
  out << YAML::EndMap;
}

void emit_daemon(YAML::Emitter& out, const daemon_config& d) {
  out << YAML::Key << "daemon" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "retry" << YAML::Value << duration_text(d.retry);
  out << YAML::Key << "nice" << YAML::Value << d.nice;
  out << YAML::Key << "io" << YAML::Value << (d.idle_io ? "idle" : "normal");
  out << YAML::Key << "cpu" << YAML::Value << (d.idle_cpu ? "idle" : "normal");
  out << YAML::Key << "prune_every" << YAML::Value << duration_text(d.prune_every);
  out << YAML::Key << "pause_when" << YAML::Value << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "on_battery" << YAML::Value << d.pause_on_battery;
  out << YAML::Key << "cpu_some_avg10" << YAML::Value << static_cast<int>(d.pause_cpu_some_avg10);
  if (!d.pause_command.empty()) out << YAML::Key << "command" << YAML::Value << d.pause_command;
  out << YAML::Key << "io_some_avg10" << YAML::Value << static_cast<int>(d.pause_io_some_avg10);
  out << YAML::EndMap;
  out << YAML::Key << "pause_check" << YAML::Value << duration_text(d.pause_check);
  out << YAML::EndMap;
}

}  // namespace

std::string effective_yaml(const suite_config& c) {
  YAML::Emitter out;
  out << YAML::Comment("the effective configuration of " + c.file.string() + ": every default filled in");
  out << YAML::BeginMap;
  out << YAML::Key << "state_dir" << YAML::Value << c.state_dir.string();
  emit_keyring(out, c.keyring);
  if (!c.targets.empty()) {
    out << YAML::Key << "limits" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "upload_kbps" << YAML::Value << c.targets.front().suite_upload_kbps;
    out << YAML::Key << "download_kbps" << YAML::Value << c.targets.front().suite_download_kbps;
    out << YAML::EndMap;
  }
  out << YAML::Key << "targets" << YAML::Value << YAML::BeginMap;
  for (const auto& t : c.targets) emit_target(out, t);
  out << YAML::EndMap;
  out << YAML::Key << "plans" << YAML::Value << YAML::BeginMap;
  for (const auto& p : c.plans) emit_plan(out, p);
  out << YAML::EndMap;
  if (!c.on_failure.empty()) out << YAML::Key << "on_failure" << YAML::Value << c.on_failure;
  emit_daemon(out, c.daemon);
  out << YAML::Key << "suite_state" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "keep" << YAML::Value << c.suite_state_keep << YAML::EndMap;
  out << YAML::Key << "api" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "socket" << YAML::Value << c.api.socket.string();
  if (!c.api.group.empty()) out << YAML::Key << "group" << YAML::Value << c.api.group;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace cairn::config
