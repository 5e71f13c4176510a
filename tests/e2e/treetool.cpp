// treetool: test helper for Cairn's end-to-end tests. "gen" builds a directory tree with
// every kind of metadata, "compare" checks two trees bit for bit and stat for stat.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// ---------------------------------------------------------------------------
// Errors, escaping and small POSIX wrappers

struct io_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Length of the valid UTF-8 multi-byte sequence starting at s[i], or 0.
std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  if (lead >= 0xc2 && lead <= 0xdf) n = 2;
  else if (lead >= 0xe0 && lead <= 0xef) n = 3;
  else if (lead >= 0xf0 && lead <= 0xf4) n = 4;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (c < 0x80 || c > 0xbf) return 0;
  }
  return n;
}

// Printable form of raw bytes: valid UTF-8 is kept, control and invalid bytes
// become \xNN, newline \n, tab \t and backslash \\.
std::string escape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (const std::size_t n = utf8_sequence_length(s, i); n > 0) {
      out.append(s, i, n);
      i += n;
      continue;
    }
    const auto c = static_cast<unsigned char>(s[i++]);
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\\') out += "\\\\";
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out;
}

[[noreturn]] void fail(const std::string& what, const std::string& path, int err = errno) {
  throw io_error(what + " " + escape(path) + ": " + std::strerror(err));
}

struct fd_guard {
  int fd;
  explicit fd_guard(int f) : fd(f) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

struct stat lstat_or_fail(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) fail("lstat", path);
  return st;
}

void pwrite_all(int fd, const char* data, std::size_t n, off_t offset, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, data, n, offset);
    if (w < 0) {
      if (errno == EINTR) continue;
      fail("write", path);
    }
    data += w;
    n -= static_cast<std::size_t>(w);
    offset += w;
  }
}

// Reads until the buffer is full or EOF; returns the number of bytes read.
std::size_t read_full(int fd, char* buf, std::size_t n, const std::string& path) {
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("read", path);
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return got;
}

std::string read_link(const std::string& path) {
  std::vector<char> buf(256);
  for (;;) {
    const ssize_t n = ::readlink(path.c_str(), buf.data(), buf.size());
    if (n < 0) fail("readlink", path);
    if (static_cast<std::size_t>(n) < buf.size()) return std::string(buf.data(), n);
    buf.resize(buf.size() * 2);
  }
}

// Entry names of a directory, without "." and "..".
std::vector<std::string> list_dir(const std::string& path) {
  DIR* d = ::opendir(path.c_str());
  if (!d) fail("opendir", path);
  std::vector<std::string> names;
  for (;;) {
    errno = 0;
    const dirent* e = ::readdir(d);
    if (!e) break;
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) fail("readdir", path, err);
  return names;
}

std::string type_name(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFREG: return "file";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "symlink";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chardev";
    case S_IFBLK: return "blockdev";
    case S_IFSOCK: return "socket";
    default: return "unknown";
  }
}

std::string octal_mode(mode_t mode) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string format_time(const timespec& ts) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09ld", static_cast<long long>(ts.tv_sec), ts.tv_nsec);
  return buf;
}

long long time_ns(const timespec& ts) {
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::uint64_t parse_number(const std::string& text, const std::string& option) {
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || text[0] == '-')
    throw usage_error("bad number for " + option + ": " + text);
  return v;
}

// ---------------------------------------------------------------------------
// gen: deterministic tree generator

struct splitmix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void fill(char* buf, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 8) {
      const std::uint64_t v = next();
      std::memcpy(buf + i, &v, std::min<std::size_t>(8, n - i));
    }
  }
};

enum class kind { file, dir, symlink, other };

// One created inode; mode/owner/times are applied in finish() once everything exists.
struct planned {
  std::string rel;
  kind k;
  mode_t mode;
  bool chown = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

class generator {
 public:
  generator(std::string root, std::uint64_t seed, std::uint64_t big_mib)
      : root_(std::move(root)), rng_{seed}, big_mib_(big_mib), as_root_(::geteuid() == 0) {}

