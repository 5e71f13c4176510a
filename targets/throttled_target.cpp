#include "targets/throttled_target.hpp"

#include <thread>

namespace cairn::targets {

throttled_target::throttled_target(target_ptr inner, bandwidth_limits limits)
  : target_wrapper(std::move(inner)) {
  up_.rate = limits.upload_bytes_per_second;
  down_.rate = limits.download_bytes_per_second;
}

std::chrono::nanoseconds throttled_target::bucket::reserve(uint64_t bytes) {
  if (rate == 0) return {};
  std::lock_guard lock(mutex);
  auto now = std::chrono::steady_clock::now();
  // An idle link does not bank more than a second of credit.
  if (next_free < now - std::chrono::seconds(1)) next_free = now - std::chrono::seconds(1);
  auto start = next_free;
  next_free += std::chrono::nanoseconds(bytes * 1'000'000'000 / rate);
  return start > now ? start - now : std::chrono::nanoseconds(0);
}

status throttled_target::put(std::string_view name, byte_view data) {
  std::this_thread::sleep_for(up_.reserve(data.size()));
  return target_wrapper::put(name, data);
}

expected<byte_buffer> throttled_target::get(std::string_view name, byte_range range) {
  auto r = target_wrapper::get(name, range);
  if (r) std::this_thread::sleep_for(down_.reserve(r->size()));
  return r;
}

}  // namespace cairn::targets
