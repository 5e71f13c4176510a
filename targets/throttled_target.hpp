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

// One upload and one download budget. A meter may be shared by several
// targets, so that a limit holds for all of them together. Thread-safe.
class bandwidth_meter {
public:
  explicit bandwidth_meter(bandwidth_limits limits);
  // Reserve time for `bytes`; return how long the caller must wait first.
  std::chrono::nanoseconds reserve_upload(uint64_t bytes) { return up_.reserve(bytes); }
  std::chrono::nanoseconds reserve_download(uint64_t bytes) { return down_.reserve(bytes); }

private:
  struct bucket {
    uint64_t rate = 0;
    std::mutex mutex;
    std::chrono::steady_clock::time_point next_free{};
    std::chrono::nanoseconds reserve(uint64_t bytes);
  };
  bucket up_, down_;
};

class throttled_target : public target_wrapper {
public:
  throttled_target(target_ptr inner, bandwidth_limits limits);
  // Every meter applies (e.g. this target's own and the suite's shared one).
  throttled_target(target_ptr inner, std::vector<std::shared_ptr<bandwidth_meter>> meters);

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  // Streamed bytes would bypass this wrapper: callers put() whole objects.
  expected<std::unique_ptr<object_writer>> open_writer() override { return std::unique_ptr<object_writer>{}; }

private:
  std::vector<std::shared_ptr<bandwidth_meter>> meters_;
};

}  // namespace cairn::targets
