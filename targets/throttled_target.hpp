// Limits the bandwidth of puts and gets (token buckets shared by all threads),
// so background backups leave room for the user's own traffic. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>

#include "targets/target_wrapper.hpp"

namespace cairn::targets {

struct bandwidth_limits {
  uint64_t upload_bytes_per_second = 0;    // 0: unlimited
  uint64_t download_bytes_per_second = 0;  // 0: unlimited
};

class throttled_target : public target_wrapper {
public:
  throttled_target(target_ptr inner, bandwidth_limits limits);

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;

private:
  struct bucket {
    uint64_t rate = 0;
    std::mutex mutex;
    std::chrono::steady_clock::time_point next_free{};
    // Reserves time for `bytes` and returns how long the caller must wait.
    std::chrono::nanoseconds reserve(uint64_t bytes);
  };
  bucket up_, down_;
};

}  // namespace cairn::targets
