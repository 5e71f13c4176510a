// Restoring from a single-file archive (archive/): no repository, catalog or
// target. The same planner (bounded, iterative) and the same execution through
// fs::destination as a restore from a repository, so nothing is written
// outside the destination. A damaged record costs only the files that use it:
// they are named and not left half-written.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "archive/archive_reader.hpp"
#include "fs/destination.hpp"

namespace cairn::recovery {

struct archive_restore_report {
  uint64_t files = 0, dirs = 0, links = 0, bytes = 0;  // planned
  uint64_t bytes_written = 0;
  std::vector<std::string> damaged;   // "path: reason", files not restored
  std::vector<std::string> problems;  // other entries not restored or without their metadata
};

// `paths`: "source/dir/file" inside the archive; empty: all of it.
expected<archive_restore_report> restore_archive(archive::archive_reader& reader,
                                                 const std::vector<std::string>& paths,
                                                 const std::filesystem::path& to, const fs::apply_options& options);

}  // namespace cairn::recovery