  std::size_t run() {
    prepare_root();
    make_sized_files();
    make_hierarchy();
    make_modes();
    make_symlinks();
    make_hardlinks();
    make_sparse();
    make_xattrs();
    make_odd_names();
    make_specials();
    if (as_root_) make_owned();
    finish();
    return entries_.size() + extra_names_;
  }

 private:
  std::string root_;
  splitmix64 rng_;
  std::uint64_t big_mib_;
  bool as_root_;
  std::vector<planned> entries_;
  std::size_t extra_names_ = 0;  // additional hard-link names

  std::string path(const std::string& rel) const { return root_ + "/" + rel; }

  void add(const std::string& rel, kind k, mode_t mode) { entries_.push_back(planned{rel, k, mode}); }

  void prepare_root() {
    if (::mkdir(root_.c_str(), 0755) == 0) return;
    if (errno != EEXIST) fail("mkdir", root_);
    if (!list_dir(root_).empty()) throw usage_error(escape(root_) + " exists and is not empty");
  }

  void dir(const std::string& rel, mode_t mode) {
    if (::mkdir(path(rel).c_str(), 0700) != 0) fail("mkdir", path(rel));
    add(rel, kind::dir, mode);
  }

  // Creates a file whose content comes from successive fill(buffer, length) calls.
  template <typename Fill>
  void file(const std::string& rel, std::uint64_t size, mode_t mode, Fill fill) {
    const std::string p = path(rel);
    const fd_guard fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.fd < 0) fail("create", p);
    std::vector<char> buf(std::min<std::uint64_t>(size, kMiB));
    for (std::uint64_t off = 0; off < size; off += buf.size()) {
      const std::size_t n = std::min<std::uint64_t>(buf.size(), size - off);
      fill(buf.data(), n);
      pwrite_all(fd.fd, buf.data(), n, static_cast<off_t>(off), p);
    }
    add(rel, kind::file, mode);
  }

  void random_file(const std::string& rel, std::uint64_t size, mode_t mode) {
    file(rel, size, mode, [this](char* b, std::size_t n) { rng_.fill(b, n); });
  }

  void text_file(const std::string& rel, const std::string& text, mode_t mode) {
    std::size_t pos = 0;
    file(rel, text.size(), mode, [&](char* b, std::size_t n) {
      std::memcpy(b, text.data() + pos, n);
      pos += n;
    });
  }

  void symlink(const std::string& target, const std::string& rel) {
    if (::symlink(target.c_str(), path(rel).c_str()) != 0) fail("symlink", path(rel));
    add(rel, kind::symlink, 0);
  }

  void hardlink(const std::string& existing, const std::string& rel) {
    if (::link(path(existing).c_str(), path(rel).c_str()) != 0) fail("link", path(rel));
    ++extra_names_;
  }

  // Returns false when the filesystem refuses (only tolerated where allowed).
  bool xattr(const std::string& rel, const std::string& name, const std::string& value) {
    return ::lsetxattr(path(rel).c_str(), name.c_str(), value.data(), value.size(), 0) == 0;
  }

  void make_sized_files() {
    dir("files", 0755);
    random_file("files/size-0", 0, 0644);
    random_file("files/size-1", 1, 0600);
    random_file("files/size-100", 100, 0644);
    random_file("files/size-4095", 4095, 0755);
    random_file("files/size-4096", 4096, 0700);
    random_file("files/size-65537", 65537, 0444);
    random_file("files/size-1MiB+3", kMiB + 3, 0644);
    random_file("files/big-random", big_mib_ * kMiB, 0644);
    std::string text;
    for (int i = 0; text.size() < 3 * kMiB; ++i)
      text += "line " + std::to_string(i) + ": the quick brown fox jumps over the lazy dog " +
              std::to_string(i % 97) + "\n";
    text_file("files/compressible.txt", text, 0644);
  }

