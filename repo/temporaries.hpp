// Temporary files that a killed writer leaves in a local repository (a key
// change killed between writing `.tmp-<pid>-...` and renaming it over
// `config`). Only a holder of the repository's exclusive lock may remove
// them: then no writer that respects locks is live. Runs on the calling thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cairn::repo {

struct leftover_report {
  std::vector<std::string> removed;  // paths relative to the root
};

// Removes `.tmp-<pid>-...` files anywhere under `root` whose process is not
// alive on this host, or which are older than `stale_after_ns` (a writer on
// another host sharing the directory). Never one of a live process that is
// younger than that. Errors are ignored: a file that cannot be removed stays.
leftover_report remove_leftover_temporaries(const std::filesystem::path& root, int64_t stale_after_ns);

}  // namespace cairn::repo
