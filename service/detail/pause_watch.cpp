#include "service/detail/pause_watch.hpp"

#include "fs/machine_state.hpp"

namespace cairn::service::detail {

pause_watch::pause_watch(const config::daemon_config& config, std::shared_ptr<pause_gate> gate)
  : config_(config), gate_(std::move(gate)) {
  if (!config_.pause_on_battery && config_.pause_cpu_some_avg10 <= 0 && config_.pause_io_some_avg10 <= 0) return;
  thread_ = std::thread([this] { loop(); });
}

pause_watch::~pause_watch() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (const auto& r : held_) gate_->release(r);
}

void pause_watch::set(const std::string& reason, bool on) {
  if (on && gate_->hold(reason)) held_.insert(reason);
  if (!on && gate_->release(reason)) held_.erase(reason);
}

void pause_watch::look() {
  set("on battery", config_.pause_on_battery && cairn::fs::on_battery(config_.sysfs_root));
  auto busy = [&](const char* resource, double limit) {
    if (limit <= 0) return;
    auto p = cairn::fs::pressure_some_avg10(config_.procfs_root, resource);
    // One reason per resource; its text names the threshold, not the moving value.
    set(std::string("machine busy (") + resource + " pressure above " + std::to_string(static_cast<int>(limit)) + "%)",
        p && *p > limit);
  };
  busy("cpu", config_.pause_cpu_some_avg10);
  busy("io", config_.pause_io_some_avg10);
}

void pause_watch::loop() {
  std::unique_lock lock(mutex_);
  do {
    lock.unlock();
    look();
    lock.lock();
  } while (!cv_.wait_for(lock, config_.pause_check, [this] { return done_; }));
}

}  // namespace cairn::service::detail
