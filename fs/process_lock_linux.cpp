#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fs/process_lock.hpp"

namespace cairn::fs {

expected<std::unique_ptr<process_lock>> process_lock::acquire(const std::filesystem::path& file,
                                                              const std::string& what) {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errc::io, "cannot open lock file " + file.string() + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    (void)::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string pid(buf);
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return fail(errc::locked, what + " is already running" + (pid.empty() ? "" : " (pid " + pid + ")"));
  }
  auto text = std::to_string(getpid()) + "\n";
  (void)::ftruncate(fd, 0);
  (void)::pwrite(fd, text.data(), text.size(), 0);
  return std::unique_ptr<process_lock>(new process_lock(fd));
}

std::optional<int> process_lock::holder(const std::filesystem::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<int> pid;
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
    char buf[32] = {};
    (void)::pread(fd, buf, sizeof buf - 1, 0);
    pid = std::atoi(buf);
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return pid;
}

process_lock::~process_lock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace cairn::fs
