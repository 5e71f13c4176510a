// Application resources at restore time (docs/RESOURCES.md): a resource's
// folder of a checkpoint is restored into a private recovery folder, handed
// to the local descriptor's `recover` command, and removed; what `recover`
// printed waits in state_dir/resources/ for the post-recovery step, which
// the application starts with `cairn post-recovery NAME`. Commands come only
// from the local descriptors, never from a checkpoint.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "repo/checkpoint.hpp"

namespace cairn::service {

struct resource_restore_report {
  std::string resource;
  std::string checkpoint;
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::vector<std::string> left_out;  // sensitive paths the checkpoint does not hold
  bool post_recovery_pending = false;  // `cairn post-recovery NAME` has work to do
};

struct post_recovery_report {
  std::string resource;
  bool ran = false;          // false: nothing was pending
  std::string checkpoint;    // the restore it follows
  int exit_code = 0;
};

// The resource manifest a checkpoint row of the catalog carries (its sources
// JSON); empty when it has none. Bounded and validated like a target's bytes.
std::vector<repo::resource_manifest> manifest_of_row(const std::string& sources_json);

// `cairn post-recovery NAME`: runs the resource's post_recovery command once
// for the last `restore --resource`, and records the outcome in
// state_dir/resources/NAME.outcome.json. Needs no target and no key.
expected<post_recovery_report> post_recovery(const std::filesystem::path& config_file, const std::string& name);

}  // namespace cairn::service
