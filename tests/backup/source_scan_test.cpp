#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "backup/source_scan.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::backup;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

config::source_config dir_source(const std::filesystem::path& path) {
  config::source_config s;
  s.type = config::source_type::dir;
  s.name = "src";
  s.path = path;
  return s;
}

}  // namespace

TEST_CASE("source_scan: counts what the backup would visit, after excludes and tags") {
  cairn::testing::temp_dir t;
  auto root = t / "src";
  write(root / "a.txt", "aaaa");
  write(root / "x.tmp", "tmp");
  write(root / "docs" / "b.txt", "bb");
  write(root / "cache" / "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
  write(root / "cache" / "big", std::string(1000, 'x'));
  write(root / "private" / ".nobackup", "");
  write(root / "private" / "secret", "s");
  auto s = dir_source(root);
  s.exclude = {"*.tmp"};
  s.exclude_caches = true;
  s.exclude_if_present = {".nobackup"};
  std::vector<std::string> read;
  scan_options o;
  o.plan = "p";
  o.targets = {"usb"};
  o.on_read = [&](const std::string& path, const fs::metadata&) { read.push_back(path.substr(root.string().size() + 1)); };
  auto totals = scan_source(s, o);
  std::sort(read.begin(), read.end());
  CHECK(read == std::vector<std::string>{"a.txt", "cache/CACHEDIR.TAG", "docs/b.txt", "private/.nobackup"});
  CHECK(totals.files == 4);
  CHECK(totals.files_to_read == 4);  // no catalog: every file is to be read
  CHECK(totals.bytes == 4 + 44 + 2 + 0);
  CHECK(totals.dirs == 4);
}

TEST_CASE("source_scan: a file the cache knows for every target is not read") {
  cairn::testing::temp_dir t;
  auto root = t / "src";
  write(root / "same.txt", "same");
  write(root / "sub" / "changed.txt", "old");
  auto db = catalog::catalog::open(t / "state");
  REQUIRE(db);
  auto entry = [&](const std::string& rel, const std::string& name) {
    auto m = fs::stat_only((root / rel / name).lexically_normal().string());
    REQUIRE(m);
    return catalog::cache_entry{name, m->size, m->mtime_ns, m->ctime_ns, m->inode, {}, {}};
  };
  REQUIRE((*db)->store_directory("p", "usb", "src", {entry("", "same.txt")}));
  REQUIRE((*db)->store_directory("p", "usb", "src/sub", {entry("sub", "changed.txt")}));
  REQUIRE((*db)->store_directory("p", "nas", "src", {}));  // nas has never seen it
  write(root / "sub" / "changed.txt", "new content");

  scan_options o;
  o.plan = "p";
  o.targets = {"usb"};
  o.cache = db->get();
  auto usb = scan_source(dir_source(root), o);
  CHECK(usb.files == 2);
  CHECK(usb.files_to_read == 1);
  CHECK(usb.bytes_to_read == 11);

  o.targets = {"usb", "nas"};
  CHECK(scan_source(dir_source(root), o).files_to_read == 2);
}
