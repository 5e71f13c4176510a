// Post-restore steps: a source may name a command that only makes sense on
// the restored system (rebuilding an index, reloading a service). It runs once
// after the restore, through /bin/sh, with CAIRN_RESTORED_PATH,
// CAIRN_SOURCE, CAIRN_PLAN and CAIRN_CHECKPOINT in its environment.
// Blocks the calling thread until the command ends (fs/command.hpp runs it).
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace cairn::recovery {

struct post_restore_step {
  std::string command;
  std::filesystem::path restored_path;
  std::string source;
  std::string plan;
  std::string checkpoint;
};

struct post_restore_outcome {
  int exit_code = 0;   // 127 when the shell could not run it
  std::string output;  // the last 4 KiB of stdout and stderr
};

post_restore_outcome run_post_restore(const post_restore_step& step);

}  // namespace cairn::recovery
