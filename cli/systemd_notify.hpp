// Tells systemd how the daemon is (Type=notify): READY once the API serves,
// STATUS (the run in progress in one line) every few seconds, RELOADING,
// STOPPING, and the watchdog's keep-alive when the unit sets WatchdogSec.
// Does nothing when not started by systemd (no NOTIFY_SOCKET). One instance
// owns a thread; its methods are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace cairn::cli {

class systemd_notifier {
public:
  // `status` gives the STATUS line; called on the notifier's thread.
  explicit systemd_notifier(std::function<std::string()> status);
  ~systemd_notifier();  // sends STOPPING

  void ready();
  void reloading();
  void status(const std::string& line);

private:
  void loop();
  std::function<std::string()> status_;
  uint64_t watchdog_usec_ = 0;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace cairn::cli
