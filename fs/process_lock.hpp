// An exclusive lock between processes on this machine (flock on a file that
// holds the owner's pid). Released when destroyed or when the process dies,
// also by kill -9. Not synchronized.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/error.hpp"

namespace cairn::fs {

class process_lock {
public:
  // locked when another process holds it; the message says `what` and its pid.
  static expected<std::unique_ptr<process_lock>> acquire(const std::filesystem::path& file,
                                                         const std::string& what);
  ~process_lock();
  process_lock(const process_lock&) = delete;
  process_lock& operator=(const process_lock&) = delete;

private:
  explicit process_lock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cairn::fs
