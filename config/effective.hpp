// The values Cairn uses where the YAML leaves a key out (one place for each
// default), and the effective configuration as YAML for `cairn config check`.
// Pure functions of plain values; thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "config/suite_config.hpp"

namespace cairn::config {

// Packs uploaded in parallel: limits.connections, else 1 local, 2 sftp and ssh, 4 s3.
int effective_connections(const target_config& t);
// Remote targets: a connect or a stalled transfer fails after this (default 60 s).
std::chrono::seconds effective_timeout(const target_config& t);
// Remote targets: transient errors are retried for this long (default 300 s).
std::chrono::seconds effective_retry(const target_config& t);
// sftp: the port (default 22).
int effective_port(const target_config& t);
// s3: region, else $AWS_DEFAULT_REGION, else us-east-1.
std::string effective_region(const target_config& t);
// sftp: known_hosts, else ~/.ssh/known_hosts.
std::filesystem::path effective_known_hosts(const target_config& t);

// "1d2h30m" for 95400 s; the inverse of parse_duration ("0s" for zero).
std::string duration_text(std::chrono::seconds d);

// The configuration as Cairn uses it, as YAML that load_config accepts again
// (loading it gives the same effective configuration): every default filled
// in, paths absolute, patterns read from exclude_from not repeated. Holds no
// secret: none lives in the YAML's values except a URL's user:password,
// which is redacted; key, password and credential files are named, never read.
std::string effective_yaml(const suite_config& c);

// A commented starting configuration (`cairn config example`; the Debian
// package's /etc/cairn/cairn.yaml). load_config accepts it as it is.
std::string_view example_yaml();

}  // namespace cairn::config
