#include "targets/throttled_target.hpp"

#include <algorithm>
#include <thread>

namespace cairn::targets {

bandwidth_meter::bandwidth_meter(bandwidth_limits limits) {
  up_.rate = limits.upload_bytes_per_second;
  down_.rate = limits.download_bytes_per_second;
}

std::chrono::nanoseconds bandwidth_meter::bucket::reserve(uint64_t bytes) {
  if (rate == 0) return {};
  std::lock_guard lock(mutex);
  auto now = std::chrono::steady_clock::now();
  // An idle link does not bank more than a second of credit.
  if (next_free < now - std::chrono::seconds(1)) next_free = now - std::chrono::seconds(1);
  auto start = next_free;
  next_free += std::chrono::nanoseconds(bytes * 1'000'000'000 / rate);
  return start > now ? start - now : std::chrono::nanoseconds(0);
}

throttled_target::throttled_target(target_ptr inner, bandwidth_limits limits)
  : throttled_target(std::move(inner), {std::make_shared<bandwidth_meter>(limits)}) {}

throttled_target::throttled_target(target_ptr inner, std::vector<std::shared_ptr<bandwidth_meter>> meters)
  : target_wrapper(std::move(inner)), meters_(std::move(meters)) {}

status throttled_target::put(std::string_view name, byte_view data) {
  std::chrono::nanoseconds wait{0};
  for (auto& m : meters_) wait = std::max(wait, m->reserve_upload(data.size()));
  std::this_thread::sleep_for(wait);
  return target_wrapper::put(name, data);
}

expected<byte_buffer> throttled_target::get(std::string_view name, byte_range range) {
  auto r = target_wrapper::get(name, range);
  if (!r) return r;
  std::chrono::nanoseconds wait{0};
  for (auto& m : meters_) wait = std::max(wait, m->reserve_download(r->size()));
  std::this_thread::sleep_for(wait);
  return r;
}

}  // namespace cairn::targets
