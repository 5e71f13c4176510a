// Why the daemon's work is paused: a set of reasons (the user asked, on
// battery, the machine is busy); work goes on when none is left. Readers poll
// it (sources before reading, targets before uploading, the scheduler before
// starting a run). Thread-safe.
#pragma once

#include <mutex>
#include <set>
#include <string>

namespace cairn {

class pause_gate {
public:
  // True when `reason` was not there yet.
  bool hold(const std::string& reason) {
    std::lock_guard lock(mutex_);
    return reasons_.insert(reason).second;
  }
  // True when `reason` was there.
  bool release(const std::string& reason) {
    std::lock_guard lock(mutex_);
    return reasons_.erase(reason) > 0;
  }
  bool paused() const {
    std::lock_guard lock(mutex_);
    return !reasons_.empty();
  }
  // "" when running; else the reasons, joined by "; ".
  std::string why() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& r : reasons_) out += (out.empty() ? "" : "; ") + r;
    return out;
  }

private:
  mutable std::mutex mutex_;
  std::set<std::string> reasons_;
};

}  // namespace cairn
