// The suite's YAML definitions as validated, typed values. Parsing never
// throws: every problem is one error "file:line:col: what". Plain values.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/source_type.hpp"
#include "config/listen_address.hpp"
#include "config/resource.hpp"
#include "config/retention.hpp"
#include "config/schedule.hpp"

namespace cairn::config {

// Where a value came from, for messages about it later ("a missing source").
struct location {
  std::string file;
  int line = 0;    // 1-based; 0 when unknown
  int column = 0;  // 1-based
  std::string str() const;  // "cairn.yaml:12:3"
};

// How this machine opens its repositories (keyring.mode). write_only: it can
// back up but not read its backups (a public key; docs/DESIGN.md, Keys).
enum class keyring_mode { none, keyfile, password, tpm, write_only };

std::string_view to_string(keyring_mode mode);

// Where a target's repository lives (targets.NAME.type, or its url's scheme).
enum class target_type { local, sftp, s3, ssh };
// What a source reads (plans.NAME.sources[].type): base/source_type.hpp.
using cairn::parse_source_type;
using cairn::source_type;
using cairn::to_string;
// S3 Object Lock retention of every object a target stores (docs/TARGETS.md).
enum class object_lock_mode { compliance, governance };

// The YAML's word for each kind ("local", "dir"), and back: nullopt for any
// other word. The only place these words are compared.
std::string_view to_string(target_type type);
std::optional<target_type> parse_target_type(std::string_view word);
std::string_view to_string(object_lock_mode mode);
std::optional<object_lock_mode> parse_object_lock_mode(std::string_view word);

struct keyring_config {
  keyring_mode mode = keyring_mode::keyfile;
  std::filesystem::path keyfile;      // keyfile mode
  std::filesystem::path password_file;
  std::filesystem::path recovery_keyfile;  // tpm mode
  std::vector<int> pcrs;                   // tpm mode
  std::string tcti;                        // tpm mode
  std::string public_key;                  // write_only mode: "cairn-pk1-..." (checked by crypto/)
  bool tpm = false;                        // write_only mode: the writer secret is sealed to the TPM (tcti, pcrs)
  location where;
};

struct target_limits {
  uint64_t upload_kbps = 0;    // KiB/s; 0: unlimited
  uint64_t download_kbps = 0;
  int connections = 0;         // parallel uploads; 0: the target type's default
  int timeout_seconds = 0;     // remote: a connect or a stalled transfer fails after this; 0: 60
  int retry_seconds = 0;       // remote: transient errors are retried for this long; 0: 300
};

struct target_config {
  std::string name;
  target_type type = target_type::local;
  std::filesystem::path path;      // local: a directory; sftp, ssh: the directory on the server
  // sftp, ssh
  std::string host;
  int port = 0;                    // 0: the protocol's default
  std::string user;
  std::filesystem::path identity;     // private key file
  std::filesystem::path known_hosts;  // default ~/.ssh/known_hosts
  // ssh: `cairn serve` through the OpenSSH client; this replaces "ssh" (words split at spaces)
  std::string ssh_command;
  // s3
  std::string endpoint;            // http(s)://host[:port]
  std::string bucket;
  std::string prefix;
  std::string region;              // default $AWS_DEFAULT_REGION, else us-east-1
  std::filesystem::path access_key_file;  // two lines: key id, secret; else $AWS_ACCESS_KEY_ID/...
  std::filesystem::path ca_file;          // HTTPS with a private CA
  bool path_style = true;                 // false: https://BUCKET.host/key (virtual-hosted)
  int object_lock_days = 0;               // 1..36500: each object is retained this long; 0: off
  object_lock_mode lock_mode = object_lock_mode::compliance;
  target_limits limits;
  // The suite's `limits:` (shared by all its targets together), copied here.
  uint64_t suite_upload_kbps = 0;
  uint64_t suite_download_kbps = 0;
  location where;
};

// Fills a target from "sftp://user@host:port/path", "ssh://user@host:port/path", "s3://host[:port]/bucket[/prefix]"
// (https), "s3+http://..." or a path / "file:///path". invalid_input on anything else.
status parse_target_url(const std::string& url, target_config& target);

struct source_config {
  source_type type = source_type::dir;
  std::string name;                // entry in the checkpoint's root; unique in the plan
  std::filesystem::path path;      // dir: the tree; sqlite: the database file
  std::string command;             // command: run by /bin/sh, its standard output is stored
  std::string output;              // command: the file name of that output in the checkpoint
  uint32_t timeout = 0;            // command: seconds it may run (then it is stopped and the source fails); 0: no limit
  // command: run by /bin/sh with the stored output on its standard input by
  // `cairn restore CHECKPOINT --load NAME` (a database dump loaded back); "": none.
  std::string restore_command;
  location restore_command_where;  // where restore_command is, for its errors
  std::vector<std::string> exclude;  // with the patterns read from exclude_from appended
  std::filesystem::path exclude_from;  // dir: a file of patterns, one a line (read at load)
  // exclude_from could not be read ("file:line:col: cannot read ..."): only
  // a backup of this source fails with it; other commands do not need it.
  std::string exclude_from_error;
  size_t exclude_from_count = 0;       // how many patterns at the end of exclude came from it
  bool exclude_caches = false;         // dir: skip the contents of directories with a CACHEDIR.TAG
  std::vector<std::string> exclude_if_present;  // dir: skip the contents of directories holding one of these names
  bool one_file_system = false;    // do not descend into other mounted file systems
  std::string post_restore;        // a shell command run once after a restore of this source
  // resource: the application's descriptor (resources.d/NAME.yaml); `name` is its name.
  std::shared_ptr<const resource_config> resource;
  location where;
};

struct plan_config {
  std::string name;
  std::vector<source_config> sources;
  std::vector<std::string> targets;  // names from suite_config::targets
  std::string before;                // a command run before the sources are read; failing, no checkpoint
  std::string after;                 // a command run after every run, with CAIRN_RUN_STATUS set
  std::string on_failure;            // a command run after a failed or partial run (else the suite's)
  schedule when;                     // cairn daemon: when it runs by itself (empty: never)
  keep_policy keep;                  // which checkpoints to keep (empty: all)
  size_t readers = 4;                // files read at once (a disk serves several requests faster than one)
  location where;
};

// How `cairn daemon` behaves: it must not be noticed on the machine.
struct daemon_config {
  std::chrono::seconds retry{15 * 60};  // a failed run is tried again after this
  int nice = 19;                        // CPU priority of the daemon (0..19)
  bool idle_io = true;                  // I/O only when the disk is otherwise idle
  bool idle_cpu = true;                 // SCHED_IDLE: any other runnable task goes first
  std::chrono::seconds prune_every{7 * 86400};  // after a forget, prune a target at most this often
  // pause_when: a run pauses while one of these holds, and goes on after.
  bool pause_on_battery = false;
  double pause_cpu_some_avg10 = 0;  // /proc/pressure/cpu "some avg10" above this (0: never)
  // Run through /bin/sh every pause_check: exit 0 pauses (e.g. a metered network: nmcli).
  std::string pause_command;
  double pause_io_some_avg10 = 0;   // /proc/pressure/io "some avg10" above this (0: never)
  std::chrono::seconds pause_check{10};  // how often the conditions are looked at
  std::filesystem::path sysfs_root = "/sys";    // for tests
  std::filesystem::path procfs_root = "/proc";  // for tests
};

// The daemon's control API (docs/API.md).
struct api_config {
  std::filesystem::path socket;   // default state_dir/cairn.sock
  std::string group;              // members may use the API (besides root and the daemon's user)
  std::optional<listen_address> web;  // the web dashboard (docs/WEB.md); off when absent
};

struct suite_config {
  std::filesystem::path file;        // absolute
  std::filesystem::path state_dir;
  keyring_config keyring;
  std::vector<target_config> targets;  // in the order written
  std::vector<plan_config> plans;
  daemon_config daemon;
  api_config api;
  std::string on_failure;            // run after a failed or partial run of a plan without its own
  size_t suite_state_keep = 5;       // suite-state generations kept on each target
  std::string text;                  // the YAML as read, for the suite-state backup
  std::vector<resource_config> resources;  // resources.d/*.yaml next to the YAML, by name

  const resource_config* find_resource(std::string_view name) const;

  const target_config* find_target(std::string_view name) const;
  const plan_config* find_plan(std::string_view name) const;
};

// Reads and validates a YAML file. Relative paths resolve against its folder.
expected<suite_config> load_config(const std::filesystem::path& file);
// Same, from text; `file` names it in messages and gives the base folder.
expected<suite_config> parse_config(std::string_view text, const std::filesystem::path& file);

}  // namespace cairn::config
