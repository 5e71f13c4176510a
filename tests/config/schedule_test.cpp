#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>

#include "config/suite_config.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

// Runs the test body in a fixed time zone, and restores the old one.
struct time_zone {
  std::string old;
  bool had = false;
  explicit time_zone(const char* tz) {
    if (const char* o = std::getenv("TZ")) old = o, had = true;
    setenv("TZ", tz, 1);
    tzset();
  }
  ~time_zone() {
    if (had) setenv("TZ", old.c_str(), 1);
    else unsetenv("TZ");
    tzset();
  }
};

// Local wall-clock time → ns since the epoch.
int64_t at(int year, int month, int day, int hour, int minute) {
  struct tm t {};
  t.tm_year = year - 1900;
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = hour;
  t.tm_min = minute;
  t.tm_isdst = -1;
  return static_cast<int64_t>(mktime(&t)) * 1'000'000'000;
}

schedule parsed(const char* text) {
  auto s = parse_schedule(text);
  REQUIRE_MESSAGE(s, text);
  return *s;
}

std::string error_of(const char* text) {
  auto s = parse_schedule(text);
  return s ? "" : s.error().message();
}

constexpr int64_t second = 1'000'000'000;

}  // namespace

TEST_CASE("durations: units add up and bad text is named") {
  CHECK(parse_duration("90m").value() == std::chrono::seconds(5400));
  CHECK(parse_duration("1h30m").value() == std::chrono::seconds(5400));
  CHECK(parse_duration("1d").value() == std::chrono::seconds(86400));
  CHECK(parse_duration("45s").value() == std::chrono::seconds(45));
  for (const char* bad : {"", "6", "h", "6x", "0m", "-5m", "6h ", "1.5h"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("schedules: every form parses and a mistake says which word") {
  CHECK(parsed("every 6h").interval == std::chrono::hours(6));
  CHECK(parsed("daily").minutes_of_day == std::vector<int>{0});
  CHECK(parsed("Daily 14:30 02:00").minutes_of_day == std::vector<int>{120, 870});
  CHECK(parsed("hourly :15").minutes_of_day.size() == 24);
  CHECK(parsed("weekly mon,thu 03:00").weekdays == 0b0010010);
  CHECK(parsed("weekly sunday").weekdays == 1);
  CHECK(error_of("daily 25:00").find("\"25:00\" is not a time of day") != std::string::npos);
  CHECK(error_of("daily 1::3").find("\"1::3\" is not a time of day") != std::string::npos);  // threw once
  CHECK(error_of("daily 12:3:").find("is not a time of day") != std::string::npos);
  CHECK(error_of("weekly funday").find("\"funday\" is not a weekday") != std::string::npos);
  CHECK(error_of("every").find("every takes one duration") != std::string::npos);
  CHECK(error_of("every 5 minutes").find("every takes one duration") != std::string::npos);
  CHECK(error_of("nightly").find("\"nightly\" does not start a schedule") != std::string::npos);
  CHECK(error_of("hourly 15").find("is not a minute") != std::string::npos);
  CHECK(error_of("").find("empty") != std::string::npos);
}

TEST_CASE("next occurrence: daily and weekly times in local time") {
  time_zone tz("UTC");
  auto daily = parsed("daily 02:30 14:00");
  CHECK(next_occurrence(daily, at(2026, 11, 22, 1, 0)) == at(2026, 11, 22, 2, 30));
  CHECK(next_occurrence(daily, at(2026, 11, 22, 2, 30)) == at(2026, 11, 22, 14, 0));  // strictly after
  CHECK(next_occurrence(daily, at(2026, 12, 31, 23, 0)) == at(2027, 1, 1, 2, 30));
  auto weekly = parsed("weekly sun 03:00");  // 2026-11-22 is a Sunday
  CHECK(next_occurrence(weekly, at(2026, 11, 22, 3, 0)) == at(2026, 11, 29, 3, 0));
  CHECK(next_occurrence(weekly, at(2026, 11, 18, 12, 0)) == at(2026, 11, 22, 3, 0));
  auto hourly = parsed("hourly :15");
  CHECK(next_occurrence(hourly, at(2026, 11, 22, 23, 20)) == at(2026, 11, 23, 0, 15));
}

TEST_CASE("next occurrence: a time that daylight saving skips moves to the next day") {
  time_zone tz("Europe/Berlin");
  // 2026-03-29 02:00 → 03:00 in Berlin: 02:30 does not exist that day.
  auto s = parsed("daily 02:30");
  int64_t after = at(2026, 3, 29, 1, 0);
  int64_t next = next_occurrence(s, after);
  CHECK(next > after);
  CHECK(next <= at(2026, 3, 30, 2, 30));
  // A normal day later: exactly 02:30 local.
  CHECK(next_occurrence(s, at(2026, 3, 30, 1, 0)) == at(2026, 3, 30, 2, 30));
}

TEST_CASE("due: catch up once after downtime, wait after a good run, retry after a failure") {
  time_zone tz("UTC");
  auto daily = parsed("daily 02:00");
  auto every = parsed("every 6h");
  std::chrono::seconds retry(900);
  int64_t start = at(2026, 11, 22, 12, 0);
  // Never ran: every runs at once, a calendar waits for its first time.
  CHECK(next_due(every, {}, start, retry) == start);
  CHECK(next_due(daily, {}, start, retry) == at(2026, 11, 23, 2, 0));
  // Off for three days since the last good run: due in the past, i.e. at once.
  run_history old{at(2026, 11, 19, 2, 0), std::nullopt};
  CHECK(next_due(daily, old, start, retry) == at(2026, 11, 20, 2, 0));
  CHECK(next_due(every, old, start, retry) == at(2026, 11, 19, 8, 0));
  // A failed attempt after it: not before the retry delay.
  run_history failed{at(2026, 11, 19, 2, 0), start};
  CHECK(next_due(daily, failed, start, retry) == start + 900 * second);
  // A good run today: tomorrow.
  run_history good{at(2026, 11, 22, 2, 0), std::nullopt};
  CHECK(next_due(daily, good, start, retry) == at(2026, 11, 23, 2, 0));
  CHECK(next_due(schedule{}, good, start, retry) == INT64_MAX);
}

TEST_CASE("configuration: schedule and daemon keys, errors at their place") {
  const char* base = R"(targets:
  usb: {type: local, path: /mnt/usb}
plans:
  home:
    sources: [{type: dir, path: /home}]
    targets: [usb]
)";
  auto ok = parse_config(std::string(base) + "    schedule: daily 02:30\ndaemon: {retry: 10m, nice: 5, io: normal}\n",
                         "/etc/cairn/cairn.yaml");
  REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().message()));
  CHECK(ok->plans[0].when.minutes_of_day == std::vector<int>{150});
  CHECK(ok->daemon.retry == std::chrono::seconds(600));
  CHECK(ok->daemon.nice == 5);
  CHECK_FALSE(ok->daemon.idle_io);
  auto bad = parse_config(std::string(base) + "    schedule: daily 2:3o\n", "/etc/cairn/cairn.yaml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message() == "/etc/cairn/cairn.yaml:7:15: plan \"home\": \"2:3o\" is not a time of day HH:MM (00:00 to 23:59)");
  auto nice = parse_config(std::string(base) + "daemon: {nice: 40}\n", "/etc/cairn/cairn.yaml");
  REQUIRE_FALSE(nice);
  CHECK(nice.error().message().find("cairn.yaml:7:") != std::string::npos);
  auto io = parse_config(std::string(base) + "daemon: {io: low}\n", "/etc/cairn/cairn.yaml");
  REQUIRE_FALSE(io);
  CHECK(io.error().message().find("daemon io must be idle or normal") != std::string::npos);
}
