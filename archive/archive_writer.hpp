// Writing a single-file archive of a checkpoint (docs/FORMAT.md, "Single-file
// archives"): header, a meta record (the checkpoint), the trees, the content
// blobs (each distinct blob once, zstd), a table of contents and a trailer,
// written front to back to a sink (a file or a pipe: nothing is sought back).
// Trees are re-encoded as the archive needs them: with --path only the named
// subtrees and their parents, without the excluded paths (sensitive parts of
// resources in a plain archive). Memory: one blob at a time, plus 32 bytes per
// distinct blob and 40 per record for the table of contents.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "archive/archive_key.hpp"
#include "repo/repository.hpp"

namespace cairn::archive {

using sink = std::function<status(byte_view)>;

struct export_request {
  object_id checkpoint_id;
  repo::checkpoint checkpoint;
  std::vector<std::string> paths;    // "source/dir/file"; empty: everything
  std::vector<std::string> exclude;  // paths left out ("source/rel"), e.g. sensitive ones
  std::string exclude_reason;        // recorded in the manifest for those under a resource
  int zstd_level = repo::default_zstd_level;
};

struct export_report {
  uint64_t trees = 0, blobs = 0, files = 0, bytes = 0;  // bytes: of the files' content
  uint64_t archive_bytes = 0;
  std::vector<std::string> left_out;  // excluded paths that were in the checkpoint
};

// not_found names a path that is not in the checkpoint; errors of the
// repository and the sink pass through.
expected<export_report> write_archive(const repo::repository& repo, const export_request& request,
                                      const credential& key, const sink& out);

}  // namespace cairn::archive
