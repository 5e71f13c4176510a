// Exclude patterns for directory sources (restic's semantics):
//   *.tmp            a name anywhere ("*" and "?" stay within one name)
//   **/.cache        "**" spans any number of directories
//   /home/a/tmp      a leading "/" anchors at the filesystem root
//   build/           a trailing "/" matches directories only
// A pattern without a leading "/" may match starting at any directory.
// Immutable after construction; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace cairn::fs {

class exclude_matcher {
public:
  exclude_matcher() = default;
  explicit exclude_matcher(const std::vector<std::string>& patterns);

  // `absolute_path` of the entry; directories excluded here are not descended.
  bool excluded(const std::string& absolute_path, bool is_directory) const;
  bool empty() const { return patterns_.empty(); }

private:
  struct pattern {
    std::vector<std::string> parts;
    bool directories_only = false;
  };
  std::vector<pattern> patterns_;
};

}  // namespace cairn::fs
