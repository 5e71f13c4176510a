#include "config/schedule.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <sstream>

namespace cairn::config {

namespace {

constexpr const char* weekday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
constexpr int64_t ns_per_second = 1'000'000'000;

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!w.empty()) out.push_back(std::move(w));
      w.clear();
    } else {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  if (!w.empty()) out.push_back(std::move(w));
  return out;
}

// "HH:MM" → minute of the day; -1 when malformed.
int time_of_day(const std::string& w) {
  auto colon = w.find(':');
  if (colon == std::string::npos || colon == 0 || colon > 2 || w.size() != colon + 3) return -1;
  auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  // Digits on both sides of the one colon ("1::3" used to reach std::stoi(":3"), which throws).
  if (!std::all_of(w.begin(), w.begin() + colon, digit) || !std::all_of(w.begin() + colon + 1, w.end(), digit))
    return -1;
  int h = std::stoi(w.substr(0, colon)), m = std::stoi(w.substr(colon + 1));
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

expected<uint8_t> parse_weekdays(const std::string& w) {
  uint8_t days = 0;
  std::stringstream in(w);
  std::string day;
  while (std::getline(in, day, ',')) {
    auto it = std::find(std::begin(weekday_names), std::end(weekday_names), day.substr(0, 3));
    if (day.size() < 3 || it == std::end(weekday_names))
      return fail(errc::invalid_input, "\"" + day + "\" is not a weekday (mon, tue, wed, thu, fri, sat, sun)");
    days |= static_cast<uint8_t>(1u << (it - std::begin(weekday_names)));
  }
  if (!days) return fail(errc::invalid_input, "weekly needs a weekday, e.g. weekly sun 03:00");
  return days;
}

expected<std::vector<int>> parse_times(const std::vector<std::string>& ws, size_t from) {
  std::vector<int> out;
  for (size_t i = from; i < ws.size(); ++i) {
    int t = time_of_day(ws[i]);
    if (t < 0) return fail(errc::invalid_input, "\"" + ws[i] + "\" is not a time of day HH:MM (00:00 to 23:59)");
    out.push_back(t);
  }
  if (out.empty()) out.push_back(0);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

expected<std::chrono::seconds> parse_duration(std::string_view text) {
  int64_t total = 0;
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j == i || j == text.size() || j - i > 9) break;
    int64_t n = std::stoll(std::string(text.substr(i, j - i)));
    int64_t unit = text[j] == 's' ? 1 : text[j] == 'm' ? 60 : text[j] == 'h' ? 3600 : text[j] == 'd' ? 86400 : 0;
    if (!unit) break;
    total += n * unit;
    i = j + 1;
    any = true;
  }
  if (!any || i != text.size() || total <= 0)
    return fail(errc::invalid_input, "\"" + std::string(text) + "\" is not a duration like 30s, 15m, 6h, 1d or 1h30m");
  return std::chrono::seconds(total);
}

expected<schedule> parse_schedule(std::string_view text) {
  schedule s;
  s.text = std::string(text);
  auto ws = words(text);
  const char* forms = "(every 6h, hourly [:MM], daily [HH:MM ...], weekly DAY[,DAY] [HH:MM ...])";
  if (ws.empty()) return fail(errc::invalid_input, std::string("the schedule is empty ") + forms);
  if (ws[0] == "every") {
    if (ws.size() != 2) return fail(errc::invalid_input, std::string("every takes one duration, e.g. every 6h ") + forms);
    CAIRN_ASSIGN(s.interval, parse_duration(ws[1]));
    if (s.interval < std::chrono::seconds(1))
      return fail(errc::invalid_input, "the interval must be at least 1s");
    s.type = schedule::kind::every;
    return s;
  }
  s.type = schedule::kind::calendar;
  if (ws[0] == "hourly") {
    int minute = 0;
    if (ws.size() > 2) return fail(errc::invalid_input, std::string("hourly takes at most a minute, e.g. hourly :15 ") + forms);
    if (ws.size() == 2) {
      const auto& w = ws[1];
      if (w.size() != 3 || w[0] != ':' || !std::isdigit(static_cast<unsigned char>(w[1])) ||
          !std::isdigit(static_cast<unsigned char>(w[2])) || std::stoi(w.substr(1)) > 59)
        return fail(errc::invalid_input, "\"" + w + "\" is not a minute :MM (:00 to :59)");
      minute = std::stoi(w.substr(1));
    }
    for (int h = 0; h < 24; ++h) s.minutes_of_day.push_back(h * 60 + minute);
    return s;
  }
  if (ws[0] == "daily") {
    CAIRN_ASSIGN(s.minutes_of_day, parse_times(ws, 1));
    return s;
  }
  if (ws[0] == "weekly") {
    if (ws.size() < 2) return fail(errc::invalid_input, "weekly needs a weekday, e.g. weekly sun 03:00");
    CAIRN_ASSIGN(s.weekdays, parse_weekdays(ws[1]));
    CAIRN_ASSIGN(s.minutes_of_day, parse_times(ws, 2));
    return s;
  }
  return fail(errc::invalid_input, "\"" + ws[0] + "\" does not start a schedule " + forms);
}

int64_t next_occurrence(const schedule& s, int64_t after_ns) {
  if (s.type == schedule::kind::every) return after_ns + s.interval.count() * ns_per_second;
  if (s.type != schedule::kind::calendar || s.minutes_of_day.empty()) return INT64_MAX;
  time_t after = static_cast<time_t>(after_ns / ns_per_second);
  struct tm day {};
  localtime_r(&after, &day);
  // Eight days cover every weekday; one more absorbs a time that a DST jump skipped.
  for (int d = 0; d < 9; ++d) {
    for (int minute : s.minutes_of_day) {
      struct tm t {};
      t.tm_year = day.tm_year;
      t.tm_mon = day.tm_mon;
      t.tm_mday = day.tm_mday + d;  // mktime normalizes across months and years
      t.tm_hour = minute / 60;
      t.tm_min = minute % 60;
      t.tm_isdst = -1;
      time_t when = mktime(&t);
      if (when == -1 || !(s.weekdays & (1u << t.tm_wday))) continue;
      if (static_cast<int64_t>(when) * ns_per_second > after_ns) return static_cast<int64_t>(when) * ns_per_second;
    }
  }
  return INT64_MAX;
}

int64_t next_due(const schedule& s, const run_history& h, int64_t since_ns, std::chrono::seconds retry) {
  if (s.empty()) return INT64_MAX;
  int64_t due;
  if (h.last_good_start_ns) due = next_occurrence(s, *h.last_good_start_ns);
  else due = s.type == schedule::kind::every ? since_ns : next_occurrence(s, since_ns);
  if (h.last_attempt_end_ns) due = std::max(due, *h.last_attempt_end_ns + retry.count() * ns_per_second);
  return due;
}

}  // namespace cairn::config
