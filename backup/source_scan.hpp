// The counting walk of a dir source: what a backup would visit (after
// exclude patterns, tagged directories and one_file_system) and which files
// it would read, without reading any content. A file is to be read when its
// quick content id (size, mtime, ctime, inode) is missing from some target's
// file cache. Feeds the progress line's totals and `backup --dry-run`. No
// actors; blocks the calling thread. The catalog is only read.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "backup/results.hpp"
#include "catalog/catalog.hpp"
#include "config/suite_config.hpp"
#include "fs/metadata.hpp"

namespace cairn::backup {

struct scan_options {
  std::string plan;
  std::vector<std::string> targets;         // names: one file cache each
  catalog::catalog* cache = nullptr;        // none: every file is to be read
  const std::atomic<bool>* cancel = nullptr;  // set: the walk stops early
  // Called for each file to be read, with its absolute path.
  std::function<void(const std::string& path, const fs::metadata& meta)> on_read;
};

// The source's root that cannot be listed counts as empty (the backup itself
// reports it); unreadable subdirectories are skipped the same way.
source_totals scan_source(const config::source_config& source, const scan_options& options);

// Whether a cache entry still describes the file (its quick content id).
bool same_file(const catalog::cache_entry& entry, const fs::metadata& meta);

}  // namespace cairn::backup