  void make_hierarchy() {
    dir("nested", 0755);
    std::string rel = "nested";
    for (int level = 1; level <= 6; ++level) {
      rel += "/level" + std::to_string(level);
      dir(rel, level % 2 ? 0755 : 0750);
      for (int i = 0; i < 5; ++i)
        random_file(rel + "/small-" + std::to_string(i), rng_.next() % 3000, i % 2 ? 0640 : 0644);
    }
    dir("nested/side", 0755);
    dir("nested/side/branch", 0711);
    for (int i = 0; i < 6; ++i)
      random_file("nested/side/branch/leaf-" + std::to_string(i), rng_.next() % 10000, 0644);
    dir("empty", 0755);
    dir("nested/level1/empty-inner", 0700);
  }

  void make_modes() {
    dir("modes", 0755);
    random_file("modes/setuid", 200, 04755);
    random_file("modes/setgid", 200, 02755);
    random_file("modes/read-only", 50, 0444);
    dir("modes/sticky", 01777);
    random_file("modes/sticky/inside", 10, 0666);
    dir("modes/readonly-dir", 0555);  // chmod happens in finish(), after its children exist
    random_file("modes/readonly-dir/child", 300, 0644);
    dir("modes/readonly-dir/sub", 0755);
    random_file("modes/readonly-dir/sub/grandchild", 30, 0600);
  }

  void make_symlinks() {
    dir("links", 0755);
    symlink("../files/size-100", "links/relative");
    symlink("/etc/hostname", "links/absolute");
    symlink("no/such/target", "links/dangling");
    symlink("../nested/level1", "links/to-dir");
  }

  void make_hardlinks() {
    dir("hard", 0755);
    random_file("hard/three-names", 5000, 0644);
    hardlink("hard/three-names", "links/three-names-second");
    hardlink("hard/three-names", "nested/level1/level2/three-names-third");
    random_file("hard/pair-a", 700, 0600);
    hardlink("hard/pair-a", "hard/pair-b");
  }

