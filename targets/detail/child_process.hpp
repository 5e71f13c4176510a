// A child process whose standard input and output are one end of a socket
// pair (so writing to it never raises SIGPIPE) and whose standard error is a
// pipe we read. It runs in its own process group with default signals, so a
// Ctrl-C meant for cairn does not cut its transfers. Not synchronized.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/error.hpp"

namespace cairn::targets::detail {

class child_process {
public:
  // Starts argv[0] (looked up in PATH). io when it cannot be started.
  static expected<child_process> spawn(const std::vector<std::string>& argv);
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&&) = delete;
  ~child_process();  // closes the streams, ends the process and reaps it

  int fd() const { return fd_; }  // its stdin and stdout
  // Reads what it wrote to stderr so far without blocking (keeps the last 4 KiB).
  void drain_stderr();
  // After its stdout ended: waits up to `timeout_ms` for it to exit; its exit
  // code, or -1 when it still runs or was killed.
  int wait_exit(int timeout_ms);
  // Its last non-empty line on stderr, cleaned for a message ("" when none).
  std::string last_error_line();

private:
  child_process(pid_t pid, int fd, int err_fd) : pid_(pid), fd_(fd), err_fd_(err_fd) {}
  pid_t pid_ = -1;
  int fd_ = -1;
  int err_fd_ = -1;
  std::string stderr_tail_;
};

}  // namespace cairn::targets::detail
