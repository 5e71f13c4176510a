#include "targets/retrying_target.hpp"

#include <random>
#include <thread>

namespace cairn::targets {

template <class F>
auto retrying_target::retry(std::string_view what, F&& call) -> decltype(call()) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto start = std::chrono::steady_clock::now();
  auto backoff = options_.initial_backoff;
  bool noticed = false;
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result || !result.error().transient() || attempt >= options_.max_attempts) return result;
    auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed + backoff > options_.budget) return result;
    if (!noticed && options_.notice && elapsed + backoff > options_.notice_after) {
      noticed = true;
      auto left = std::chrono::duration_cast<std::chrono::seconds>(options_.budget - elapsed).count();
      options_.notice(describe() + ": " + std::string(what) + " failed " + std::to_string(attempt) +
                      " times, retrying for up to " + std::to_string(left) + " s more: " + result.error().message());
    }
    // Full jitter: sleep somewhere in [backoff/2, backoff].
    std::uniform_int_distribution<long> dist(backoff.count() / 2, backoff.count());
    std::this_thread::sleep_for(std::chrono::milliseconds(dist(rng)));
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

status retrying_target::put(std::string_view name, byte_view data) {
  return retry("put " + std::string(name), [&] { return target_wrapper::put(name, data); });
}

expected<byte_buffer> retrying_target::get(std::string_view name, byte_range range) {
  return retry("get " + std::string(name), [&] { return target_wrapper::get(name, range); });
}

expected<object_info> retrying_target::stat(std::string_view name) {
  return retry("stat " + std::string(name), [&] { return target_wrapper::stat(name); });
}

status retrying_target::list(std::string_view prefix,
                             const std::function<bool(const object_info&)>& fn) {
  // A listing restarted after a failure may call fn twice for an object;
  // callers of list treat it as a set.
  return retry("list " + std::string(prefix), [&] { return target_wrapper::list(prefix, fn); });
}

status retrying_target::remove(std::string_view name) {
  return retry("remove " + std::string(name), [&] { return target_wrapper::remove(name); });
}

}  // namespace cairn::targets
