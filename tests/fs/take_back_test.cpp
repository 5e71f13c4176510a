#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fs/take_back.hpp"

using namespace cairn;
namespace stdfs = std::filesystem;

namespace {

struct temp_tree {
  stdfs::path top;
  temp_tree() {
    std::string t = (stdfs::temp_directory_path() / "cairn-take-back.XXXXXX").string();
    REQUIRE(::mkdtemp(t.data()));
    top = t;
  }
  ~temp_tree() {
    std::error_code ec;
    stdfs::remove_all(top, ec);
  }
};

mode_t mode_of(const stdfs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("take_back: folders lose group and other write from the top down: files and symlinks stay") {
  temp_tree t;
  stdfs::create_directories(t.top / "a" / "b" / "c");
  std::ofstream(t.top / "a" / "b" / "file") << "x";
  stdfs::create_directory_symlink("/etc", t.top / "a" / "link");
  ::chmod(t.top.c_str(), 0777);
  for (const char* d : {"a", "a/b", "a/b/c"}) ::chmod((t.top / d).c_str(), 0777);
  ::chmod((t.top / "a" / "b" / "file").c_str(), 0666);
  REQUIRE(fs::take_back(t.top, ::geteuid(), ::getegid()));
  CHECK(mode_of(t.top) == 0700);
  for (const char* d : {"a", "a/b", "a/b/c"}) CHECK(mode_of(t.top / d) == 0755);
  CHECK(mode_of(t.top / "a" / "b" / "file") == 0666);
  CHECK(stdfs::is_symlink(t.top / "a" / "link"));
}

TEST_CASE("take_back: a symlink at the top, or a tree past the limits, is refused in one line") {
  temp_tree t;
  stdfs::create_directories(t.top / "real" / "x" / "y");
  stdfs::create_directory_symlink(t.top / "real", t.top / "link");
  auto link = fs::take_back(t.top / "link", ::geteuid(), ::getegid());
  REQUIRE_FALSE(link);
  CHECK(link.error().message().find((t.top / "link").string()) != std::string::npos);
  auto deep = fs::take_back(t.top / "real", ::geteuid(), ::getegid(), {1, 100});
  REQUIRE_FALSE(deep);
  CHECK(deep.error().message() == "cannot take back " + (t.top / "real" / "x" / "y").string() + ": deeper than 1 folders");
  auto many = fs::take_back(t.top / "real", ::geteuid(), ::getegid(), {10, 1});
  REQUIRE_FALSE(many);
  CHECK(many.error().message().find("more than 1 entries") != std::string::npos);
}
