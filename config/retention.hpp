// Which checkpoints a plan keeps on a target: a retention policy from the
// YAML (`keep:`) and its pure evaluation. Periods are local calendar periods,
// newest first: `daily: 7` keeps the newest checkpoint of each of the 7 most
// recent days that have one (as restic and Borg count them). The newest
// checkpoint is always kept, whatever the policy says.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cairn::config {

struct keep_policy {
  int last = 0;
  int hourly = 0;
  int daily = 0;
  int weekly = 0;   // ISO weeks
  int monthly = 0;
  int yearly = 0;
  std::chrono::seconds within{0};  // everything newer than this
  bool empty() const {
    return !last && !hourly && !daily && !weekly && !monthly && !yearly && within.count() == 0;
  }
};

struct dated_checkpoint {
  std::string id;
  int64_t time_ns = 0;
};

struct keep_decision {
  std::string id;
  int64_t time_ns = 0;
  bool keep = false;
  std::vector<std::string> reasons;  // "last", "daily", ..., "within", "newest"
};

// Newest first. An empty policy keeps everything.
std::vector<keep_decision> apply_policy(std::vector<dated_checkpoint> checkpoints, const keep_policy& policy,
                                        int64_t now_ns);

}  // namespace cairn::config
