// Application resources (docs/RESOURCES.md): an application declares what it
// wants kept in a descriptor, resources.d/NAME.yaml next to the suite's YAML.
// Cairn runs its `backup` command into an empty staging folder, stores that
// folder like a staged source, and at a restore hands it back to `recover`.
// Parsing never throws: every problem is one error "file:line:col: what".
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace cairn::config {

inline constexpr size_t max_resource_metadata_bytes = 64u << 10;  // what `backup` and `recover` may print

struct resource_config {
  std::string name;           // 1-64 letters, digits, '.', '_', '-'; the file is NAME.yaml
  std::string version;        // the application's own version string (at most 64 bytes)
  std::string backup;         // /bin/sh -c; CAIRN_STAGING_DIR
  std::string recover;        // /bin/sh -c; CAIRN_RECOVERY_DIR, CAIRN_DESTINATION
  std::string post_recovery;  // optional; CAIRN_POST_RECOVERY_FILE
  std::vector<std::string> sensitive;  // relative paths under the staging folder, normalized
  std::string user;           // run the commands as this user; empty: the user running Cairn
  uint32_t timeout = 0;       // seconds each command may run; 0: the defaults below
  std::optional<uint32_t> registered_by;  // the uid that registered it through the API (docs/API.md)
  std::filesystem::path file; // the descriptor (absolute)

  static constexpr uint32_t default_timeout = 3600;               // backup, recover
  static constexpr uint32_t default_post_recovery_timeout = 300;  // post_recovery
  uint32_t command_timeout() const { return timeout ? timeout : default_timeout; }
  uint32_t post_recovery_timeout() const { return timeout ? timeout : default_post_recovery_timeout; }

  // True when `rel` (a path relative to the staging folder, no leading '/')
  // is a sensitive path or lies under one.
  bool is_sensitive(std::string_view rel) const;
};

// Parses one descriptor's text; `file` names it in messages. No file checks.
expected<resource_config> parse_resource(std::string_view text, const std::filesystem::path& file);

// The descriptor's YAML text (what the API writes to resources.d/NAME.yaml);
// parse_resource of it gives `r` back (without `file`).
std::string emit_resource(const resource_config& r);

// The user a resource's commands run as, and whether its descriptor may
// choose it: a descriptor whose commands run as root must be owned by root
// and writable by nobody else; no descriptor may be writable by group or
// others. `st_uid`/`st_mode` are the descriptor's. Errors name the file;
// not_found when `user:` names no user of this machine.
struct run_as {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::filesystem::path home;
};
expected<run_as> resource_user(const resource_config& r, uid_t file_uid, mode_t file_mode);

// Reads every DIR/*.yaml (NAME.yaml must declare `name: NAME`), checking
// ownership and modes as above. A missing folder is no resources.
expected<std::vector<resource_config>> load_resources(const std::filesystem::path& dir);

}  // namespace cairn::config
