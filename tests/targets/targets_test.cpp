#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <utility>
#include <vector>

#include "support/temp_dir.hpp"
#include "targets/faulty_target.hpp"
#include "targets/local_target.hpp"
#include "targets/memory_target.hpp"
#include "targets/retrying_target.hpp"
#include "targets/spooling_target.hpp"
#include "targets/target_conformance.hpp"

using namespace cairn;
using namespace cairn::targets;

TEST_CASE("memory_target: conformance") {
  testing::run_target_conformance([] { return std::make_shared<memory_target>(); });
}

TEST_CASE("local_target: conformance") {
  testing::temp_dir dir;
  std::atomic<int> n{0};
  testing::run_target_conformance([&] {
    return std::make_shared<local_target>(dir / ("repo" + std::to_string(n++)));
  });
}

TEST_CASE("faulty_target: conformance when no rule fires") {
  testing::run_target_conformance(
    [] { return std::make_shared<faulty_target>(std::make_shared<memory_target>()); });
}

TEST_CASE("retrying_target: conformance") {
  testing::run_target_conformance(
    [] { return std::make_shared<retrying_target>(std::make_shared<memory_target>()); });
}

TEST_CASE("local_target: a put leaves no temporary file and survives as one whole file") {
  testing::temp_dir dir;
  local_target t(dir / "repo");
  REQUIRE(t.put("data/aa/x", testing::pattern(1 << 20, 3)));
  int files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir / "repo"))
    if (e.is_regular_file()) ++files;
  CHECK(files == 1);
}

TEST_CASE("local_target: temporary files of a killed writer are never listed") {
  testing::temp_dir dir;
  local_target t(dir / "repo");
  REQUIRE(t.put("data/aa/x", testing::pattern(10, 3)));
  std::FILE* f = std::fopen((dir / "repo/data/aa/.tmp-123-0-abc").c_str(), "w");
  std::fputs("half", f);
  std::fclose(f);
  CHECK(testing::list_names(t, "data/") == std::set<std::string>{"data/aa/x"});
  t.remove_stale_temporaries(-1);
  CHECK_FALSE(std::filesystem::exists(dir / "repo/data/aa/.tmp-123-0-abc"));
}

TEST_CASE("local_target: an unwritable directory is a permanent error naming the object") {
  if (geteuid() == 0) return;  // root writes anyway
  testing::temp_dir dir;
  std::filesystem::create_directories(dir / "repo");
  ::chmod((dir / "repo").c_str(), 0500);
  local_target t(dir / "repo");
  auto st = t.put("config", testing::pattern(10, 1));
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == errc::io);
  CHECK(st.error().message().find("config") != std::string::npos);
  ::chmod((dir / "repo").c_str(), 0700);
}

TEST_CASE("faulty_target: rules skip fail a number of times corrupt and refuse listing") {
  auto mem = std::make_shared<memory_target>();
  faulty_target t(mem);
  t.add_rule({.op = operation::put, .prefix = "data/", .skip = 1, .times = 2});
  CHECK(t.put("data/a", testing::pattern(5, 1)));
  CHECK(t.put("data/b", testing::pattern(5, 1)).error().transient());
  CHECK_FALSE(t.put("data/b", testing::pattern(5, 1)));
  CHECK(t.put("data/b", testing::pattern(5, 1)));
  CHECK(t.put("index/x", testing::pattern(5, 1)));
  CHECK(t.failures() == 2);

  t.add_rule({.op = operation::get, .prefix = "data/a", .corrupt_read = true});
  CHECK(*t.get("data/a") != testing::pattern(5, 1));
  CHECK(*t.get("data/b") == testing::pattern(5, 1));
  // get_into goes through the wrapper's get: the rule applies there too.
  targets::target::read_buffer buffer;
  auto into = t.get_into("data/a", {}, buffer);
  REQUIRE(into);
  CHECK(byte_buffer(into->begin(), into->end()) != testing::pattern(5, 1));

  t.add_rule({.op = operation::list, .code = errc::unsupported});
  auto st = t.list("", [](const object_info&) { return true; });
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == errc::unsupported);
}

TEST_CASE("retrying_target: retries transient errors not permanent ones") {
  auto mem = std::make_shared<memory_target>();
  auto faulty = std::make_shared<faulty_target>(mem);
  retrying_target t(faulty, {.max_attempts = 5, .initial_backoff = std::chrono::milliseconds(1)});
  faulty->add_rule({.op = operation::put, .prefix = "data/", .times = 3});
  CHECK(t.put("data/x", testing::pattern(5, 1)));
  CHECK(faulty->failures() == 3);
  faulty->add_rule({.op = operation::put, .prefix = "index/", .code = errc::auth});
  auto st = t.put("index/y", testing::pattern(5, 1));
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == errc::auth);
  CHECK(faulty->failures() == 4);  // tried once only
}

