// `cairn backup --dry-run`: what a backup of some plans would read, worked
// out from the sources and the catalog's file cache alone. No target is
// opened, no key read, no command run, no lock taken and nothing written.
// Blocks the calling thread.
#pragma once

#include <string>
#include <vector>

#include "backup/results.hpp"
#include "base/error.hpp"
#include "config/suite_config.hpp"

namespace cairn::backup {

struct dry_run_file {
  std::string path;  // absolute
  uint64_t size = 0;
};

struct dry_run_source {
  std::string plan;
  std::string source;               // its name in checkpoints
  config::source_type type = config::source_type::dir;
  std::string what;                 // the path, or the command
  source_totals totals;             // files and bytes there, and those to read
  std::vector<dry_run_file> to_read;  // in walk order
  std::string note;                 // why the numbers are incomplete, when they are
};

// Empty `plans`: all of them. An unknown plan is invalid_input.
expected<std::vector<dry_run_source>> dry_run(const config::suite_config& suite,
                                              const std::vector<std::string>& plans);

}  // namespace cairn::backup