  void make_sparse() {
    const std::string rel = "files/sparse-64MiB";
    const std::string p = path(rel);
    const fd_guard fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.fd < 0) fail("create", p);
    const off_t size = 64 * kMiB;
    std::vector<char> block(4096);
    for (const off_t off : {off_t{0}, off_t(32 * kMiB), size - off_t(block.size())}) {
      rng_.fill(block.data(), block.size());
      pwrite_all(fd.fd, block.data(), block.size(), off, p);
    }
    if (::ftruncate(fd.fd, size) != 0) fail("ftruncate", p);
    add(rel, kind::file, 0644);
  }

  void make_xattrs() {
    const std::string file = "files/size-100";
    std::string binary(300, '\0');
    rng_.fill(binary.data(), binary.size());
    const std::pair<std::string, std::string> attrs[] = {
        {"user.plain", "hello"},
        {"user.with-nul", std::string("a\0b\x01", 4)},
        {"user.empty", ""},
        {"user.binary", binary},
    };
    for (const auto& [name, value] : attrs) {
      if (xattr(file, name, value)) continue;
      if (errno != ENOTSUP && errno != EOPNOTSUPP) fail("lsetxattr", path(file));
      std::fprintf(stderr, "treetool: warning: xattrs not supported here, skipping them\n");
      return;
    }
    if (!xattr("nested", "user.dir-attr", "on a directory")) fail("lsetxattr", path("nested"));
    if (!xattr("links/relative", "user.link-attr", "on a symlink") && errno != EPERM &&
        errno != ENOTSUP && errno != EOPNOTSUPP)
      fail("lsetxattr", path("links/relative"));
  }

  void make_odd_names() {
    dir("names", 0755);
    const std::string names[] = {
        "with spaces in it", "new\nline", "tab\there",      "-leading-dash",
        "ünïcødé-文件",       "\xff\xfe-bytes", std::string(255, 'L'), ".dotfile",
    };
    for (const auto& name : names) random_file("names/" + name, name.size(), 0644);
    dir("names/dir with spaces", 0755);
    random_file("names/dir with spaces/-x", 12, 0644);
  }

  void make_specials() {
    dir("special", 0755);
    if (::mkfifo(path("special/fifo").c_str(), 0600) != 0) fail("mkfifo", path("special/fifo"));
    add("special/fifo", kind::other, 0640);
    if (!as_root_) return;
    if (::mknod(path("special/null").c_str(), S_IFCHR | 0600, makedev(1, 3)) != 0) {
      std::fprintf(stderr, "treetool: warning: mknod failed (%s), no device node\n", std::strerror(errno));
      return;
    }
    add("special/null", kind::other, 0666);
  }

  void make_owned() {
    dir("owned", 0755);
    random_file("owned/by-1234", 123, 0640);
    owned_by(1234, 5678);
    dir("owned/dir-4321", 0750);
    owned_by(4321, 8765);
    random_file("owned/dir-4321/inner", 321, 04750);  // setuid must survive the chown
    owned_by(4321, 8765);
    symlink("by-1234", "owned/link-1234");
    owned_by(1234, 5678);
  }

  // Marks the most recently created entry for lchown in finish().
  void owned_by(uid_t uid, gid_t gid) {
    entries_.back().chown = true;
    entries_.back().uid = uid;
    entries_.back().gid = gid;
  }

  // Owners first (chown clears setuid), then modes, then times; deepest paths first
  // so that directory times are set after everything inside them.
  void finish() {
    std::vector<std::size_t> order(entries_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    const auto depth = [this](std::size_t i) {
      return std::count(entries_[i].rel.begin(), entries_[i].rel.end(), '/');
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return depth(a) > depth(b); });
    for (const auto& e : entries_)
      if (e.chown && ::lchown(path(e.rel).c_str(), e.uid, e.gid) != 0) fail("lchown", path(e.rel));
    for (const std::size_t i : order)
      if (entries_[i].k != kind::symlink && ::chmod(path(entries_[i].rel).c_str(), entries_[i].mode) != 0)
        fail("chmod", path(entries_[i].rel));
    for (const std::size_t i : order) set_times(path(entries_[i].rel), i + 1);
    set_times(root_, 0);
  }

  // atimes lie in the future (2036, still 32-bit safe): on relatime mounts the kernel
  // then never bumps them when a file is read, so copies keep comparing equal.
  static void set_times(const std::string& p, std::size_t i) {
    const auto n = static_cast<long long>(i);
    timespec ts[2];
    ts[0] = {static_cast<time_t>(2100000000 + n), static_cast<long>((n * 104729) % 1000000000)};
    ts[1] = {static_cast<time_t>(1600000000 + n), static_cast<long>((n * 7919) % 1000000000)};
    if (::utimensat(AT_FDCWD, p.c_str(), ts, AT_SYMLINK_NOFOLLOW) != 0) fail("utimensat", p);
  }
};

// ---------------------------------------------------------------------------
// compare: scan both trees, then diff entry by entry

struct node {
  struct stat st {};
  std::string target;                         // symlinks only
  std::map<std::string, std::string> xattrs;  // without security.* and system.*
};

using tree = std::map<std::string, node>;  // key: path relative to the root ("" = root)

std::vector<std::string> split_names(const std::vector<char>& buf, std::size_t len) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < len;) {
    const std::string name(buf.data() + i);
    i += name.size() + 1;
    if (name.rfind("security.", 0) != 0 && name.rfind("system.", 0) != 0) names.push_back(name);
  }
  return names;
}

// Returns false if the attribute disappeared meanwhile.
bool get_xattr(const std::string& path, const std::string& name, std::string& value) {
  for (;;) {
    const ssize_t size = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (size < 0 && errno == ENODATA) return false;
    if (size < 0) fail("lgetxattr " + name, path);
    value.assign(static_cast<std::size_t>(size), '\0');
    const ssize_t got = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (got >= 0) return value.resize(static_cast<std::size_t>(got)), true;
    if (errno != ERANGE) fail("lgetxattr " + name, path);
  }
}

