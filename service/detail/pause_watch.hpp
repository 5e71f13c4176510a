// daemon.pause_when: looks at the machine every pause_check and holds the
// gate (with the reason) while a condition is true: on battery, CPU or I/O
// pressure above a threshold. A thread of its own; stops with the object.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "base/pause_gate.hpp"
#include "config/suite_config.hpp"

namespace cairn::service::detail {

class pause_watch {
public:
  pause_watch(const config::daemon_config& config, std::shared_ptr<pause_gate> gate);
  ~pause_watch();
  pause_watch(const pause_watch&) = delete;
  pause_watch& operator=(const pause_watch&) = delete;

private:
  void set(const std::string& reason, bool on);
  void look();
  void loop();

  config::daemon_config config_;
  std::shared_ptr<pause_gate> gate_;
  std::set<std::string> held_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace cairn::service::detail
