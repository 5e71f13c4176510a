#include "config/retention.hpp"

#include <algorithm>
#include <ctime>

namespace cairn::config {

namespace {

// A number naming the local calendar period a time falls in.
int64_t period_of(int64_t time_ns, const std::string& kind) {
  time_t secs = static_cast<time_t>(time_ns / 1'000'000'000);
  struct tm t {};
  localtime_r(&secs, &t);
  int64_t y = t.tm_year + 1900;
  if (kind == "yearly") return y;
  if (kind == "monthly") return y * 100 + t.tm_mon;
  if (kind == "daily") return (y * 100 + t.tm_mon) * 100 + t.tm_mday;
  if (kind == "hourly") return ((y * 100 + t.tm_mon) * 100 + t.tm_mday) * 100 + t.tm_hour;
  char week[16];
  std::strftime(week, sizeof week, "%G%V", &t);  // ISO year and week
  return std::stoll(week);
}

}  // namespace

std::vector<keep_decision> apply_policy(std::vector<dated_checkpoint> checkpoints, const keep_policy& policy,
                                        int64_t now_ns) {
  std::stable_sort(checkpoints.begin(), checkpoints.end(),
                   [](const auto& a, const auto& b) { return a.time_ns > b.time_ns; });
  std::vector<keep_decision> out;
  for (auto& c : checkpoints) out.push_back({std::move(c.id), c.time_ns, policy.empty(), {}});
  if (policy.empty()) return out;
  if (!out.empty()) {
    out.front().keep = true;
    out.front().reasons.push_back("newest");
  }
  for (size_t i = 0; i < out.size() && static_cast<int>(i) < policy.last; ++i) {
    out[i].keep = true;
    out[i].reasons.push_back("last");
  }
  struct bucket {
    const char* kind;
    int count;
  };
  for (auto [kind, count] : {bucket{"hourly", policy.hourly}, bucket{"daily", policy.daily},
                             bucket{"weekly", policy.weekly}, bucket{"monthly", policy.monthly},
                             bucket{"yearly", policy.yearly}}) {
    int64_t last_period = -1;
    for (auto& d : out) {
      if (count <= 0) break;
      int64_t p = period_of(d.time_ns, kind);
      if (p == last_period) continue;
      last_period = p;
      d.keep = true;
      d.reasons.push_back(kind);
      --count;
    }
  }
  if (policy.within.count() > 0) {
    int64_t cutoff = now_ns - policy.within.count() * 1'000'000'000;
    for (auto& d : out)
      if (d.time_ns >= cutoff) {
        d.keep = true;
        d.reasons.push_back("within");
      }
  }
  return out;
}

}  // namespace cairn::config