std::map<std::string, std::string> read_xattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  std::vector<char> buf;
  ssize_t len = 0;
  for (;;) {
    len = ::llistxattr(path.c_str(), nullptr, 0);
    if (len < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) return out;
    if (len < 0) fail("llistxattr", path);
    buf.resize(static_cast<std::size_t>(len) + 1);
    len = ::llistxattr(path.c_str(), buf.data(), buf.size());
    if (len >= 0) break;
    if (errno != ERANGE) fail("llistxattr", path);
  }
  for (const auto& name : split_names(buf, static_cast<std::size_t>(len))) {
    std::string value;
    if (get_xattr(path, name, value)) out[name] = value;
  }
  return out;
}

std::string join(const std::string& root, const std::string& rel) {
  return rel.empty() ? root : root + "/" + rel;
}

void scan(const std::string& root, const std::string& rel, tree& out) {
  const std::string p = join(root, rel);
  node& n = out[rel];
  n.st = lstat_or_fail(p);
  if (S_ISLNK(n.st.st_mode)) n.target = read_link(p);
  n.xattrs = read_xattrs(p);
  if (!S_ISDIR(n.st.st_mode)) return;
  for (const auto& name : list_dir(p)) scan(root, rel.empty() ? name : rel + "/" + name, out);
}

// For every non-directory: the sorted list of paths sharing its inode.
std::map<std::string, std::vector<std::string>> link_groups(const tree& t) {
  std::map<std::pair<dev_t, ino_t>, std::vector<std::string>> by_inode;
  for (const auto& [rel, n] : t)
    if (!S_ISDIR(n.st.st_mode)) by_inode[{n.st.st_dev, n.st.st_ino}].push_back(rel);
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, paths] : by_inode)
    for (const auto& rel : paths) out[rel] = paths;  // std::map iteration keeps them sorted
  return out;
}

int open_for_reading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
  if (fd < 0 && errno == EPERM)  // O_NOATIME needs ownership or CAP_FOWNER
    fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail("open", path);
  return fd;
}

// Offset of the first differing byte, or -1 if the contents are equal.
long long first_difference(const std::string& pa, const std::string& pb) {
  const fd_guard a(open_for_reading(pa));
  const fd_guard b(open_for_reading(pb));
  std::vector<char> ba(kMiB), bb(kMiB);
  for (long long offset = 0;;) {
    const std::size_t na = read_full(a.fd, ba.data(), ba.size(), pa);
    const std::size_t nb = read_full(b.fd, bb.data(), bb.size(), pb);
    const std::size_t n = std::min(na, nb);
    const auto mismatch = std::mismatch(ba.begin(), ba.begin() + n, bb.begin());
    if (mismatch.first != ba.begin() + n) return offset + (mismatch.first - ba.begin());
    if (na != nb) return offset + static_cast<long long>(n);
    if (na == 0) return -1;
    offset += static_cast<long long>(na);
  }
}

struct compare_options {
  bool owner = true;
  bool atime = true;
};

class comparer {
 public:
  comparer(std::string root_a, std::string root_b, compare_options opt)
      : root_a_(std::move(root_a)), root_b_(std::move(root_b)), opt_(opt) {}

  // Returns the number of differences; `entries` receives the union size without the root.
  std::size_t run(std::size_t& entries) {
    for (const auto& root : {root_a_, root_b_})
      if (!S_ISDIR(lstat_or_fail(root).st_mode)) throw io_error(escape(root) + " is not a directory");
    scan(root_a_, "", a_);
    scan(root_b_, "", b_);
    links_a_ = link_groups(a_);
    links_b_ = link_groups(b_);
    std::set<std::string> all;
    for (const auto& [rel, n] : a_) all.insert(rel);
    for (const auto& [rel, n] : b_) all.insert(rel);
    for (const auto& rel : all) compare_path(rel);
    entries = all.size() - 1;
    return diffs_;
  }

 private:
  std::string root_a_, root_b_;
  compare_options opt_;
  tree a_, b_;
  std::map<std::string, std::vector<std::string>> links_a_, links_b_;
  std::size_t diffs_ = 0;

