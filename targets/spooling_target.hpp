// Lets a target that takes only whole objects (SFTP, S3, ssh) be written to
// piece by piece: open_writer() spools the bytes into an unnamed file in a
// local directory (the machine's disk, not its memory), and commit() reads
// them back and put()s them. A backup then holds in memory only the packs
// being uploaded, not the one being built or those waiting. A target that
// streams itself (a local directory) keeps doing so. Thread-safe.
#pragma once

#include <filesystem>

#include "targets/target_wrapper.hpp"

namespace cairn::targets {

class spooling_target : public target_wrapper {
public:
  // `dir` is created (0700) when first needed; when it cannot be, writers are
  // not offered and callers keep objects in memory.
  spooling_target(target_ptr inner, std::filesystem::path dir);

  expected<std::unique_ptr<object_writer>> open_writer() override;

private:
  std::filesystem::path dir_;
};

}  // namespace cairn::targets
