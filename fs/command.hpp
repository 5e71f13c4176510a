// Runs a shell command to its end: the `command` source (standard output into
// a file), plan before/after steps and post-restore steps (output captured).
// Blocks the calling thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace cairn::fs {

// Another user to run a command as (the caller must be root): groups,
// gid, then uid are switched in the child before exec, and HOME, USER and
// LOGNAME set to that user's.
struct run_identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string user;
  std::filesystem::path home;
};

struct command_options {
  std::string command;                                      // run by /bin/sh -c
  std::filesystem::path output;  // stdout into this file (created 0600, replaced); empty: captured with stderr
  std::filesystem::path directory;                          // the working directory ("" : unchanged)
  std::vector<std::pair<std::string, std::string>> environment;  // added to this process's
  const std::atomic<bool>* cancel = nullptr;                // set: the command is terminated
  // Longer than this: its process group gets SIGTERM, then SIGKILL 5 s later,
  // and the run fails (io) saying so. Zero: no limit.
  std::chrono::seconds timeout{0};
  std::optional<run_identity> as_user;                      // unset: this process's user
  // Set: the command's standard input is a pipe, and this runs on a thread of
  // its own writing to `fd` (write_all below); the pipe is closed when it
  // returns. Unset: /dev/null. Its error fails the run when the command
  // exited 0 (a non-zero exit is reported as such).
  std::function<status(int fd)> input;
};

// Writes all of `data` to `fd` (a pipe to a command), retrying short writes;
// io when the command stopped reading (EPIPE: SIGPIPE is blocked on the caller's thread).
status write_all(int fd, const void* data, size_t size);

struct command_outcome {
  int exit_code = 0;        // 128 + signal when killed
  std::string tail;         // the last 4 KiB of its stderr (and stdout when not into a file)
  uint64_t bytes = 0;       // written to the output
};

// io when it cannot be started, the output cannot be written, or it ran past
// its timeout; cancelled when `cancel` was set. A non-zero exit is an outcome, not an error.
expected<command_outcome> run_to_file(const command_options& options);

// A tail as one line for an error message: newlines as spaces, at most `max` bytes (the end).
std::string one_line(std::string tail, size_t max = 400);

}  // namespace cairn::fs