  void report(const std::string& rel, const std::string& what) {
    std::printf("DIFF %s: %s\n", rel.empty() ? "." : escape(rel).c_str(), what.c_str());
    ++diffs_;
  }

  template <typename T>
  void check(const std::string& rel, const char* what, const T& a, const T& b) {
    if (a != b) report(rel, std::string(what) + " " + a + " != " + b);
  }

  void compare_path(const std::string& rel) {
    const auto ia = a_.find(rel);
    const auto ib = b_.find(rel);
    if (ib == b_.end()) return report(rel, "only in A (" + type_name(ia->second.st.st_mode) + ")");
    if (ia == a_.end()) return report(rel, "only in B (" + type_name(ib->second.st.st_mode) + ")");
    const struct stat& sa = ia->second.st;
    const struct stat& sb = ib->second.st;
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT))
      return check(rel, "type", type_name(sa.st_mode), type_name(sb.st_mode));
    compare_stat(rel, sa, sb);
    compare_xattrs(rel, ia->second.xattrs, ib->second.xattrs);
    if (S_ISLNK(sa.st_mode))
      check(rel, "symlink target", "'" + escape(ia->second.target) + "'", "'" + escape(ib->second.target) + "'");
    if (S_ISREG(sa.st_mode)) compare_file(rel, sa, sb);
    if (!S_ISDIR(sa.st_mode)) check(rel, "hard links", describe(links_a_[rel]), describe(links_b_[rel]));
  }

  void compare_stat(const std::string& rel, const struct stat& sa, const struct stat& sb) {
    if (!S_ISLNK(sa.st_mode)) check(rel, "mode", octal_mode(sa.st_mode), octal_mode(sb.st_mode));
    if (opt_.owner) {
      check(rel, "uid", std::to_string(sa.st_uid), std::to_string(sb.st_uid));
      check(rel, "gid", std::to_string(sa.st_gid), std::to_string(sb.st_gid));
    }
    if (S_ISREG(sa.st_mode) || S_ISLNK(sa.st_mode))
      check(rel, "size", std::to_string(sa.st_size), std::to_string(sb.st_size));
    if (S_ISCHR(sa.st_mode) || S_ISBLK(sa.st_mode))
      check(rel, "rdev", device(sa.st_rdev), device(sb.st_rdev));
    if (!rel.empty()) check(rel, "mtime", format_time(sa.st_mtim), format_time(sb.st_mtim));
    if (opt_.atime && S_ISREG(sa.st_mode))
      check(rel, "atime", format_time(sa.st_atim), format_time(sb.st_atim));
  }

  void compare_file(const std::string& rel, const struct stat& sa, const struct stat& sb) {
    if (sa.st_size == sb.st_size) {
      const long long at = first_difference(join(root_a_, rel), join(root_b_, rel));
      if (at >= 0) report(rel, "content differs at offset " + std::to_string(at));
    }
    const long long alloc_a = static_cast<long long>(sa.st_blocks) * 512;
    const long long alloc_b = static_cast<long long>(sb.st_blocks) * 512;
    if (sa.st_size >= static_cast<off_t>(kMiB) && alloc_b > alloc_a + static_cast<long long>(kMiB))
      report(rel, "allocated " + std::to_string(alloc_a) + " != " + std::to_string(alloc_b) +
                      " (more than 1 MiB extra: holes not preserved)");
  }

  void compare_xattrs(const std::string& rel, const std::map<std::string, std::string>& xa,
                      const std::map<std::string, std::string>& xb) {
    for (const auto& [name, value] : xa) {
      const auto it = xb.find(name);
      if (it == xb.end()) report(rel, "xattr " + escape(name) + " only in A");
      else check(rel, ("xattr " + escape(name)).c_str(), show_value(value), show_value(it->second));
    }
    for (const auto& [name, value] : xb)
      if (!xa.count(name)) report(rel, "xattr " + escape(name) + " only in B");
  }

  // Printable ASCII values are quoted, anything else is shown as (truncated) hex.
  static std::string show_value(const std::string& v) {
    if (std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) return "'" + v + "'";
    std::string out = "hex:";
    char buf[4];
    for (std::size_t i = 0; i < std::min<std::size_t>(v.size(), 32); ++i) {
      std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned char>(v[i]));
      out += buf;
    }
    return v.size() > 32 ? out + "...(" + std::to_string(v.size()) + " bytes)" : out;
  }

  static std::string device(dev_t d) {
    return std::to_string(major(d)) + ":" + std::to_string(minor(d));
  }

  static std::string describe(const std::vector<std::string>& paths) {
    std::string out = "[";
    for (const auto& p : paths) out += (out.size() > 1 ? ", " : "") + escape(p);
    return out + "]";
  }
};

