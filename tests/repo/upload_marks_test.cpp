#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "repo/upload_marks.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {
size_t files_in(const std::filesystem::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}
}  // namespace

TEST_CASE("upload marks: a live run's mark is not an interrupted upload, a dropped one is gone") {
  testing::temp_dir tmp;
  auto dir = tmp / "uploads";
  CHECK_FALSE(interrupted_uploads(dir, "aaaa"));  // no directory yet: nothing was ever marked
  auto mark = upload_mark::make(dir, "aaaa");
  REQUIRE(mark);
  struct stat st {};
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  REQUIRE(files_in(dir) == 1);
  auto file = std::filesystem::directory_iterator(dir)->path();
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(interrupted_uploads(dir, "aaaa"));  // this process is alive
  CHECK_FALSE(interrupted_uploads(dir, "bbbb"));  // another repository
  auto second = upload_mark::make(dir, "aaaa");   // two runs of one process (the daemon)
  REQUIRE(second);
  CHECK(files_in(dir) == 2);
  mark->drop();
  second->drop();
  CHECK(files_in(dir) == 0);
}

TEST_CASE("upload marks: a run that ended without dropping its mark, or a process that died, left packs") {
  testing::temp_dir tmp;
  auto dir = tmp / "uploads";
  {
    auto failed = upload_mark::make(dir, "aaaa");
    REQUIRE(failed);
  }  // a failed run in a process that lives on
  CHECK(interrupted_uploads(dir, "aaaa"));
  CHECK_FALSE(interrupted_uploads(dir, "bbbb"));
  clear_interrupted_uploads(dir, "aaaa");
  CHECK_FALSE(interrupted_uploads(dir, "aaaa"));
  CHECK(files_in(dir) == 0);
  // A child marks and is killed (kill -9: no destructor runs).
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto m = upload_mark::make(dir, "aaaa");
    ::kill(::getpid(), SIGKILL);
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(files_in(dir) == 1);
  CHECK(interrupted_uploads(dir, "aaaa"));
  // A mark of this process with another start time (a reused pid), or of another boot.
  clear_interrupted_uploads(dir, "aaaa");
  auto live = upload_mark::make(dir, "aaaa");
  REQUIRE(live);
  auto name = std::filesystem::directory_iterator(dir)->path().filename().string();
  auto fields = name.substr(5);  // boot.pid.start.n
  auto boot = fields.substr(0, fields.find('.'));
  auto rest = fields.substr(boot.size() + 1);
  auto pid = rest.substr(0, rest.find('.'));
  std::ofstream(dir / ("aaaa." + boot + "." + pid + ".1.1"));                 // started at tick 1: not us
  CHECK(interrupted_uploads(dir, "aaaa"));
  clear_interrupted_uploads(dir, "aaaa");
  std::ofstream(dir / ("aaaa.someotherboot." + rest));                        // another boot
  CHECK(interrupted_uploads(dir, "aaaa"));
  clear_interrupted_uploads(dir, "aaaa");
  CHECK(files_in(dir) == 1);  // only the live one stays
  CHECK_FALSE(interrupted_uploads(dir, "aaaa"));
  live->drop();
}

TEST_CASE("upload marks: a marks directory that cannot be read says yes") {
  testing::temp_dir tmp;
  std::ofstream(tmp / "uploads") << "not a directory";
  CHECK(interrupted_uploads(tmp / "uploads", "aaaa"));
  CHECK_FALSE(upload_mark::make(tmp / "uploads", "aaaa"));
}
