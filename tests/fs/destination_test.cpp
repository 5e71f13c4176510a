#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fs/destination.hpp"
#include "fs/metadata.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;
namespace stdfs = std::filesystem;

namespace {

std::string read_file(const stdfs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every path below `dir` with its type, size, mode and mtime: a victim
// directory must look the same after a hostile restore.
std::string snapshot(const stdfs::path& dir) {
  std::string out;
  for (auto it = stdfs::recursive_directory_iterator(dir); it != stdfs::recursive_directory_iterator(); ++it) {
    struct stat st {};
    ::lstat(it->path().c_str(), &st);
    out += it->path().string() + " " + std::to_string(st.st_mode) + " " + std::to_string(st.st_size) + " " +
           std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "\n";
  }
  return out;
}

metadata regular(uint32_t mode) {
  metadata m;
  m.type = file_type::regular;
  m.mode = mode;
  m.mtime_ns = 1'500'000'000'000'000'001;
  m.uid = ::getuid();
  m.gid = ::getgid();
  return m;
}

}  // namespace

TEST_CASE("destination: a symlink in the way of a directory is replaced, never followed") {
  testing::temp_dir dir;
  stdfs::create_directories(dir / "victim");
  std::ofstream((dir / "victim" / "keep").string()) << "precious";
  stdfs::create_directories(dir / "dest" / "src");
  stdfs::create_directory_symlink(dir / "victim", dir / "dest" / "src" / "big");
  auto before = snapshot(dir / "victim");

  auto dest = destination::open(dir / "dest");
  REQUIRE(dest);
  auto big = (*dest)->directory("src/big/deeper", true);
  REQUIRE(big);
  identity id;
  auto fd = (*dest)->create_temp(**big, "t", &id);
  REQUIRE(fd);
  REQUIRE(write_at(*fd, 0, byte_view(reinterpret_cast<const uint8_t*>("new"), 3), "t"));
  ::close(*fd);
  REQUIRE((*dest)->commit(**big, "t", "keep"));

  CHECK(stdfs::is_directory(stdfs::symlink_status(dir / "dest" / "src" / "big")));
  CHECK(read_file(dir / "dest" / "src" / "big" / "deeper" / "keep") == "new");
  CHECK(snapshot(dir / "victim") == before);
}

TEST_CASE("destination: without create, a symlinked directory is not found") {
  testing::temp_dir dir;
  stdfs::create_directories(dir / "victim");
  stdfs::create_directories(dir / "dest");
  stdfs::create_directory_symlink(dir / "victim", dir / "dest" / "a");
  auto dest = destination::open(dir / "dest");
  REQUIRE(dest);
  CHECK_FALSE((*dest)->directory("a", false));
}

TEST_CASE("destination: a file committed over a hard link to an outside file leaves it alone") {
  testing::temp_dir dir;
  stdfs::create_directories(dir / "victim");
  stdfs::create_directories(dir / "dest");
  std::ofstream((dir / "victim" / "f").string()) << "precious";
  stdfs::create_hard_link(dir / "victim" / "f", dir / "dest" / "f");
  auto before = snapshot(dir / "victim");

  auto dest = destination::open(dir / "dest");
  REQUIRE(dest);
  auto root = (*dest)->directory("", true);
  REQUIRE(root);
  // An older copy with other links is never read as one nor written into.
  CHECK_FALSE((*dest)->open_existing(**root, "f", nullptr));
  identity id;
  auto fd = (*dest)->create_temp(**root, ".tmp-1", &id);
  REQUIRE(fd);
  ::close(*fd);
  REQUIRE((*dest)->commit(**root, ".tmp-1", "f"));
  REQUIRE((*dest)->apply_metadata(**root, "f", id, regular(04755), {}));
  CHECK(read_file(dir / "victim" / "f") == "precious");
  CHECK(snapshot(dir / "victim") == before);
  struct stat st {};
  REQUIRE(::stat((dir / "victim" / "f").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) != 04755);
}

TEST_CASE("destination: metadata goes only to the inode restore made") {
  testing::temp_dir dir;
  stdfs::create_directories(dir / "victim");
  stdfs::create_directories(dir / "dest");
  std::ofstream((dir / "victim" / "f").string()) << "precious";
  ::chmod((dir / "victim" / "f").c_str(), 0600);
  auto dest = destination::open(dir / "dest");
  REQUIRE(dest);
  auto root = (*dest)->directory("", true);
  REQUIRE(root);
  identity id;
  auto fd = (*dest)->create_temp(**root, "t", &id);
  REQUIRE(fd);
  ::close(*fd);
  REQUIRE((*dest)->commit(**root, "t", "f"));
  // Swapped for a hard link to an outside file, then for a symlink to it.
  stdfs::remove(dir / "dest" / "f");
  stdfs::create_hard_link(dir / "victim" / "f", dir / "dest" / "f");
  CHECK_FALSE((*dest)->apply_metadata(**root, "f", id, regular(04777), {}));
  stdfs::remove(dir / "dest" / "f");
  stdfs::create_symlink(dir / "victim" / "f", dir / "dest" / "f");
  CHECK_FALSE((*dest)->apply_metadata(**root, "f", id, regular(04777), {}));
  CHECK_FALSE((*dest)->open_for_write(**root, "f", id));
  struct stat st {};
  REQUIRE(::stat((dir / "victim" / "f").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
}

TEST_CASE("destination: files with holes and metadata are recreated") {
  testing::temp_dir dir;
  auto dest = destination::open(dir / "dest");
  REQUIRE(dest);
  auto root = (*dest)->directory("", true);
  REQUIRE(root);
  identity id;
  auto fd = (*dest)->create_temp(**root, "t", &id);
  REQUIRE(fd);
  byte_buffer data(4096, 'x');
  REQUIRE(write_sparse(*fd, 10 << 20, data, "sparse"));
  REQUIRE(::ftruncate(*fd, 20 << 20) == 0);
  ::close(*fd);
  REQUIRE((*dest)->commit(**root, "t", "sparse"));
  auto path = (dir / "dest" / "sparse").string();
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(st.st_size == 20 << 20);
  CHECK(st.st_blocks * 512 < 1 << 20);  // still sparse

  auto m = regular(02640);
  m.atime_ns = 1'400'000'000'000'000'000;
  REQUIRE((*dest)->apply_metadata(**root, "sparse", id, m, {}));
  auto back = read_metadata(path);
  CHECK(back->mode == 02640);
  CHECK(back->mtime_ns == m.mtime_ns);
  CHECK(back->atime_ns == m.atime_ns);
}

TEST_CASE("destination: a directory in the way of a file is removed without following its symlinks") {
  testing::temp_dir dir;
  stdfs::create_directories(dir / "victim" / "sub");
  std::ofstream((dir / "victim" / "sub" / "x").string()) << "precious";
  stdfs::create_directories(dir / "dest" / "f" / "a" / "b");
  stdfs::create_directory_symlink(dir / "victim", dir / "dest" / "f" / "a" / "link");
  std::ofstream((dir / "dest" / "f" / "a" / "b" / "file").string()) << "old";
  auto before = snapshot(dir / "victim");
  auto dest = destination::open(dir / "dest");
  REQUIRE(dest);
  auto root = (*dest)->directory("", true);
  REQUIRE(root);
  identity id;
  auto fd = (*dest)->create_temp(**root, "t", &id);
  REQUIRE(fd);
  ::close(*fd);
  REQUIRE((*dest)->commit(**root, "t", "f"));
  CHECK(stdfs::is_regular_file(stdfs::symlink_status(dir / "dest" / "f")));
  CHECK(snapshot(dir / "victim") == before);
}

TEST_CASE("destination: unsafe names are refused") {
  for (std::string name : {std::string(), std::string("."), std::string(".."), std::string("a/b"), std::string("a\0b", 3)})
    CHECK_FALSE(is_plain_name(name));
  for (std::string name : {"a", "...", ".hidden", "with space", "\xff"}) CHECK(is_plain_name(name));
}