// ---------------------------------------------------------------------------
// Command line

constexpr const char* kUsage =
    "usage: treetool gen DIR [--seed N] [--big-mib M]\n"
    "       treetool compare A B [--no-owner] [--no-atime]\n"
    "       treetool stat PATH\n";

int cmd_gen(const std::vector<std::string>& args) {
  std::string dir;
  std::uint64_t seed = 1, big_mib = 20;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--seed" || args[i] == "--big-mib") && i + 1 < args.size())
      (args[i] == "--seed" ? seed : big_mib) = parse_number(args[i + 1], args[i]), ++i;
    else if (dir.empty() && !args[i].empty() && args[i].rfind("--", 0) != 0) dir = args[i];
    else throw usage_error("unexpected argument: " + escape(args[i]));
  }
  if (dir.empty()) throw usage_error("gen needs DIR");
  ::umask(022);
  const std::size_t n = generator(dir, seed, big_mib).run();
  std::printf("generated %zu entries in %s\n", n, escape(dir).c_str());
  return 0;
}

int cmd_compare(const std::vector<std::string>& args) {
  std::vector<std::string> roots;
  compare_options opt;
  for (const auto& a : args) {
    if (a == "--no-owner") opt.owner = false;
    else if (a == "--no-atime") opt.atime = false;
    else if (a.rfind("--", 0) != 0 && roots.size() < 2) roots.push_back(a);
    else throw usage_error("unexpected argument: " + escape(a));
  }
  if (roots.size() != 2) throw usage_error("compare needs A and B");
  std::size_t entries = 0;
  const std::size_t diffs = comparer(roots[0], roots[1], opt).run(entries);
  if (diffs > 0) {
    std::fprintf(stderr, "treetool: %zu differences\n", diffs);
    return 1;
  }
  std::printf("identical: %zu entries\n", entries);
  return 0;
}

int cmd_stat(const std::vector<std::string>& args) {
  if (args.size() != 1) throw usage_error("stat needs exactly one PATH");
  const struct stat st = lstat_or_fail(args[0]);
  std::printf("type=%s mode=%s uid=%u gid=%u size=%lld alloc=%lld mtime_ns=%lld nlink=%llu\n",
              type_name(st.st_mode).c_str(), octal_mode(st.st_mode).c_str(), static_cast<unsigned>(st.st_uid),
              static_cast<unsigned>(st.st_gid), static_cast<long long>(st.st_size),
              static_cast<long long>(st.st_blocks) * 512, time_ns(st.st_mtim),
              static_cast<unsigned long long>(st.st_nlink));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + std::min(argc, 2), argv + argc);
  const std::string cmd = argc >= 2 ? argv[1] : "";
  try {
    if (cmd == "gen") return cmd_gen(args);
    if (cmd == "compare") return cmd_compare(args);
    if (cmd == "stat") return cmd_stat(args);
    throw usage_error(cmd.empty() ? "missing command" : "unknown command: " + escape(cmd));
  } catch (const usage_error& e) {
    std::fprintf(stderr, "treetool: %s\n%s", e.what(), kUsage);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "treetool: %s\n", e.what());
  }
  return 2;
}
