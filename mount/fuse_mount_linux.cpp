#define FUSE_USE_VERSION 35
#include <fuse3/fuse.h>

#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "mount/fuse_mount.hpp"

extern char** environ;

namespace cairn::mount {

struct fuse_mount::impl {
  std::shared_ptr<checkpoint_view> view;
  std::filesystem::path mountpoint;
  struct fuse* fuse = nullptr;
  std::atomic<bool> stopping{false};
};

namespace {

checkpoint_view& view() { return *static_cast<fuse_mount::impl*>(fuse_get_context()->private_data)->view; }

int to_errno(const error& e) {
  switch (e.code()) {
    case errc::not_found: return -ENOENT;
    case errc::invalid_input: return -EINVAL;
    default: return -EIO;
  }
}


mode_t kind_of(fs::file_type t) {
  switch (t) {
    case fs::file_type::directory: return S_IFDIR;
    case fs::file_type::symlink: return S_IFLNK;
    case fs::file_type::fifo: return S_IFIFO;
    case fs::file_type::char_device: return S_IFCHR;
    case fs::file_type::block_device: return S_IFBLK;
    case fs::file_type::socket: return S_IFSOCK;
    default: return S_IFREG;
  }
}

void fill_stat(const fs::metadata& m, struct stat* st) {
  std::memset(st, 0, sizeof *st);
  st->st_mode = kind_of(m.type) | (m.mode & 07777);
  st->st_nlink = m.type == fs::file_type::directory ? 2 : 1;
  st->st_uid = m.uid;
  st->st_gid = m.gid;
  st->st_size = static_cast<off_t>(m.size);
  st->st_blocks = static_cast<blkcnt_t>((m.size + 511) / 512);
  st->st_blksize = 4096;
  st->st_rdev = static_cast<dev_t>(m.rdev);
  st->st_mtim = fs::to_timespec(m.mtime_ns);
  st->st_atim = fs::to_timespec(m.atime_ns ? m.atime_ns : m.mtime_ns);
  st->st_ctim = fs::to_timespec(m.ctime_ns ? m.ctime_ns : m.mtime_ns);
}

int op_getattr(const char* path, struct stat* st, struct fuse_file_info*) {
  auto e = view().lookup(path);
  if (!e) return to_errno(e.error());
  fill_stat(e->meta, st);
  return 0;
}

int op_readlink(const char* path, char* buf, size_t size) {
  auto e = view().lookup(path);
  if (!e) return to_errno(e.error());
  if (e->meta.type != fs::file_type::symlink || size == 0) return -EINVAL;
  size_t n = std::min(size - 1, e->meta.link_target.size());
  std::memcpy(buf, e->meta.link_target.data(), n);
  buf[n] = '\0';
  return 0;
}

int op_readdir(const char* path, void* buf, fuse_fill_dir_t filler, off_t, struct fuse_file_info*,
               enum fuse_readdir_flags) {
  auto names = view().list(path);
  if (!names) return to_errno(names.error());
  filler(buf, ".", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  filler(buf, "..", nullptr, 0, static_cast<fuse_fill_dir_flags>(0));
  for (const auto& n : *names)
    if (filler(buf, n.c_str(), nullptr, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) break;
  return 0;
}

int op_open(const char* path, struct fuse_file_info* fi) {
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EROFS;
  auto f = view().open(path);
  if (!f) return to_errno(f.error());
  if (f->checkpoint < 0) fi->direct_io = 1;  // the stats file: its size is not known in advance
  fi->fh = reinterpret_cast<uint64_t>(new open_file(std::move(*f)));
  return 0;
}

int op_read(const char*, char* buf, size_t size, off_t offset, struct fuse_file_info* fi) {
  auto* f = reinterpret_cast<open_file*>(fi->fh);
  if (f->checkpoint < 0) {
    auto text = view().stats_text();
    if (static_cast<size_t>(offset) >= text.size()) return 0;
    size_t n = std::min(size, text.size() - static_cast<size_t>(offset));
    std::memcpy(buf, text.data() + offset, n);
    return static_cast<int>(n);
  }
  auto n = view().read(*f, static_cast<uint64_t>(offset), buf, size);
  if (!n) return to_errno(n.error());
  return static_cast<int>(*n);
}

int op_release(const char*, struct fuse_file_info* fi) {
  delete reinterpret_cast<open_file*>(fi->fh);
  return 0;
}

int op_getxattr(const char* path, const char* name, char* value, size_t size) {
  auto e = view().lookup(path);
  if (!e) return to_errno(e.error());
  for (const auto& x : e->meta.xattrs) {
    if (x.name != name) continue;
    if (size == 0) return static_cast<int>(x.value.size());
    if (size < x.value.size()) return -ERANGE;
    std::memcpy(value, x.value.data(), x.value.size());
    return static_cast<int>(x.value.size());
  }
  return -ENODATA;
}

int op_listxattr(const char* path, char* list, size_t size) {
  auto e = view().lookup(path);
  if (!e) return to_errno(e.error());
  std::string names;
  for (const auto& x : e->meta.xattrs) names.append(x.name).push_back('\0');
  if (size == 0) return static_cast<int>(names.size());
  if (size < names.size()) return -ERANGE;
  std::memcpy(list, names.data(), names.size());
  return static_cast<int>(names.size());
}

void* op_init(struct fuse_conn_info*, struct fuse_config* cfg) {
  // Nothing changes under a read-only mount: let the kernel keep what it learnt.
  cfg->entry_timeout = cfg->attr_timeout = 60;
  cfg->negative_timeout = 60;
  return fuse_get_context()->private_data;
}

struct fuse_operations make_operations() {
  struct fuse_operations ops {};
  ops.init = op_init;
  ops.getattr = op_getattr;
  ops.readlink = op_readlink;
  ops.readdir = op_readdir;
  ops.open = op_open;
  ops.read = op_read;
  ops.release = op_release;
  ops.getxattr = op_getxattr;
  ops.listxattr = op_listxattr;
  return ops;
}

}  // namespace

fuse_mount::fuse_mount(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

fuse_mount::~fuse_mount() {
  if (impl_->fuse) fuse_destroy(impl_->fuse);
}

expected<std::unique_ptr<fuse_mount>> fuse_mount::create(std::shared_ptr<checkpoint_view> view,
                                                         const std::filesystem::path& mountpoint) {
  std::error_code ec;
  if (!std::filesystem::is_directory(mountpoint, ec))
    return fail(errc::invalid_input, mountpoint.string() + ": the mount point must be an existing directory");
  if (::access("/dev/fuse", R_OK | W_OK) != 0)
    return fail(errc::unsupported, "cannot mount: /dev/fuse is not usable here (" + std::string(std::strerror(errno)) + ")");
  auto p = std::make_unique<impl>();
  p->view = std::move(view);
  p->mountpoint = std::filesystem::absolute(mountpoint, ec);
  static const struct fuse_operations ops = make_operations();
  const char* argv[] = {"cairn", "-o", "ro,fsname=cairn,subtype=cairn", nullptr};
  struct fuse_args args = FUSE_ARGS_INIT(3, const_cast<char**>(argv));
  p->fuse = fuse_new(&args, &ops, sizeof ops, p.get());
  if (!p->fuse) return fail(errc::io, "cannot start FUSE");
  if (::fuse_mount(p->fuse, p->mountpoint.c_str()) != 0) {
    fuse_destroy(p->fuse);
    p->fuse = nullptr;
    return fail(errc::io, "cannot mount at " + p->mountpoint.string() + " (is it empty, and is fusermount3 installed?)");
  }
  return std::unique_ptr<fuse_mount>(new fuse_mount(std::move(p)));
}

status fuse_mount::run() {
  // One thread: requests are served in order; signals stay blocked here and
  // are handled by the caller, which calls stop().
  int r = fuse_loop(impl_->fuse);
  fuse_unmount(impl_->fuse);
  if (r != 0 && !impl_->stopping && r != -ENODEV)
    return fail(errc::io, "the FUSE session at " + impl_->mountpoint.string() + " failed: " + std::strerror(r < 0 ? -r : r));
  return {};
}

void fuse_mount::stop() {
  if (impl_->stopping.exchange(true)) return;
  // Detaching the mount ends the session: the kernel answers the loop's next read with ENODEV.
  if (::umount2(impl_->mountpoint.c_str(), MNT_DETACH) == 0) return;
  pid_t pid = 0;
  const char* argv[] = {"fusermount3", "-u", "-z", impl_->mountpoint.c_str(), nullptr};
  if (posix_spawnp(&pid, "fusermount3", nullptr, nullptr, const_cast<char**>(argv), environ) == 0)
    ::waitpid(pid, nullptr, 0);
}

}  // namespace cairn::mount
