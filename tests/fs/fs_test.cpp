#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "fs/exclude.hpp"
#include "fs/file_reader.hpp"
#include "fs/metadata.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;

TEST_CASE("exclude: patterns from a table") {
  struct row {
    const char* pattern;
    const char* path;
    bool dir;
    bool excluded;
  };
  const row rows[] = {
    {"*.tmp", "/home/a/x.tmp", false, true},
    {"*.tmp", "/home/a/deep/er/x.tmp", false, true},
    {"*.tmp", "/home/a/x.tmpl", false, false},
    {"**/.cache", "/home/a/.cache", true, true},
    {"**/.cache", "/home/a/b/.cache", true, true},
    {".cache", "/home/a/b/.cache", true, true},
    {"/home/a/tmp", "/home/a/tmp", true, true},
    {"/home/a/tmp", "/home/b/home/a/tmp", true, false},
    {"a/tmp", "/x/a/tmp", true, true},
    {"a/tmp", "/x/a/tmp2", true, false},
    {"build/", "/src/build", true, true},
    {"build/", "/src/build", false, false},
    {"**/node_modules/**", "/p/node_modules/x/y", false, true},
    {"*", "/p/anything", false, true},
    {"?.o", "/p/a.o", false, true},
    {"?.o", "/p/ab.o", false, false},
  };
  for (const auto& r : rows) {
    exclude_matcher m(std::vector<std::string>{r.pattern});
    CAPTURE(r.pattern);
    CAPTURE(r.path);
    CHECK(m.excluded(r.path, r.dir) == r.excluded);
  }
  CHECK_FALSE(exclude_matcher(std::vector<std::string>{}).excluded("/a/b", false));
}

TEST_CASE("metadata: reads type mode times symlink target and xattrs") {
  testing::temp_dir dir;
  auto file = (dir / "f").string();
  std::ofstream(file) << "hello";
  ::chmod(file.c_str(), 04751);
  struct timespec times[2] = {{100, 5}, {1'600'000'000, 123456789}};
  ::utimensat(AT_FDCWD, file.c_str(), times, 0);
  bool have_xattr = ::setxattr(file.c_str(), "user.cairn", "v\0x", 3, 0) == 0;
  auto m = read_metadata(file);
  REQUIRE(m);
  CHECK(m->type == file_type::regular);
  CHECK(m->mode == 04751);
  CHECK(m->size == 5);
  CHECK(m->mtime_ns == 1'600'000'000'123'456'789);
  if (have_xattr) {
    REQUIRE(m->xattrs.size() == 1);
    CHECK(m->xattrs[0].name == "user.cairn");
    CHECK(m->xattrs[0].value == byte_buffer{'v', 0, 'x'});
  }
  ::symlink("does/not/exist", (dir / "link").c_str());
  auto l = read_metadata((dir / "link").string());
  REQUIRE(l);
  CHECK(l->type == file_type::symlink);
  CHECK(l->link_target == "does/not/exist");
  auto gone = read_metadata((dir / "nothing").string());
  REQUIRE_FALSE(gone);
  CHECK(gone.error().code() == errc::not_found);
  CHECK(gone.error().message().find("nothing") != std::string::npos);
}

TEST_CASE("metadata: directory listing is sorted bytewise and keeps odd names") {
  testing::temp_dir dir;
  for (std::string name : {"b", "a", "line\nbreak", "with space", "\xff\xfe"})
    std::ofstream((dir / name).string()) << "x";
  auto names = list_directory(dir.path().string());
  REQUIRE(names);
  CHECK(*names == std::vector<std::string>{"a", "b", "line\nbreak", "with space", "\xff\xfe"});
}

TEST_CASE("metadata: a large directory is listed whole, and again by the same handle") {
  // 3000 names of ~120 bytes: several reads of the directory, not one.
  testing::temp_dir dir;
  std::vector<std::string> want;
  for (int i = 0; i < 3000; ++i) {
    std::string name = std::to_string(10000 + i) + std::string(115, 'n');
    std::ofstream((dir / name).string()) << "x";
    want.push_back(name);
  }
  std::sort(want.begin(), want.end());
  auto handle = directory::open(dir.path().string());
  REQUIRE(handle);
  auto first = handle->names();
  REQUIRE(first);
  CHECK(*first == want);
  auto second = handle->names();  // the offset moved: listed again from the start
  REQUIRE(second);
  CHECK(*second == want);
  auto moved = std::move(*handle);
  auto third = moved.names();
  REQUIRE(third);
  CHECK(*third == want);
  CHECK(moved.stat(want.front()));  // lookups by name still work through the handle
}

TEST_CASE("file_reader: reads a file to its end") {
  testing::temp_dir dir;
  auto path = (dir / "f").string();
  std::ofstream(path) << std::string(100000, 'q');
  auto r = file_reader::open(path);
  REQUIRE(r);
  byte_buffer buf(65536);
  size_t total = 0;
  for (;;) {
    auto n = r->read(buf.data(), buf.size());
    REQUIRE(n);
    if (*n == 0) break;
    total += *n;
  }
  CHECK(total == 100000);
  CHECK_FALSE(file_reader::open((dir / "missing").string()));
}
