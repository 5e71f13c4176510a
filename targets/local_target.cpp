#include "targets/local_target.hpp"

#include "targets/detail/fd_io.hpp"

#include <dirent.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <system_error>

namespace cairn::targets {

namespace fs = std::filesystem;

namespace {

std::string temporary_name() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[64];
  std::snprintf(buf, sizeof buf, ".tmp-%d-%llu-%016llx", static_cast<int>(getpid()),
                static_cast<unsigned long long>(counter++),
                static_cast<unsigned long long>(rng()));
  return buf;
}

int fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int rc = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

}  // namespace

local_target::local_target(fs::path root) : root_(std::move(root)) {}

error local_target::io_error(std::string_view what, std::string_view name, int err) const {
  errc code = errc::io;
  if (err == ENOENT) code = errc::not_found;
  if (err == ENOSPC || err == EDQUOT) code = errc::no_space;
  if (err == EINTR || err == EAGAIN) code = errc::transient;
  return error{code, describe() + ": " + std::string(what) + " " + std::string(name) + ": " +
                       std::strerror(err)};
}

status local_target::ensure_dir(const fs::path& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return fail(io_error("create directory", dir.string(), ec.value()));
  // Make the new directory entries durable up to the root.
  for (fs::path p = dir; p != root_.parent_path() && !p.empty(); p = p.parent_path()) {
    fsync_dir(p.parent_path());
    if (p == root_) break;
  }
  return {};
}

status local_target::put(std::string_view name, byte_view data) { return store(name, data, true); }

status local_target::put_new(std::string_view name, byte_view data) { return store(name, data, false); }

// Moves `tmp` to `final_path` without replacing: EEXIST when the name is taken.
static int link_into_place(const fs::path& tmp, const fs::path& final_path) {
  if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, final_path.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return errno;
  // A file system without RENAME_NOREPLACE: a hard link is created only if the name is free.
  if (::link(tmp.c_str(), final_path.c_str()) != 0) return errno;
  ::unlink(tmp.c_str());
  return 0;
}

status local_target::store(std::string_view name, byte_view data, bool replace) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  fs::path final_path = path_of(name);
  fs::path dir = final_path.parent_path();
  CAIRN_TRY(ensure_dir(dir));
  fs::path tmp = dir / temporary_name();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(io_error("create", name, errno));
  auto cleanup = [&](int err) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(io_error("write", name, err));
  };
  if (int e = detail::write_all(fd, data); e != 0) return cleanup(e);
  if (::fsync(fd) != 0) return cleanup(errno);
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(io_error("close", name, err));
  }
  int err = replace ? (::rename(tmp.c_str(), final_path.c_str()) == 0 ? 0 : errno) : link_into_place(tmp, final_path);
  if (err != 0) {
    ::unlink(tmp.c_str());
    if (err == EEXIST) return fail(errc::exists, describe() + ": " + std::string(name) + " exists");
    return fail(io_error("rename", name, err));
  }
  if (int e = fsync_dir(dir); e != 0) return fail(io_error("fsync directory of", name, e));
  return {};
}

