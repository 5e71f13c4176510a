// Bootstrap on a new machine: find the newest suite state that opens (pointer
// first, then listing; falling back to older generations and saying why),
// and install its catalog and YAML into a fresh state directory. Without any
// suite state, rebuild the catalog from the repository's own checkpoints.
// Nothing is written before a suite state has opened and verified. Runs on
// the calling thread; keys come through the `unlocker` (the keyring).
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/source_type.hpp"
#include "crypto/keys.hpp"
#include "recovery/suite_state.hpp"

namespace cairn::recovery {

// Opens a key slot list: returns the repository's keys (null for none).
using unlocker = std::function<expected<crypto::key_ptr>(
  const std::vector<crypto::key_slot>& slots, const std::string& repository_id,
  crypto::encryption encryption)>;

struct bootstrap_options {
  std::filesystem::path state_dir;   // must not hold a catalog yet
  std::filesystem::path config_out;  // empty: state_dir/cairn.yaml
};

struct bootstrap_report {
  std::string source;                // the generation or file used
  std::vector<std::string> notes;    // damaged or unopenable generations skipped, and why
  std::string suite_id;
  std::string host;                  // where the suite state was written
  int64_t time_ns = 0;
  size_t checkpoints = 0;
  std::vector<std::string> plans;
  std::filesystem::path catalog;
  std::filesystem::path config;
  bool rebuilt = false;
};

expected<bootstrap_report> bootstrap_from_target(targets::target& target, const unlocker& unlock,
                                                 const bootstrap_options& options);
expected<bootstrap_report> bootstrap_from_file(const std::filesystem::path& file,
                                               const unlocker& unlock,
                                               const bootstrap_options& options);

// No suite state: list the checkpoints and write a catalog and a YAML with the
// plans and sources they name, written by `write_yaml`.
// A source as the newest checkpoint of its plan names it (bytes from the
// target: decode_checkpoint checked the names and the type word).
struct recovered_source {
  std::string name;
  source_type type = source_type::dir;
  std::string path;  // a command source's command
};
using recovered_plans = std::map<std::string, std::vector<recovered_source>>;  // plan -> sources

struct rebuild_options {
  std::string target_name = "recovered";
  // The whole configuration from the (absolute) state folder and the plans:
  // config::rebuilt_yaml, which quotes every value (recovery/ cannot see config/).
  std::function<std::string(const std::filesystem::path& state_dir, const recovered_plans& plans)> write_yaml;
};
// A write-only repository read with the private key: writes this machine's
// record of stored blobs (repo/stored_ids.hpp) from its index files, so that
// the first backup after a bootstrap uploads only what is new. Nothing to do
// for other repositories. `done` (optional): repositories already rebuilt,
// skipped; the one rebuilt here is added.
status rebuild_stored_ids(targets::target_ptr target, const unlocker& unlock,
                          const std::filesystem::path& state_dir, std::set<std::string>* done = nullptr);

expected<bootstrap_report> rebuild_catalog(targets::target_ptr target, const unlocker& unlock,
                                           const bootstrap_options& options,
                                           const rebuild_options& rebuild);

// The YAML with its top-level state_dir pointing at `state_dir` (added when
// missing); every other line as it was.
std::string with_state_dir(const std::string& yaml, const std::filesystem::path& state_dir);

}  // namespace cairn::recovery
