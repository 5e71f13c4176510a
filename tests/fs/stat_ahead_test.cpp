#include <doctest/doctest.h>

#include <sys/xattr.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "fs/stat_ahead.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;

namespace {

// A tree of `width`^depth directories, each with a few files and a symlink.
void make_tree(const std::filesystem::path& root, int depth, int width) {
  std::filesystem::create_directories(root);
  for (int f = 0; f < 3; ++f) std::ofstream(root / ("f" + std::to_string(f))) << std::string(f * 10, 'x');
  std::filesystem::create_symlink("f0", root / "link");
  if (depth == 0) return;
  for (int d = 0; d < width; ++d) make_tree(root / ("d" + std::to_string(d)), depth - 1, width);
}

struct entry {
  std::string path;
  file_type type;
  uint64_t size, inode;
  int64_t mtime_ns;
  bool operator==(const entry&) const = default;
};

// The walk a backup makes: depth first, entries sorted; every directory taken.
std::vector<entry> walk(stat_ahead& ahead, const std::string& root, const std::string& skip = {}) {
  std::vector<entry> out;
  std::function<void(const std::string&)> go = [&](const std::string& path) {
    auto l = ahead.take(path);
    REQUIRE_FALSE(l.failed);
    REQUIRE(l.handle);
    for (size_t i = 0; i < l.names.size(); ++i) {
      auto m = i < l.stats.size() ? std::move(l.stats[i]) : l.handle->stat(l.names[i]);
      REQUIRE(m);
      auto child = join_path(path, l.names[i]);
      out.push_back({child, m->type, m->size, m->inode, m->mtime_ns});
      if (m->type == file_type::directory && l.names[i] != skip) go(child);
    }
    ahead.forget_under(path);
  };
  go(root);
  return out;
}

}  // namespace

TEST_CASE("stat_ahead: the walk sees the same entries with any number of threads") {
  testing::temp_dir tmp;
  make_tree(tmp / "src", 3, 4);  // 85 directories
  auto root = (tmp / "src").string();
  stat_ahead_options none;
  none.threads = 0;
  stat_ahead sync(none);
  auto expected = walk(sync, root);
  CHECK(expected.size() == 84 + 85 * 4);
  for (size_t threads : {1, 2, 4, 8}) {
    stat_ahead_options o;
    o.threads = threads;
    o.max_dirs = 3;  // small budgets: the walk overtakes the threads too
    o.max_entries = 20;
    stat_ahead ahead(o);
    CHECK(walk(ahead, root) == expected);
  }
}

TEST_CASE("stat_ahead: directories not entered are forgotten, and descend() prunes") {
  testing::temp_dir tmp;
  make_tree(tmp / "src", 2, 3);
  auto root = (tmp / "src").string();
  stat_ahead_options o;
  o.threads = 2;
  o.max_dirs = 2;  // a leak of listings never taken would stall the prefetch: the walk still ends
  o.descend = [](const std::string& path, const metadata&) { return path.find("/d1") == std::string::npos; };
  stat_ahead ahead(o);
  auto seen = walk(ahead, root, "d2");  // every d2 is listed ahead but never entered
  CHECK(seen.size() == 7 * 4 + 3 * 3);  // 7 directories entered, 3 of them with 3 subdirectories
  for (const auto& e : seen) CHECK(e.path.find("/d2/") == std::string::npos);
  // Walked again on the same pool: the same result.
  CHECK(walk(ahead, root, "d2") == seen);
}

TEST_CASE("stat_ahead: a directory that cannot be listed reports why") {
  testing::temp_dir tmp;
  stat_ahead_options o;
  o.threads = 2;
  stat_ahead ahead(o);
  auto l = ahead.take((tmp / "missing").string());
  REQUIRE(l.failed);
  CHECK(l.failed->code() == errc::not_found);
  CHECK(l.failed->message().find("missing") != std::string::npos);
  std::ofstream(tmp / "file") << "x";
  auto f = ahead.take((tmp / "file").string());
  REQUIRE(f.failed);
  CHECK(f.failed->message().find("file") != std::string::npos);
}

