#include "targets/spooling_target.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace cairn::targets {

namespace fs = std::filesystem;

namespace {

class spool_writer final : public object_writer {
public:
  spool_writer(target& inner, int fd) : inner_(inner), fd_(fd) {}
  ~spool_writer() override { ::close(fd_); }

  status append(byte_view data) override {
    for (size_t done = 0; done < data.size();) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fail(errno == ENOSPC ? errc::no_space : errc::io,
                             std::string("spooling a new object for ") + inner_.describe() + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    size_ += data.size();
    return {};
  }

  status commit(std::string_view name) override {
    // Only now, while it is uploaded, is the object in memory.
    byte_buffer bytes(size_);
    for (size_t done = 0; done < bytes.size();) {
      ssize_t n = ::pread(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        return fail(errc::io, "reading back the spooled " + std::string(name) + " for " + inner_.describe() + ": " +
                                (n < 0 ? std::strerror(errno) : "shorter than written"));
      done += static_cast<size_t>(n);
    }
    return inner_.put(name, bytes);
  }

private:
  target& inner_;
  int fd_;
  size_t size_ = 0;
};

// An unnamed file in `dir`: O_TMPFILE, else a name removed at once.
int open_unnamed(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
  static std::atomic<uint64_t> counter{0};
  auto named = dir / (".spool-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fd = ::open(named.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::unlink(named.c_str());
  return fd;
}

}  // namespace

spooling_target::spooling_target(target_ptr inner, fs::path dir) : target_wrapper(std::move(inner)), dir_(std::move(dir)) {}

expected<std::unique_ptr<object_writer>> spooling_target::open_writer() {
  CAIRN_ASSIGN(auto own, inner()->open_writer());
  if (own) return own;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return std::unique_ptr<object_writer>{};
  ::chmod(dir_.c_str(), 0700);
  int fd = open_unnamed(dir_);
  if (fd < 0) return std::unique_ptr<object_writer>{};  // no spool: objects stay in memory
  return std::unique_ptr<object_writer>(new spool_writer(*inner(), fd));
}

}  // namespace cairn::targets
