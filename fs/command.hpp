// Runs a shell command with its standard output going into a file: the
// `command` source (a database dump, an export). Blocks the calling thread.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace cairn::fs {

struct command_options {
  std::string command;                                      // run by /bin/sh -c
  std::filesystem::path output;                             // created 0600, replaced
  std::filesystem::path directory;                          // the working directory ("" : unchanged)
  std::vector<std::pair<std::string, std::string>> environment;  // added to this process's
  const std::atomic<bool>* cancel = nullptr;                // set: the command is terminated
};

struct command_outcome {
  int exit_code = 0;        // 128 + signal when killed
  std::string error_tail;   // the last lines of its standard error
  uint64_t bytes = 0;       // written to the output
};

// io when it cannot be started or the output cannot be written; cancelled
// when `cancel` was set. A non-zero exit is an outcome, not an error.
expected<command_outcome> run_to_file(const command_options& options);

}  // namespace cairn::fs