namespace {
size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}
}  // namespace

TEST_CASE("stat_ahead: entries are completed ahead: owners, symlink targets, xattrs of all but files") {
  testing::temp_dir tmp;
  make_tree(tmp / "src", 1, 2);
  auto root = (tmp / "src").string();
  bool xattrs = ::setxattr((tmp / "src/d0").c_str(), "user.cairn", "v", 1, 0) == 0;  // tmpfs may refuse
  for (size_t threads : {0, 2}) {
    stat_ahead_options o;
    o.threads = threads;
    stat_ahead ahead(o);
    auto l = ahead.take(root);
    REQUIRE(l.completed.size() == l.stats.size());
    for (size_t i = 0; i < l.names.size(); ++i) {
      REQUIRE(l.stats[i]);
      CHECK(l.completed[i]);
      CHECK_FALSE(l.stats[i]->user.empty());  // owner names too
      if (l.names[i] == "link") CHECK(l.stats[i]->link_target == "f0");
      if (l.names[i] == "d0" && xattrs) {
        REQUIRE(l.stats[i]->xattrs.size() == 1);
        CHECK(l.stats[i]->xattrs[0].name == "user.cairn");
      }
      if (l.names[i] == "f0") CHECK(l.stats[i]->xattrs.empty());  // a file's come from its reader
    }
  }
}

TEST_CASE("stat_ahead: released directories are closed, on its threads or at once") {
  testing::temp_dir tmp;
  make_tree(tmp / "src", 2, 6);  // 43 directories
  auto root = (tmp / "src").string();
  size_t before = open_descriptors();
  for (size_t threads : {0, 2}) {
    {
      stat_ahead_options o;
      o.threads = threads;
      stat_ahead ahead(o);
      std::function<void(const std::string&)> go = [&](const std::string& path) {
        auto l = ahead.take(path);
        REQUIRE(l.handle);
        for (size_t i = 0; i < l.names.size(); ++i)
          if (l.stats[i]->type == file_type::directory) go(join_path(path, l.names[i]));
        ahead.release(std::move(*l.handle));
        ahead.forget_under(path);
      };
      go(root);
      // Released but not closed yet: at most a few batches wait for a thread.
      CHECK(open_descriptors() <= before + 64 + 64);
    }
    CHECK(open_descriptors() == before);
  }
}

TEST_CASE("stat_ahead: walk_before orders paths depth first, '/' before every byte") {
  CHECK(walk_before("a/b", "a-b"));  // '-' < '/' bytewise, but a's descendants come first
  CHECK(walk_before("a", "a/b"));
  CHECK_FALSE(walk_before("a/b", "a/b"));
  CHECK(walk_before("/usr/share/doc/x/y", "/usr/share/doc/x.y"));
  CHECK(walk_before("/usr/share/doc/pkg\x01", "/usr/share/doc/pkg\xff"));
  // Against the definition, on paths with long common prefixes.
  auto slow = [](const std::string& a, const std::string& b) {
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      unsigned ca = a[i] == '/' ? 0u : static_cast<unsigned char>(a[i]);
      unsigned cb = b[i] == '/' ? 0u : static_cast<unsigned char>(b[i]);
      if (ca != cb) return ca < cb;
    }
    return a.size() < b.size();
  };
  std::mt19937 random(7);
  const std::string alphabet("/-.a\x01\xff");  // no NUL: paths have none (it would map as "/" does)
  for (int round = 0; round < 20000; ++round) {
    std::string a = "/some/long/common/prefix", b = a;
    for (int k = random() % 20; k > 0; --k) a += alphabet[random() % alphabet.size()];
    b = a.substr(0, random() % (a.size() + 1));
    for (int k = random() % 20; k > 0; --k) b += alphabet[random() % alphabet.size()];
    CHECK(walk_before(a, b) == slow(a, b));
    CHECK(walk_before(b, a) == slow(b, a));
  }
}
