#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fs/directory_tags.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;

namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

std::optional<std::vector<std::string>> kept_in(const directory_tags& tags, const std::filesystem::path& p) {
  auto dir = directory::open(p.string());
  REQUIRE(dir);
  auto names = dir->names();
  REQUIRE(names);
  return tags.kept(*dir, *names);
}

}  // namespace

TEST_CASE("directory_tags: CACHEDIR.TAG counts only with the exact signature") {
  cairn::testing::temp_dir t;
  struct row {
    const char* content;
    bool tag;
  };
  const row rows[] = {
    {"Signature: 8a477f597d28d172789f06886806bc55", true},
    {"Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag.\n", true},
    {"Signature: 8a477f597d28d172789f06886806bc5", false},   // one digit short
    {"Signature: 8a477f597d28d172789f06886806bc56\n", false},  // wrong digit
    {"signature: 8a477f597d28d172789f06886806bc55\n", false},  // case matters
    {" Signature: 8a477f597d28d172789f06886806bc55\n", false}, // must start the file
    {"", false},
  };
  directory_tags tags(true, {});
  for (const auto& r : rows) {
    CAPTURE(r.content);
    auto d = t / "cache";
    std::filesystem::remove_all(d);
    std::filesystem::create_directory(d);
    write(d / "CACHEDIR.TAG", r.content);
    write(d / "data.bin", "x");
    auto keep = kept_in(tags, d);
    CHECK(keep.has_value() == r.tag);
    if (keep) CHECK(*keep == std::vector<std::string>{"CACHEDIR.TAG"});
  }
}

TEST_CASE("directory_tags: a symlink or a directory named CACHEDIR.TAG does not tag") {
  cairn::testing::temp_dir t;
  write(t / "real", "Signature: 8a477f597d28d172789f06886806bc55\n");
  std::filesystem::create_directory(t / "a");
  std::filesystem::create_symlink(t / "real", t / "a" / "CACHEDIR.TAG");
  std::filesystem::create_directories(t / "b" / "CACHEDIR.TAG");
  directory_tags tags(true, {});
  CHECK_FALSE(kept_in(tags, t / "a"));
  CHECK_FALSE(kept_in(tags, t / "b"));
}

TEST_CASE("directory_tags: exclude_if_present keeps only the markers that are files") {
  cairn::testing::temp_dir t;
  std::filesystem::create_directories(t / "d" / ".skipdir");
  write(t / "d" / ".nobackup", "");
  write(t / "d" / "secret", "x");
  directory_tags tags(false, {".nobackup", ".skipdir", ".absent"});
  auto keep = kept_in(tags, t / "d");
  REQUIRE(keep);
  CHECK(*keep == std::vector<std::string>{".nobackup"});

  std::filesystem::create_directories(t / "e" / ".skipdir");
  keep = kept_in(tags, t / "e");  // tagged by a directory: nothing inside is kept
  REQUIRE(keep);
  CHECK(keep->empty());

  std::filesystem::create_directories(t / "plain");
  write(t / "plain" / "file", "x");
  CHECK_FALSE(kept_in(tags, t / "plain"));
  CHECK_FALSE(kept_in(directory_tags{}, t / "d"));  // no rules: nothing is tagged
}

TEST_CASE("directory_tags: a cache directory with a marker keeps both tags") {
  cairn::testing::temp_dir t;
  write(t / "CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n");
  write(t / ".nobackup", "");
  write(t / "other", "");
  auto keep = kept_in(directory_tags(true, {".nobackup"}), t.path());
  REQUIRE(keep);
  CHECK(*keep == std::vector<std::string>{".nobackup", "CACHEDIR.TAG"});
}
