#include "actors/backends.hpp"

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "config/effective.hpp"
#include "targets/local_target.hpp"
#include "targets/retrying_target.hpp"
#include "targets/s3_target.hpp"
#include "targets/sftp_target.hpp"
#include "targets/ssh_target.hpp"
#include "targets/throttled_target.hpp"

namespace cairn::actors {

namespace {

targets::retry_options retries(const config::target_config& t) {
  targets::retry_options r;
  r.budget = config::effective_retry(t);
  r.max_attempts = 12;
  // A command that waits on a failing server says so instead of going quiet.
  r.notice = [](const std::string& line) { std::fprintf(stderr, "cairn: %s\n", line.c_str()); };
  return r;
}

std::chrono::seconds io_timeout(const config::target_config& t) {
  return config::effective_timeout(t);
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// "cairn.yaml:4:3: " for a target from a file; nothing for one from a URL.
std::string where_of(const config::target_config& t) {
  auto w = t.where.str();
  return t.where.file.empty() ? "" : w + ": ";
}

// Two lines: access key id, secret. Like a keyfile, refused when others can read it.
status read_access_keys(const config::target_config& t, std::string& id, std::string& secret) {
  if (t.access_key_file.empty()) {
    id = env("AWS_ACCESS_KEY_ID");
    secret = env("AWS_SECRET_ACCESS_KEY");
    if (id.empty() || secret.empty()) {  // a configuration error (exit 2), not a refused login
      std::string missing = id.empty() && secret.empty() ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are"
                            : id.empty()                 ? "AWS_ACCESS_KEY_ID is"
                                                         : "AWS_SECRET_ACCESS_KEY is";
      if (t.where.file.empty())  // a target given as a URL (bootstrap)
        return fail(errc::invalid_input, "no S3 credentials for " + t.endpoint + "/" + t.bucket + ": " + missing +
                                           " not set");
      return fail(errc::invalid_input, where_of(t) + "no S3 credentials for target " + t.name + " (" +
                                         t.endpoint + "): it has no access_key_file and " + missing + " not set");
    }
    return {};
  }
  struct stat st {};
  if (::stat(t.access_key_file.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
    return fail(errc::invalid_input, "access_key_file " + t.access_key_file.string() +
                                       " is readable by others; run: chmod 600 " + t.access_key_file.string());
  std::ifstream in(t.access_key_file);
  if (!in)
    return fail(errc::invalid_input, where_of(t) + "cannot read access_key_file " + t.access_key_file.string() +
                                       " of target " + t.name + ": " + std::strerror(errno));
  std::getline(in, id);
  std::getline(in, secret);
  if (id.empty() || secret.empty())
    return fail(errc::invalid_input, "access_key_file " + t.access_key_file.string() +
                                       " must hold two lines: the access key id and the secret");
  return {};
}

byte_buffer file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return byte_buffer((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace

status check_target_config(const config::target_config& t) {
  if (t.type != config::target_type::s3) return {};
  std::string id, secret;
  auto st = read_access_keys(t, id, secret);
  explicit_bzero(secret.data(), secret.size());
  return st;
}

size_t default_connections(const config::target_config& t) {
  return static_cast<size_t>(config::effective_connections(t));
}

// The suite-wide limit: one meter per process for given limits, shared by
// every target made while it is in use (all plans, all runs of a daemon).
static std::shared_ptr<targets::bandwidth_meter> suite_meter(uint64_t up_kbps, uint64_t down_kbps) {
  static std::mutex mutex;
  static std::map<std::pair<uint64_t, uint64_t>, std::weak_ptr<targets::bandwidth_meter>> meters;
  std::lock_guard lock(mutex);
  auto& slot = meters[{up_kbps, down_kbps}];
  auto meter = slot.lock();
  if (!meter) {
    meter = std::make_shared<targets::bandwidth_meter>(targets::bandwidth_limits{up_kbps * 1024, down_kbps * 1024});
    slot = meter;
  }
  return meter;
}

expected<targets::target_ptr> make_backend(const config::target_config& t) {
  targets::target_ptr backend;
  if (t.type == config::target_type::local) {
    backend = std::make_shared<targets::local_target>(t.path);
  } else if (t.type == config::target_type::sftp) {
    targets::sftp_options o;
    o.host = t.host;
    o.port = config::effective_port(t);
    o.user = t.user;
    o.path = t.path.string();
    o.identity = t.identity;
    o.known_hosts = t.known_hosts;
    o.connections = static_cast<int>(default_connections(t)) + 1;  // uploads and reads at once
    o.timeout = io_timeout(t);
    backend = std::make_shared<targets::retrying_target>(std::make_shared<targets::sftp_target>(o), retries(t));
  } else if (t.type == config::target_type::ssh) {
    targets::ssh_login login;
    login.host = t.host;
    login.port = t.port;
    login.user = t.user;
    login.path = t.path.string();
    login.identity = t.identity;
    login.known_hosts = t.known_hosts;
    if (!t.ssh_command.empty()) login.ssh_command = t.ssh_command;
    login.connect_timeout = io_timeout(t);
    targets::ssh_options o;
    o.command = targets::ssh_command_line(login);
    o.description = targets::describe_login(login);
    o.connections = static_cast<int>(default_connections(t)) + 1;  // uploads and reads at once
    o.timeout = io_timeout(t);
    backend = std::make_shared<targets::retrying_target>(std::make_shared<targets::ssh_target>(o), retries(t));
  } else {
    targets::s3_options o;
    o.endpoint = t.endpoint;
    o.bucket = t.bucket;
    o.prefix = t.prefix;
    o.region = config::effective_region(t);
    CAIRN_TRY(read_access_keys(t, o.access_key, o.secret_key));
    o.ca_file = t.ca_file.string();
    o.path_style = t.path_style;
    o.object_lock.days = t.object_lock_days;
    o.object_lock.mode = t.lock_mode == config::object_lock_mode::governance ? "GOVERNANCE" : "COMPLIANCE";
    o.connections = static_cast<int>(default_connections(t)) + 2;
    o.timeout = io_timeout(t);
    backend = std::make_shared<targets::retrying_target>(std::make_shared<targets::s3_target>(o), retries(t));
  }
  std::vector<std::shared_ptr<targets::bandwidth_meter>> meters;
  if (t.limits.upload_kbps || t.limits.download_kbps)
    meters.push_back(std::make_shared<targets::bandwidth_meter>(
      targets::bandwidth_limits{t.limits.upload_kbps * 1024, t.limits.download_kbps * 1024}));
  if (t.suite_upload_kbps || t.suite_download_kbps)
    meters.push_back(suite_meter(t.suite_upload_kbps, t.suite_download_kbps));
  if (!meters.empty()) backend = std::make_shared<targets::throttled_target>(backend, std::move(meters));
  return backend;
}

std::map<std::string, byte_buffer> target_credentials(const config::suite_config& suite) {
  std::map<std::string, byte_buffer> out;
  for (const auto& t : suite.targets) {
    if ((t.type == config::target_type::sftp || t.type == config::target_type::ssh) && !t.identity.empty()) {
      auto key = file_bytes(t.identity);
      if (!key.empty()) out[t.name] = std::move(key);
    }
    if (t.type == config::target_type::s3) {
      std::string id, secret;
      if (read_access_keys(t, id, secret)) {
        auto text = id + "\n" + secret + "\n";
        out[t.name] = byte_buffer(text.begin(), text.end());
        explicit_bzero(text.data(), text.size());
      }
    }
  }
  return out;
}

}  // namespace cairn::actors
