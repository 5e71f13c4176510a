// Retries transient errors with exponential backoff and jitter, within a time
// budget (restic internal/backend/retry). Permanent errors return at once.
// Thread-safe when the wrapped target is.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "targets/target_wrapper.hpp"

namespace cairn::targets {

struct retry_options {
  int max_attempts = 8;
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{15'000};
  std::chrono::seconds budget{300};  // give up after this much time in one call
  // Called once per call whose retries go on longer than `notice_after`, with
  // one line naming the target, the operation, the error and the budget left
  // (so a backup that waits on a flaky server says why). May run on any thread.
  std::function<void(const std::string&)> notice = nullptr;
  std::chrono::milliseconds notice_after{3'000};
};

class retrying_target : public target_wrapper {
public:
  retrying_target(target_ptr inner, retry_options options = {})
    : target_wrapper(std::move(inner)), options_(options) {}

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;

private:
  template <class F>
  auto retry(std::string_view what, F&& call) -> decltype(call());
  retry_options options_;
};

}  // namespace cairn::targets
