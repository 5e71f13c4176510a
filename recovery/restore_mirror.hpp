// Comparing a restore plan with what is at its destination: what a restore
// would create, change and (with --delete) remove, and the removal itself.
// Only the restored paths are looked at: with no paths each source's
// directory, else each restored directory; nothing above them. The
// destination is reached through fs::destination only: no symlink in it is
// followed, and removal never leaves it. Work is bounded by the plan: only
// directories the plan holds are listed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "fs/destination.hpp"
#include "recovery/restore_plan.hpp"

namespace cairn::recovery {

enum class mirror_kind : uint8_t {
  create,  // not at the destination
  change,  // there, but of another type, size, mtime, mode or link target
  remove,  // at the destination below a restored directory, not in the checkpoint
};

struct mirror_line {
  mirror_kind kind = mirror_kind::create;
  std::string path;  // relative to the destination
  fs::file_type type = fs::file_type::regular;  // in the checkpoint; at the destination for remove
  uint64_t size = 0;
  std::string why;   // change: "type", "content", "metadata", "link"
};

struct mirror_report {
  std::vector<mirror_line> lines;      // creates and changes in plan order, removals by path
  std::vector<std::string> warnings;   // a directory that could not be read: "path: reason"
};

struct mirror_options {
  bool creates_and_changes = true;  // false: only removals (what --delete does before restoring)
  bool removals = true;
};

// `paths` as given to plan_restore. `dest` null: nothing is at the
// destination (everything would be created). Reads only; changes nothing.
mirror_report compare_with_destination(const restore_plan& plan, const std::vector<std::string>& paths,
                                       fs::destination* dest, const mirror_options& options);

// Removes what the remove lines name; returns "path: reason" for each that
// could not be removed. Each parent is reached without following symlinks.
std::vector<std::string> remove_extras(fs::destination& dest, const std::vector<mirror_line>& lines);

std::string_view to_string(mirror_kind kind);

}  // namespace cairn::recovery
