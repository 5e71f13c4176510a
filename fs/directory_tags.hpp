// Directories tagged to be left out of a backup by a file inside them: a
// CACHEDIR.TAG with the standard signature (https://bford.info/cachedir/), or
// a marker name such as .nobackup. Immutable after construction; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fs/metadata.hpp"

namespace cairn::fs {

// The first bytes a CACHEDIR.TAG must hold to count (the spec's exact signature).
inline constexpr std::string_view cachedir_signature = "Signature: 8a477f597d28d172789f06886806bc55";

class directory_tags {
public:
  directory_tags() = default;
  directory_tags(bool exclude_caches, std::vector<std::string> if_present);

  bool empty() const { return !exclude_caches_ && if_present_.empty(); }

  // Of `names` (the sorted entries of `dir`), the ones to keep when `dir` is
  // tagged, or nullopt when it is not. A cache directory keeps its CACHEDIR.TAG
  // (as tar --exclude-caches does); a directory with a marker keeps the markers
  // that are regular files, so a restored tree stays excluded. Other entries
  // are neither read nor stored. Reads at most one small file; never fails
  // (an unreadable CACHEDIR.TAG does not tag).
  std::optional<std::vector<std::string>> kept(const directory& dir,
                                              const std::vector<std::string>& names) const;

private:
  bool exclude_caches_ = false;
  std::vector<std::string> if_present_;
};

// Whether the entry `name` of `dir` is a regular file starting with the signature.
bool is_cachedir_tag(const directory& dir, const std::string& name);

}  // namespace cairn::fs