TEST_CASE("retrying_target: a retry that goes on says so once, naming the operation") {
  auto mem = std::make_shared<memory_target>();
  auto faulty = std::make_shared<faulty_target>(mem);
  std::vector<std::string> lines;
  retry_options o{.max_attempts = 6, .initial_backoff = std::chrono::milliseconds(2)};
  o.notice = [&](const std::string& line) { lines.push_back(line); };
  o.notice_after = std::chrono::milliseconds(5);
  retrying_target t(faulty, o);
  faulty->add_rule({.op = operation::put, .prefix = "data/", .times = 4});
  CHECK(t.put("data/x", testing::pattern(5, 1)));
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("put data/x") != std::string::npos);
  CHECK(lines[0].find("retrying for up to") != std::string::npos);
  lines.clear();
  CHECK(t.put("data/y", testing::pattern(5, 1)));  // no failure, no line
  CHECK(lines.empty());
}

namespace {

// Every directory entry under `root`, dot files included.
std::set<std::string> all_entries(const std::filesystem::path& root) {
  std::set<std::string> out;
  for (auto& e : std::filesystem::recursive_directory_iterator(root))
    out.insert(e.path().lexically_relative(root).string());
  return out;
}

}  // namespace

TEST_CASE("local_target: a streamed object appears whole under its name only when committed") {
  testing::temp_dir dir;
  local_target t(dir / "repo");
  auto w = t.open_writer();
  REQUIRE(w);
  REQUIRE(*w);
  auto a = testing::pattern(300000, 1), b = testing::pattern(5, 2);
  REQUIRE((*w)->append(a));
  REQUIRE((*w)->append(b));
  CHECK(testing::list_names(t, "").empty());  // nothing visible while it is written
  REQUIRE((*w)->commit("data/ab/packname"));
  auto back = t.get("data/ab/packname");
  REQUIRE(back);
  byte_buffer both = a;
  both.insert(both.end(), b.begin(), b.end());
  CHECK(*back == both);
  CHECK_FALSE((*w)->commit("data/ab/other"));  // once only
  w->reset();
  CHECK(all_entries(dir / "repo") == std::set<std::string>{"data", "data/ab", "data/ab/packname"});
}

TEST_CASE("local_target: large objects written in odd pieces read back whole, in ranges, cached or not") {
  testing::temp_dir dir;
  local_target t(dir / "repo");
  auto w = t.open_writer();
  REQUIRE(w);
  REQUIRE(*w);
  byte_buffer all;
  size_t seed = 10;
  for (size_t n : {700001u, 1048576u, 1500000u, 123u, 1048576u}) {  // across the 1 MiB direct pieces
    auto piece = testing::pattern(n, seed++);
    REQUIRE((*w)->append(piece));
    all.insert(all.end(), piece.begin(), piece.end());
  }
  REQUIRE((*w)->commit("data/cd/big"));
  auto path = (dir / "repo" / "data" / "cd" / "big").string();
  for (bool cold : {true, false}) {
    if (cold) {  // as after a reboot: nothing of it in the page cache
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      REQUIRE(fd >= 0);
      ::fsync(fd);
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
    for (auto [offset, length] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, all.size()}, {1, 300000}, {4095, 1048577}, {2000001, UINT64_MAX}, {all.size() - 300000, 300000}}) {
      auto got = t.get("data/cd/big", {offset, length});
      REQUIRE(got);
      uint64_t n = std::min<uint64_t>(length, all.size() - offset);
      CHECK(*got == byte_buffer(all.begin() + static_cast<long>(offset), all.begin() + static_cast<long>(offset + n)));
    }
  }
}

TEST_CASE("local_target: an object of whole direct pieces lands whole in a folder on another file system") {
  testing::temp_dir dir;
  std::filesystem::create_directories(dir / "repo" / "data" / "ef");
  // The object's folder on tmpfs: linking the unnamed file there fails (EXDEV), so it is copied there.
  if (::mount("cairn-data", (dir / "repo" / "data" / "ef").c_str(), "tmpfs", 0, "size=8m") != 0) return;  // needs root
  local_target t(dir / "repo");
  auto w = t.open_writer();
  REQUIRE(w);
  REQUIRE(*w);
  auto all = testing::pattern(1 << 20, 3);  // two whole direct pieces: nothing left for the cache at commit
  REQUIRE((*w)->append(all));
  auto st = (*w)->commit("data/ef/pack");
  CHECK_MESSAGE(st, (st ? "" : st.error().message()));
  CHECK(t.get("data/ef/pack").value() == all);
  w->reset();
  ::umount((dir / "repo" / "data" / "ef").c_str());
}

