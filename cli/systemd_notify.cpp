#include "cli/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <chrono>
#include <cstdlib>

namespace cairn::cli {

systemd_notifier::systemd_notifier(std::function<std::string()> status) : status_(std::move(status)) {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (!socket || !*socket) return;
  if (sd_watchdog_enabled(0, &watchdog_usec_) <= 0) watchdog_usec_ = 0;
  thread_ = std::thread([this] { loop(); });
}

systemd_notifier::~systemd_notifier() {
  if (!thread_.joinable()) return;
  sd_notify(0, "STOPPING=1\nSTATUS=stopping");
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void systemd_notifier::ready() {
  if (thread_.joinable()) sd_notify(0, "READY=1\nSTATUS=waiting for the next scheduled run");
}

void systemd_notifier::reloading() {
  if (thread_.joinable()) sd_notify(0, "RELOADING=1");
}

void systemd_notifier::status(const std::string& line) {
  if (thread_.joinable()) sd_notify(0, ("STATUS=" + line).c_str());
}

// The STATUS line every 5 s, and the watchdog's keep-alive at half its period.
void systemd_notifier::loop() {
  auto period = std::chrono::milliseconds(5000);
  if (watchdog_usec_) period = std::min(period, std::chrono::milliseconds(watchdog_usec_ / 2000));
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, period, [this] { return done_; })) {
    lock.unlock();
    if (watchdog_usec_) sd_notify(0, "WATCHDOG=1");
    if (status_) {
      auto line = status_();
      if (!line.empty()) sd_notify(0, ("STATUS=" + line).c_str());
    }
    lock.lock();
  }
}

}  // namespace cairn::cli
