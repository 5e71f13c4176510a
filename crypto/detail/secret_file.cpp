#include "crypto/detail/secret_file.hpp"

#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cairn::crypto::detail {

status write_secret_file(const std::filesystem::path& path, std::string& text, std::string_view what) {
  auto failed = [&](errc code, std::string message) {
    explicit_bzero(text.data(), text.size());
    return fail(code, std::move(message));
  };
  auto why = [&](const char* doing, int err) {
    return std::string(what) + " " + path.string() + ": " + doing + ": " + std::strerror(err);
  };
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST)
      return failed(errc::exists, std::string(what) + " " + path.string() + " already exists (it is never overwritten)");
    return failed(errc::io, why("create", err));
  }
  ssize_t n = ::write(fd, text.data(), text.size());
  int err = n < 0 ? errno : n != static_cast<ssize_t>(text.size()) ? EIO : 0;
  if (err == 0 && ::fsync(fd) != 0) err = errno;
  ::close(fd);
  if (err != 0) {
    ::unlink(path.c_str());
    return failed(errc::io, why("write", err));
  }
  explicit_bzero(text.data(), text.size());
  return {};
}

}  // namespace cairn::crypto::detail
