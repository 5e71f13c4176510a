#include <doctest/doctest.h>

#include <thread>

#include "base/buffer_pool.hpp"

using namespace cairn;

TEST_CASE("buffer pool: a given buffer is taken again, the smallest that fits first") {
  buffer_pool pool(8u << 20);
  auto big = pool.take(2u << 20);
  auto small = pool.take(300u << 10);
  CHECK(big.capacity() >= (2u << 20));
  CHECK(small.capacity() >= (300u << 10));
  const auto* big_bytes = big.data();
  const auto* small_bytes = small.data();
  pool.give(std::move(big));
  pool.give(std::move(small));
  CHECK(pool.held_buffers() == 2);
  auto again = pool.take(200u << 10);
  CHECK(again.data() == small_bytes);  // not the 2 MiB one
  auto again_big = pool.take(1u << 20);
  CHECK(again_big.data() == big_bytes);
  CHECK(pool.held_buffers() == 0);
  CHECK(pool.held_bytes() == 0);
  // None fits: a new one, rounded up so similar sizes reuse it.
  auto fresh = pool.take(5u << 20);
  CHECK(fresh.capacity() >= (5u << 20));
}

TEST_CASE("buffer pool: bounded - the oldest buffers are freed first - small ones are never kept") {
  buffer_pool pool(3u << 20);
  for (int i = 0; i < 5; ++i) pool.give(pool.take(1u << 20));  // each taken back right away
  CHECK(pool.held_buffers() == 1);
  std::vector<byte_buffer> held;
  for (int i = 0; i < 5; ++i) held.push_back(pool.take(1u << 20));
  for (auto& b : held) pool.give(std::move(b));
  CHECK(pool.held_bytes() <= (3u << 20));
  CHECK(pool.held_buffers() == 3);
  byte_buffer tiny(100);
  pool.give(std::move(tiny));
  CHECK(pool.held_buffers() == 3);
  byte_buffer huge;
  huge.reserve(4u << 20);  // larger than the whole pool
  pool.give(std::move(huge));
  CHECK(pool.held_buffers() == 3);
}

TEST_CASE("buffer pool: a pooled chunk holds its bytes and gives its buffer back when dropped") {
  auto& pool = buffer_pool::shared();
  byte_buffer data(1u << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  size_t before = pool.held_buffers();
  {
    auto c = make_pooled_chunk(byte_view(data));
    CHECK(c->size() == data.size());
    CHECK(std::equal(data.begin(), data.end(), c->data()));
    auto copy = c;  // shared between actors: given back only after the last one
    c.reset();
    CHECK(pool.held_buffers() == before);
  }
  CHECK(pool.held_buffers() >= before);
  CHECK(pool.held_bytes() >= (1u << 20));
  // Small chunks are plain ones.
  auto small = make_pooled_chunk(as_bytes("abc"));
  CHECK(small->size() == 3);
}

TEST_CASE("buffer pool: threads take and give concurrently") {
  buffer_pool pool(16u << 20);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&pool, t] {
      for (int i = 0; i < 200; ++i) {
        auto b = pool.take((128u << 10) * static_cast<size_t>(1 + (i + t) % 8));
        b.assign(b.capacity(), static_cast<uint8_t>(i));
        pool.give(std::move(b));
      }
    });
  for (auto& t : threads) t.join();
  CHECK(pool.held_bytes() <= (16u << 20));
}