TEST_CASE("local_target: a streamed object never committed leaves no file, and a commit replaces") {
  testing::temp_dir dir;
  local_target t(dir / "repo");
  REQUIRE(t.put("data/ab/x", testing::pattern(10, 1)));
  {
    auto w = t.open_writer();
    REQUIRE(w);
    REQUIRE((*w)->append(testing::pattern(1 << 20, 3)));
  }  // dropped: a run that was stopped, or failed
  CHECK(all_entries(dir / "repo") == std::set<std::string>{"data", "data/ab", "data/ab/x"});
  auto w = t.open_writer();
  REQUIRE(w);
  REQUIRE((*w)->append(testing::pattern(20, 4)));
  REQUIRE((*w)->commit("data/ab/x"));
  CHECK(t.get("data/ab/x").value() == testing::pattern(20, 4));
  CHECK(all_entries(dir / "repo") == std::set<std::string>{"data", "data/ab", "data/ab/x"});
  auto bad = t.open_writer();
  REQUIRE(bad);
  auto st = (*bad)->commit("../escape");
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == errc::invalid_input);
}

TEST_CASE("target wrappers that must see every byte do not stream") {
  testing::temp_dir dir;
  auto local = std::make_shared<local_target>(dir / "repo");
  CHECK(retrying_target(local).open_writer().value() != nullptr);  // forwards
  CHECK(faulty_target(local).open_writer().value() == nullptr);    // its rules apply to put()
  CHECK(memory_target().open_writer().value() == nullptr);
}

TEST_CASE("spooling_target: a whole-object target is written through a file on disk, put only on commit") {
  testing::temp_dir dir;
  auto mem = std::make_shared<memory_target>();
  spooling_target t(mem, dir / "spool");
  auto w = t.open_writer();
  REQUIRE(w);
  REQUIRE(*w);
  auto a = testing::pattern(700000, 5), b = testing::pattern(3, 6);
  REQUIRE((*w)->append(a));
  REQUIRE((*w)->append(b));
  CHECK(mem->object_count() == 0);
  CHECK(all_entries(dir / "spool").empty());  // unnamed: nothing to leave behind
  CHECK((std::filesystem::status(dir / "spool").permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
  REQUIRE((*w)->commit("data/cd/pack"));
  byte_buffer both = a;
  both.insert(both.end(), b.begin(), b.end());
  CHECK(mem->get("data/cd/pack").value() == both);
  {
    auto dropped = t.open_writer();
    REQUIRE(dropped);
    REQUIRE((*dropped)->append(a));
  }
  CHECK(mem->object_count() == 1);
  CHECK(all_entries(dir / "spool").empty());
}

TEST_CASE("spooling_target: a target that streams itself keeps doing so: no spool, no writer") {
  testing::temp_dir dir;
  spooling_target local(std::make_shared<local_target>(dir / "repo"), dir / "spool");
  auto w = local.open_writer();
  REQUIRE(w);
  REQUIRE(*w);
  REQUIRE((*w)->append(testing::pattern(10, 1)));
  REQUIRE((*w)->commit("config"));
  CHECK(local.get("config").value() == testing::pattern(10, 1));
  CHECK_FALSE(std::filesystem::exists(dir / "spool"));  // the repository's own directory took it

  std::FILE* f = std::fopen((dir / "a-file").c_str(), "w");
  std::fclose(f);
  spooling_target nowhere(std::make_shared<memory_target>(), dir / "a-file" / "spool");
  auto none = nowhere.open_writer();
  REQUIRE(none);
  CHECK(*none == nullptr);  // no spool directory: the caller keeps objects in memory
}

TEST_CASE("spooling_target: when the spool's disk is full the object goes on in memory, whole") {
  testing::temp_dir dir;
  std::filesystem::create_directories(dir / "spool");
  if (::mount("cairn-spool", (dir / "spool").c_str(), "tmpfs", 0, "size=1m") != 0) return;  // needs root
  auto mem = std::make_shared<memory_target>();
  spooling_target t(mem, dir / "spool");
  auto w = t.open_writer();
  REQUIRE(w);
  REQUIRE(*w);
  byte_buffer all;
  for (uint8_t i = 0; i < 12; ++i) {  // 3 MiB in pieces into a 1 MiB file system
    auto piece = testing::pattern(256 << 10, i);
    all.insert(all.end(), piece.begin(), piece.end());
    REQUIRE((*w)->append(piece));
  }
  REQUIRE((*w)->commit("data/ef/pack"));
  CHECK(mem->get("data/ef/pack").value() == all);
  w->reset();
  ::umount((dir / "spool").c_str());
}
