#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>

#include "repo/temporaries.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;

namespace {

void touch(const std::filesystem::path& p) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << "partial";
}

}  // namespace

TEST_CASE("temporaries: a killed writer's files go, a live writer's stay until stale") {
  testing::temp_dir dir;
  auto mine = ".tmp-" + std::to_string(getpid()) + "-0-00ff";
  touch(dir / ".tmp-999999999-3-abcdef");          // pid beyond pid_max: not alive
  touch(dir / "data/ab/.tmp-999999998-0-12");      // in a subdirectory
  touch(dir / mine);                               // a live process (this one)
  touch(dir / ".tmp-nopid");                       // not ours: only when stale
  touch(dir / "config");
  auto r = repo::remove_leftover_temporaries(dir.path(), 30LL * 60 * 1'000'000'000);
  CHECK(r.removed.size() == 2);
  CHECK_FALSE(std::filesystem::exists(dir / ".tmp-999999999-3-abcdef"));
  CHECK_FALSE(std::filesystem::exists(dir / "data/ab/.tmp-999999998-0-12"));
  CHECK(std::filesystem::exists(dir / mine));
  CHECK(std::filesystem::exists(dir / ".tmp-nopid"));
  CHECK(std::filesystem::exists(dir / "config"));
  // Older than the stale time: gone whoever wrote it.
  auto old = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::filesystem::last_write_time(dir / mine, old);
  std::filesystem::last_write_time(dir / ".tmp-nopid", old);
  r = repo::remove_leftover_temporaries(dir.path(), 30LL * 60 * 1'000'000'000);
  CHECK(r.removed.size() == 2);
  CHECK(std::filesystem::exists(dir / "config"));
}
