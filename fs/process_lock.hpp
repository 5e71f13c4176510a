// An exclusive lock between processes on this machine (flock on a file that
// holds the owner's pid). Released when destroyed or when the process dies,
// also by kill -9. Not synchronized.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "base/error.hpp"

namespace cairn::fs {

class process_lock {
public:
  // locked when another process holds it; the message says `what` and its pid.
  static expected<std::unique_ptr<process_lock>> acquire(const std::filesystem::path& file,
                                                         const std::string& what);
  // The pid of the process holding the lock, if one does (never blocks).
  static std::optional<int> holder(const std::filesystem::path& file);
  ~process_lock();
  process_lock(const process_lock&) = delete;
  process_lock& operator=(const process_lock&) = delete;

private:
  explicit process_lock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace cairn::fs
