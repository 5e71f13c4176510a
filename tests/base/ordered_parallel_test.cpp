#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <chrono>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

#include "base/ordered_parallel.hpp"

using namespace cairn;

TEST_CASE("ordered_parallel: results come in order whatever order they are produced in") {
  for (size_t threads : {0u, 1u, 2u, 4u, 9u}) {
    std::vector<size_t> seen;
    ordered_parallel(
      50, {threads, 3},
      [](size_t i) {
        // The later ones finish first.
        std::this_thread::sleep_for(std::chrono::microseconds((50 - i) % 7 * 200));
        return i * i;
      },
      [&](size_t i, size_t v) {
        CHECK(v == i * i);
        seen.push_back(i);
        return true;
      });
    REQUIRE(seen.size() == 50);
    for (size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i);
  }
  size_t calls = 0;
  ordered_parallel(0, {4, 4}, [](size_t) { return 1; }, [&](size_t, int) { return ++calls, true; });
  CHECK(calls == 0);
}

TEST_CASE("ordered_parallel: no more than the window is produced ahead of the consumer") {
  std::atomic<size_t> started{0};
  size_t worst = 0;
  ordered_parallel(
    40, {4, 5}, [&](size_t i) { return started++, i; },
    [&](size_t i, size_t) {
      // Started and not yet handed over: all but 0..i.
      std::this_thread::sleep_for(std::chrono::microseconds(300));
      worst = std::max(worst, started.load() - (i + 1));
      return true;
    });
  CHECK(started == 40);
  CHECK(worst <= 5);
  CHECK(worst >= 2);  // it did run ahead
}

TEST_CASE("ordered_parallel: consume saying no stops the rest") {
  std::atomic<size_t> produced{0};
  size_t consumed = 0;
  ordered_parallel(
    1000, {3, 4}, [&](size_t i) { return produced++, i; },
    [&](size_t i, size_t) {
      ++consumed;
      return i < 9;
    });
  CHECK(consumed == 10);
  CHECK(produced <= 10 + 4);
}

TEST_CASE("ordered_parallel: a failure to produce is thrown on the caller's thread, in order") {
  std::vector<size_t> seen;
  CHECK_THROWS_AS(ordered_parallel(
                    20, {4, 4},
                    [](size_t i) -> size_t {
                      if (i == 7) throw std::bad_alloc();
                      return i;
                    },
                    [&](size_t i, size_t) { return seen.push_back(i), true; }),
                  std::bad_alloc);
  REQUIRE(seen.size() == 7);  // everything before it, nothing after
  CHECK(seen.back() == 6);
  CHECK_THROWS_AS(ordered_parallel(
                    20, {4, 4}, [](size_t i) { return i; },
                    [](size_t i, size_t) -> bool {
                      if (i == 3) throw std::runtime_error("consumer");
                      return true;
                    }),
                  std::runtime_error);
}

TEST_CASE("ordered_parallel: the weight started and not yet consumed stays under the limit") {
  // Weights 1..9 repeating, at most 12 in flight; item 30 weighs 100, more than
  // the limit: it starts alone.
  auto weight = [](size_t i) -> uint64_t { return i == 30 ? 100 : i % 9 + 1; };
  std::mutex m;
  std::vector<bool> started(60, false);
  uint64_t worst = 0;
  bool heavy_alone = true;
  ordered_parallel(
    60, {4, 16, weight, 12},
    [&](size_t i) {
      {
        std::lock_guard lock(m);
        started[i] = true;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return i;
    },
    [&](size_t i, size_t v) {
      CHECK(v == i);
      // Handed over are 0..i; what started after them is in flight.
      std::lock_guard lock(m);
      uint64_t held = 0;
      size_t count = 0;
      for (size_t j = i + 1; j < started.size(); ++j)
        if (started[j]) held += weight(j), ++count;
      if (started[30] && i < 30 && count > 1 && held >= 100) heavy_alone = false;
      if (held <= 12) worst = std::max(worst, held);
      else if (count > 1) worst = held;  // over the limit with company: wrong
      return true;
    });
  CHECK(worst <= 12);
  CHECK(worst >= 5);  // it did run several at once
  CHECK(heavy_alone);
}
