#include "targets/spooling_target.hpp"

#include "targets/detail/fd_io.hpp"

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
  ~spool_writer() override {
    if (fd_ >= 0) ::close(fd_);
  }

  status append(byte_view data) override {
    if (fd_ >= 0 && detail::write_all(fd_, data) != 0) {
      // The spool's disk is full (or failing): this object goes on in
      // memory, as it would without a spool, rather than failing the run.
      CAIRN_TRY(read_back(memory_));
      ::close(fd_);
      fd_ = -1;
    }
    if (fd_ < 0) memory_.insert(memory_.end(), data.begin(), data.end());
    else size_ += data.size();
    return {};
  }

  status commit(std::string_view name) override {
    if (fd_ < 0) return inner_.put(name, memory_);
    // Only now, while it is uploaded, is the object in memory.
    byte_buffer bytes;
    CAIRN_TRY(read_back(bytes));
    return inner_.put(name, bytes);
  }

private:
  status read_back(byte_buffer& out) const {
    out.resize(size_);
    if (int e = detail::pread_all(fd_, out.data(), out.size(), 0); e != 0)
      return fail(errc::io, "reading back a spooled object for " + inner_.describe() + ": " + std::strerror(e));
    return {};
  }

  target& inner_;
  int fd_;
  size_t size_ = 0;     // bytes in the file (while there is one)
  byte_buffer memory_;  // the object, once the file could take no more
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