// Opens `name` and cuts `range` at its end: the descriptor (closed by the
// caller), the offset and the length to read.
expected<local_target::open_range> local_target::open_for_read(std::string_view name, byte_range range) const {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  fs::path p = path_of(name);
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(io_error("open", name, errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(io_error("stat", name, err));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (range.offset > size) {
    ::close(fd);
    return fail(errc::invalid_input, describe() + ": read past the end of " + std::string(name));
  }
  return open_range{fd, range.offset, std::min<uint64_t>(range.length, size - range.offset)};
}

status local_target::read_range(std::string_view name, const open_range& r, uint8_t* out) const {
  int err = detail::pread_all(r.fd, out, r.length, r.offset);  // a short read is EIO: no byte left unwritten
  ::close(r.fd);
  if (err != 0) return fail(io_error("read", name, err));
  return {};
}

expected<byte_buffer> local_target::get(std::string_view name, byte_range range) {
  CAIRN_ASSIGN(auto r, open_for_read(name, range));
  byte_buffer out(r.length);
  CAIRN_TRY(read_range(name, r, out.data()));
  return out;
}

expected<std::span<uint8_t>> local_target::get_into(std::string_view name, byte_range range, read_buffer& buffer) {
  CAIRN_ASSIGN(auto r, open_for_read(name, range));
  uint8_t* out = buffer.raw.reserve(r.length);  // bounded by the file's size; never zero-filled
  CAIRN_TRY(read_range(name, r, out));
  return std::span<uint8_t>(out, r.length);
}

expected<object_info> local_target::stat(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  struct stat st {};
  if (::stat(path_of(name).c_str(), &st) != 0) return fail(io_error("stat", name, errno));
  if (!S_ISREG(st.st_mode)) return fail(io_error("stat", name, ENOENT));
  return object_info{std::string(name), static_cast<uint64_t>(st.st_size)};
}

status local_target::list(std::string_view prefix,
                          const std::function<bool(const object_info&)>& fn) {
  // Walk the deepest directory fully named by the prefix, then filter.
  std::string pre(prefix);
  auto slash = pre.rfind('/');
  fs::path start = slash == std::string::npos ? root_ : root_ / pre.substr(0, slash);
  std::error_code ec;
  if (!fs::exists(start, ec)) return {};
  fs::recursive_directory_iterator it(start, ec), end;
  if (ec) return fail(io_error("list", pre, ec.value()));
  for (; it != end; it.increment(ec)) {
    if (ec) return fail(io_error("list", pre, ec.value()));
    const auto& entry = *it;
    std::string leaf = entry.path().filename().string();
    if (!leaf.empty() && leaf[0] == '.') {
      if (entry.is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    std::string rel = entry.path().lexically_relative(root_).string();
    if (rel.compare(0, pre.size(), pre) != 0) continue;
    object_info info{rel, static_cast<uint64_t>(entry.file_size(ec))};
    if (ec) continue;  // vanished while listing
    if (!fn(info)) break;
  }
  return {};
}

status local_target::remove(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  fs::path p = path_of(name);
  if (::unlink(p.c_str()) != 0 && errno != ENOENT) return fail(io_error("remove", name, errno));
  fsync_dir(p.parent_path());
  return {};
}

// A new object, written as it comes. Where the file system takes O_DIRECT,
// whole pieces of `stage_bytes` go to the device from an aligned buffer of
// our own, around the page cache: no new cache pages to fill and copy into
// (a backup's largest system cost after reading), and the user's cached
// files stay. The last piece, not a whole number of blocks, goes through the
// cache, and the fsync at commit writes it.
class local_writer final : public object_writer {
public:
  static constexpr size_t stage_bytes = 512u << 10;

  local_writer(local_target& target, int fd, fs::path named) : target_(target), fd_(fd), named_(std::move(named)) {
    int flags = ::fcntl(fd_, F_GETFL);
    void* p = nullptr;
    if (flags >= 0 && ::posix_memalign(&p, 4096, stage_bytes) == 0) {
      stage_.reset(static_cast<uint8_t*>(p));
      if (::fcntl(fd_, F_SETFL, flags | O_DIRECT) != 0) stage_.reset();  // not here: through the cache
    }
  }
  ~local_writer() override {
    ::close(fd_);
    if (!named_.empty() && !committed_) ::unlink(named_.c_str());
  }
  status append(byte_view data) override {
    if (committed_) return fail(errc::invalid_input, target_.describe() + ": append after commit");
    while (!data.empty()) {
      if (!stage_) return write_at(data);
      size_t k = std::min(data.size(), stage_bytes - staged_);
      std::memcpy(stage_.get() + staged_, data.data(), k);
      staged_ += k;
      data = data.subspan(k);
      if (staged_ == stage_bytes) CAIRN_TRY(flush(true));
    }
    return {};
  }
  status commit(std::string_view name) override {
    if (committed_) return fail(errc::invalid_input, target_.describe() + ": " + std::string(name) + " committed twice");
    if (stage_) CAIRN_TRY(flush(false));
    CAIRN_TRY(target_.place(fd_, named_, name));
    committed_ = true;
    return {};
  }

private:
  struct aligned_free {
    void operator()(uint8_t* p) const { std::free(p); }
  };

  // What is staged: direct when `whole` (a full stage at an aligned offset),
  // else through the cache from now on.
  status flush(bool whole) {
    byte_view data(stage_.get(), staged_);
    size_t done = 0;
    if (whole) {
      while (done < data.size()) {
        ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(written_ + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || (done + static_cast<size_t>(n)) % 4096 != 0) {  // refused, or a short write: the cache
          if (n < 0 && errno != EINVAL) return fail(target_.io_error("write", "a new object", errno));
          if (n > 0) done += static_cast<size_t>(n);
          break;
        }
        done += static_cast<size_t>(n);
      }
    }
    written_ += done;
    if (whole && done == data.size()) {
      staged_ = 0;
      return {};
    }
    // The last piece, or a refusal: through the cache from here on. The
    // descriptor loses O_DIRECT even when nothing is left to write, since
    // place() may read the object back through it (another file system).
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT);
    auto st = done < data.size() ? write_at(data.subspan(done)) : status{};
    stage_.reset();
    staged_ = 0;
    return st;
  }
  status write_at(byte_view data) {
    if (int e = detail::pwrite_all(fd_, data, written_); e != 0) return fail(target_.io_error("write", "a new object", e));
    written_ += data.size();
    return {};
  }

  local_target& target_;
  int fd_;
  fs::path named_;
  std::unique_ptr<uint8_t, aligned_free> stage_;  // null: through the cache
  size_t staged_ = 0;
  uint64_t written_ = 0;  // bytes in the file
  bool committed_ = false;
};

// Read and write: place() reads the object back when its folder is on
// another file system (linkat fails with EXDEV) and copies it there.
expected<std::unique_ptr<object_writer>> local_target::open_writer() {
  CAIRN_TRY(ensure_dir(root_));
  int fd = ::open(root_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
  if (fd >= 0) return std::unique_ptr<object_writer>(new local_writer(*this, fd, {}));
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
    return fail(io_error("create", "a temporary file in", errno));
  fs::path named = root_ / temporary_name();  // a file system without O_TMPFILE
  fd = ::open(named.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return fail(io_error("create", named.filename().string(), errno));
  return std::unique_ptr<object_writer>(new local_writer(*this, fd, named));
}

status local_target::place(int fd, const fs::path& named, std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  fs::path final_path = path_of(name);
  fs::path dir = final_path.parent_path();
  CAIRN_TRY(ensure_dir(dir));
  if (::fsync(fd) != 0) return fail(io_error("write", name, errno));
  int err = 0;
  if (named.empty()) {
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, final_path.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      err = errno;
      if (err == EEXIST) {  // replace, as put() does: link under a temporary name, then rename over
        fs::path tmp = dir / temporary_name();
        err = ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, tmp.c_str(), AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
        if (err == 0 && ::rename(tmp.c_str(), final_path.c_str()) != 0) {
          err = errno;
          ::unlink(tmp.c_str());
        }
      }
    }
  } else {
    err = ::rename(named.c_str(), final_path.c_str()) == 0 ? 0 : errno;
  }
  if (err == EXDEV) {  // the object's folder is another file system: copy it there
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(io_error("stat", name, errno));
    byte_buffer bytes(static_cast<size_t>(st.st_size));
    if (int e = detail::pread_all(fd, bytes.data(), bytes.size(), 0); e != 0) return fail(io_error("read back", name, e));
    return store(name, bytes, true);
  }
  if (err != 0) return fail(io_error("rename", name, err));
  if (int e = fsync_dir(dir); e != 0) return fail(io_error("fsync directory of", name, e));
  // Written and synced: the pages need not push the user's files out of the cache.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  return {};
}

void local_target::remove_stale_temporaries(int64_t max_age_seconds) {
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (fs::recursive_directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
    auto leaf = it->path().filename().string();
    if (leaf.rfind(".tmp-", 0) != 0) continue;
    auto age = std::chrono::duration_cast<std::chrono::seconds>(now - it->last_write_time(ec));
    if (!ec && age.count() > max_age_seconds) fs::remove(it->path(), ec);
  }
}

}  // namespace cairn::targets
