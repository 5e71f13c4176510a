#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

#include "config/suite_config.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

int64_t utc(int year, int month, int day, int hour = 12) {
  struct tm t {};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  return static_cast<int64_t>(timegm(&t)) * 1'000'000'000;
}

struct utc_zone {
  utc_zone() { setenv("TZ", "UTC", 1), tzset(); }
  ~utc_zone() { unsetenv("TZ"), tzset(); }
};

// Checkpoint "dD-HH" for every day from the 1st of November to the 30th, at 06:00 and 18:00.
std::vector<dated_checkpoint> twice_a_day() {
  std::vector<dated_checkpoint> out;
  for (int d = 1; d <= 30; ++d)
    for (int h : {6, 18}) out.push_back({"d" + std::to_string(d) + "-" + std::to_string(h), utc(2026, 11, d, h)});
  return out;
}

std::vector<std::string> kept(const std::vector<keep_decision>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds)
    if (d.keep) out.push_back(d.id);
  return out;
}

}  // namespace

TEST_CASE("retention: last keeps the newest n and an empty policy keeps everything") {
  utc_zone tz;
  keep_policy p;
  CHECK(kept(apply_policy(twice_a_day(), p, utc(2026, 12, 1))).size() == 60);
  p.last = 3;
  CHECK(kept(apply_policy(twice_a_day(), p, utc(2026, 12, 1))) == std::vector<std::string>{"d30-18", "d30-6", "d29-18"});
}

TEST_CASE("retention: daily keeps the newest of each of the last n days that have one") {
  utc_zone tz;
  keep_policy p;
  p.daily = 3;
  auto ds = apply_policy(twice_a_day(), p, utc(2026, 12, 1));
  CHECK(kept(ds) == std::vector<std::string>{"d30-18", "d29-18", "d28-18"});
  CHECK(ds.front().reasons == std::vector<std::string>{"newest", "daily"});
}

TEST_CASE("retention: weekly counts ISO weeks and monthly calendar months") {
  utc_zone tz;
  keep_policy p;
  p.weekly = 2;  // 2026-11-30 is a Monday: its week holds only d30; the week before ends Sunday the 29th
  CHECK(kept(apply_policy(twice_a_day(), p, utc(2026, 12, 1))) == std::vector<std::string>{"d30-18", "d29-18"});
  std::vector<dated_checkpoint> months{{"jan", utc(2026, 1, 31)}, {"feb", utc(2026, 2, 1)}, {"feb2", utc(2026, 2, 20)},
                                       {"mar", utc(2026, 3, 15)}};
  keep_policy m;
  m.monthly = 2;
  CHECK(kept(apply_policy(months, m, utc(2026, 4, 1))) == std::vector<std::string>{"mar", "feb2"});
  m.monthly = 0;
  m.yearly = 5;
  CHECK(kept(apply_policy(months, m, utc(2026, 4, 1))) == std::vector<std::string>{"mar"});
}

TEST_CASE("retention: rules add up, within keeps a recent span and the newest always stays") {
  utc_zone tz;
  keep_policy p;
  p.last = 1;
  p.daily = 2;
  p.within = std::chrono::hours(48);
  auto ds = apply_policy(twice_a_day(), p, utc(2026, 11, 30, 20));
  // within 48 h of the 30th 20:00: everything from the 28th 20:00 on
  CHECK(kept(ds) == std::vector<std::string>{"d30-18", "d30-6", "d29-18", "d29-6"});
  keep_policy old;
  old.within = std::chrono::hours(1);
  CHECK(kept(apply_policy(twice_a_day(), old, utc(2027, 1, 1))) == std::vector<std::string>{"d30-18"});
}

TEST_CASE("retention: the keep: section is checked where it is written") {
  const char* base = R"(targets:
  usb: {type: local, path: /mnt/usb}
plans:
  home:
    sources: [{type: dir, path: /home}]
    targets: [usb]
)";
  auto ok = parse_config(std::string(base) + "    keep: {last: 3, daily: 7, within: 2d}\n", "/etc/cairn/cairn.yaml");
  REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().message()));
  CHECK(ok->plans[0].keep.last == 3);
  CHECK(ok->plans[0].keep.daily == 7);
  CHECK(ok->plans[0].keep.within == std::chrono::seconds(2 * 86400));
  auto typo = parse_config(std::string(base) + "    keep: {dayly: 7}\n", "/etc/cairn/cairn.yaml");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message().find("cairn.yaml:7:12: unknown key \"dayly\"") != std::string::npos);
  auto zero = parse_config(std::string(base) + "    keep: {last: 0}\n", "/etc/cairn/cairn.yaml");
  REQUIRE_FALSE(zero);
  CHECK(zero.error().message().find("keeps nothing") != std::string::npos);
}
