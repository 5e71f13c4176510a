// Produces n results on a few threads and consumes them on the calling thread
// in order, with a bounded number produced ahead: the shape of loading many
// independent objects (index files) whose reading is latency-bound (a remote
// target) or CPU-bound (decryption, decompression), while what they are
// added to is single-threaded and must see them in a fixed order.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace cairn {

struct parallel_limits {
  size_t threads = 4;
  size_t window = 8;  // items started and not yet consumed
  // And their total weight (e.g. the bytes an item will hold) at most
  // max_weight; an item heavier than that alone still starts, alone.
  std::function<uint64_t(size_t)> weight;
  uint64_t max_weight = UINT64_MAX;
};

// Calls produce(i) for i in [0, n) on up to `threads` threads and
// consume(i, result) on the calling thread for i = 0, 1, ... in order. At
// most `window` items (of at most max_weight together) are started and not
// yet consumed, so memory stays bounded whatever n is. consume returning
// false stops: nothing more is started, and results produced meanwhile are
// dropped. An exception thrown by produce (std::bad_alloc) is rethrown here,
// in order, after the threads have stopped; so is one thrown by consume.
// With threads <= 1 everything runs on the calling thread.
template <class Produce, class Consume>
void ordered_parallel(size_t n, parallel_limits limits, Produce produce, Consume consume) {
  using result = decltype(produce(size_t{0}));
  size_t threads = std::min(limits.threads, n);
  size_t window = limits.window;
  auto weight = [&](size_t i) -> uint64_t { return limits.weight ? limits.weight(i) : 0; };
  if (threads <= 1) {
    for (size_t i = 0; i < n; ++i)
      if (!consume(i, produce(i))) return;
    return;
  }
  window = std::max(window, threads);
  struct outcome {
    std::optional<result> value;
    std::exception_ptr failed;
  };
  std::mutex mutex;
  std::condition_variable room, ready;
  std::map<size_t, outcome> done;
  size_t next_start = 0, next_consume = 0;
  uint64_t held = 0;  // the weight of the items started and not yet consumed
  bool stopping = false;
  auto may_start = [&] {
    if (next_start >= next_consume + window) return false;
    return next_start == next_consume || held + weight(next_start) <= limits.max_weight;
  };
  auto work = [&] {
    std::unique_lock lock(mutex);
    for (;;) {
      room.wait(lock, [&] { return stopping || next_start >= n || may_start(); });
      if (stopping || next_start >= n) return;
      size_t i = next_start++;
      held += weight(i);
      lock.unlock();
      outcome o;
      try {
        o.value.emplace(produce(i));
      } catch (...) {
        o.failed = std::current_exception();
      }
      lock.lock();
      done.emplace(i, std::move(o));
      ready.notify_one();
    }
  };
  std::vector<std::thread> pool;
  auto stop = [&] {
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    room.notify_all();
    for (auto& t : pool) t.join();
    pool.clear();
  };
  struct joined {
    decltype(stop)& f;
    ~joined() { f(); }
  } guard{stop};
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  for (size_t i = 0; i < n; ++i) {
    outcome o;
    {
      std::unique_lock lock(mutex);
      ready.wait(lock, [&] { return done.count(i) != 0; });
      auto it = done.find(i);
      o = std::move(it->second);
      done.erase(it);
      next_consume = i + 1;
      held -= weight(i);
    }
    room.notify_all();  // a light item may let several start
    if (o.failed) {
      stop();
      std::rethrow_exception(o.failed);
    }
    if (!consume(i, std::move(*o.value))) return;
  }
}

}  // namespace cairn
