#include "fs/take_back.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace cairn::fs {

namespace {

constexpr int dir_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

struct walk {
  const std::filesystem::path& top;
  uid_t uid;
  gid_t gid;
  const take_back_limits& limits;
  dev_t dev;
  size_t entries = 0;

  status odd(const std::string& rel, const std::string& why) const {
    return fail(errc::io, "cannot take back " + (top / rel).string() + ": " + why);
  }

  // `fd` is frozen: its entries can no longer change under us.
  status children(int fd, const std::string& rel, size_t depth) {
    int listing = ::dup(fd);
    if (listing < 0) return odd(rel, std::strerror(errno));
    DIR* d = ::fdopendir(listing);
    if (!d) {
      ::close(listing);
      return odd(rel, std::strerror(errno));
    }
    std::vector<std::string> dirs;
    errno = 0;
    while (auto* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      if (++entries > limits.max_entries) {
        ::closedir(d);
        return odd(rel, "more than " + std::to_string(limits.max_entries) + " entries");
      }
      if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) dirs.push_back(std::move(name));
    }
    ::closedir(d);
    for (const auto& name : dirs) {
      auto path = rel.empty() ? name : rel + "/" + name;
      struct stat st {};
      if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return odd(path, std::strerror(errno));
      if (!S_ISDIR(st.st_mode)) continue;
      if (depth + 1 > limits.max_depth) return odd(path, "deeper than " + std::to_string(limits.max_depth) + " folders");
      if (st.st_dev != dev) return odd(path, "another filesystem is mounted there");
      fd_guard child{::openat(fd, name.c_str(), dir_flags)};
      if (child.fd < 0) return odd(path, std::string("changed while it was taken back: ") + std::strerror(errno));
      struct stat opened {};
      if (::fstat(child.fd, &opened) != 0 || opened.st_dev != st.st_dev || opened.st_ino != st.st_ino)
        return odd(path, "changed while it was taken back");
      if (::fchown(child.fd, uid, gid) != 0 || ::fchmod(child.fd, opened.st_mode & 07777 & ~(S_IWGRP | S_IWOTH)) != 0)
        return odd(path, std::strerror(errno));
      CAIRN_TRY(children(child.fd, path, depth + 1));
    }
    return {};
  }
};

}  // namespace

status take_back(const std::filesystem::path& top, uid_t uid, gid_t gid, const take_back_limits& limits) {
  fd_guard fd{::open(top.c_str(), dir_flags)};
  if (fd.fd < 0) return fail(errc::io, "cannot take back " + top.string() + ": " + std::strerror(errno));
  if (::fchown(fd.fd, uid, gid) != 0 || ::fchmod(fd.fd, 0700) != 0)
    return fail(errc::io, "cannot take back " + top.string() + ": " + std::strerror(errno));
  // Frozen, the entry can no longer be renamed by the user (sticky /tmp):
  // it must be the folder just frozen, not one swapped in before.
  struct stat opened {}, named {};
  if (::fstat(fd.fd, &opened) != 0 || ::lstat(top.c_str(), &named) != 0 || opened.st_dev != named.st_dev ||
      opened.st_ino != named.st_ino)
    return fail(errc::io, "cannot take back " + top.string() + ": it was replaced");
  walk w{top, uid, gid, limits, opened.st_dev};
  return w.children(fd.fd, "", 0);
}

}  // namespace cairn::fs
