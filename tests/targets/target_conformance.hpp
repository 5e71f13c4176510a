// The one conformance suite every target runs (restic backend/test/suite.go,
// Kopia blobtesting.VerifyStorage). Call run_target_conformance(factory) inside
// a TEST_CASE; the factory returns a fresh, empty target each time.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "targets/target.hpp"

// Like REQUIRE(expr) for an expected<>, but shows the error's message.
#define REQUIRE_OK(expr)                                     \
  do {                                                       \
    auto cairn_ok_ = (expr);                                 \
    if (!cairn_ok_) FAIL(cairn_ok_.error().message());       \
  } while (0)

namespace cairn::testing {

inline byte_buffer pattern(size_t n, uint8_t seed) {
  byte_buffer b(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& c : b) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<uint8_t>(x >> 24);
  }
  return b;
}

// The bytes read, or a failed check showing the error (never a dereferenced error).
inline byte_buffer bytes_of(const expected<byte_buffer>& r) {
  if (!r) {
    FAIL_CHECK(r.error().message());
    return {};
  }
  return *r;
}

inline std::set<std::string> list_names(targets::target& t, std::string_view prefix) {
  std::set<std::string> names;
  auto st = t.list(prefix, [&](const targets::object_info& info) {
    names.insert(info.name);
    return true;
  });
  REQUIRE(st);
  return names;
}

inline void run_target_conformance(const std::function<targets::target_ptr()>& make) {
  using targets::byte_range;
  SUBCASE("put then get returns the same bytes, whole and in ranges") {
    auto t = make();
    auto data = pattern(100'000, 1);
    REQUIRE_OK(t->put("data/ab/abc", data));
    CHECK(bytes_of(t->get("data/ab/abc")) == data);
    auto mid = t->get("data/ab/abc", byte_range{1000, 5000});
    REQUIRE(mid);
    CHECK(*mid == byte_buffer(data.begin() + 1000, data.begin() + 6000));
    auto tail = t->get("data/ab/abc", byte_range{99'990, 1000});
    REQUIRE(tail);
    CHECK(tail->size() == 10);
    auto at_end = t->get("data/ab/abc", byte_range{100'000, 10});
    REQUIRE(at_end);
    CHECK(at_end->empty());
    auto past = t->get("data/ab/abc", byte_range{100'001, 10});
    REQUIRE_FALSE(past);
    CHECK(past.error().code() == errc::invalid_input);
    CHECK(t->stat("data/ab/abc")->size == 100'000);
  }
  SUBCASE("get_into reads what get reads, into a buffer reused from call to call") {
    auto t = make();
    auto data = pattern(100'000, 3);
    REQUIRE_OK(t->put("data/ab/abd", data));
    targets::target::read_buffer buffer;
    auto whole = t->get_into("data/ab/abd", {}, buffer);
    REQUIRE(whole);
    CHECK(byte_buffer(whole->begin(), whole->end()) == data);
    // A smaller range after a larger one: exactly its bytes, not the rest of the last read.
    auto mid = t->get_into("data/ab/abd", byte_range{1000, 5000}, buffer);
    REQUIRE(mid);
    CHECK(byte_buffer(mid->begin(), mid->end()) == byte_buffer(data.begin() + 1000, data.begin() + 6000));
    auto tail = t->get_into("data/ab/abd", byte_range{99'990, 1000}, buffer);
    REQUIRE(tail);
    CHECK(byte_buffer(tail->begin(), tail->end()) == byte_buffer(data.end() - 10, data.end()));
    auto at_end = t->get_into("data/ab/abd", byte_range{100'000, 10}, buffer);
    REQUIRE(at_end);
    CHECK(at_end->empty());
    auto past = t->get_into("data/ab/abd", byte_range{100'001, 10}, buffer);
    REQUIRE_FALSE(past);
    CHECK(past.error().code() == errc::invalid_input);
    auto missing = t->get_into("data/ab/none", {}, buffer);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == errc::not_found);
  }
  SUBCASE("an empty object is an object") {
    auto t = make();
    REQUIRE_OK(t->put("empty", {}));
    CHECK(t->get("empty")->empty());
    CHECK(t->stat("empty")->size == 0);
    CHECK(list_names(*t, "").count("empty") == 1);
  }
  SUBCASE("missing objects are not_found, for get and stat") {
    auto t = make();
    auto g = t->get("index/nothing");
    REQUIRE_FALSE(g);
    CHECK(g.error().code() == errc::not_found);
    auto s = t->stat("index/nothing");
    REQUIRE_FALSE(s);
    CHECK(s.error().code() == errc::not_found);
  }
  SUBCASE("put replaces, and is idempotent") {
    auto t = make();
    REQUIRE_OK(t->put("config", pattern(10, 1)));
    REQUIRE_OK(t->put("config", pattern(20, 2)));
    REQUIRE_OK(t->put("config", pattern(20, 2)));
    CHECK(bytes_of(t->get("config")) == pattern(20, 2));
    CHECK(list_names(*t, "").size() == 1);
  }
  SUBCASE("list honours the prefix and can stop early") {
    auto t = make();
    for (int i = 0; i < 5; ++i) REQUIRE_OK(t->put("data/0" + std::to_string(i) + "/p" + std::to_string(i), pattern(10, i)));
    REQUIRE_OK(t->put("index/i1", pattern(3, 9)));
    REQUIRE_OK(t->put("indexes", pattern(3, 9)));
    CHECK(list_names(*t, "data/").size() == 5);
    CHECK(list_names(*t, "data/03/") == std::set<std::string>{"data/03/p3"});
    CHECK(list_names(*t, "index/") == std::set<std::string>{"index/i1"});
    CHECK(list_names(*t, "").size() == 7);
    CHECK(list_names(*t, "nothing/").empty());
    uint64_t total = 0;
    REQUIRE(t->list("data/", [&](const targets::object_info& info) {
      total += info.size;
      return true;
    }));
    CHECK(total == 50);
    int calls = 0;
    REQUIRE(t->list("data/", [&](const targets::object_info&) { return ++calls < 2; }));
    CHECK(calls == 2);
  }
  SUBCASE("remove deletes, and removing twice succeeds") {
    auto t = make();
    REQUIRE_OK(t->put("locks/l1", pattern(10, 1)));
    REQUIRE_OK(t->remove("locks/l1"));
    REQUIRE_OK(t->remove("locks/l1"));
    CHECK(t->get("locks/l1").error().code() == errc::not_found);
    CHECK(list_names(*t, "locks/").empty());
  }
  SUBCASE("invalid names are refused") {
    auto t = make();
    for (const char* name : {"", "/abs", "a/../b", "a//b", "dir/", ".hidden", "a/.tmp-x", "sp ace"})
      CHECK_FALSE(t->put(name, pattern(1, 1)));
  }
  SUBCASE("concurrent puts and gets from several threads") {
    auto t = make();
    std::vector<std::thread> threads;
    for (int w = 0; w < 4; ++w)
      threads.emplace_back([&t, w] {
        for (int i = 0; i < 20; ++i) {
          std::string name = "data/" + std::to_string(w) + "/o" + std::to_string(i);
          auto data = pattern(1000 + i, static_cast<uint8_t>(w * 20 + i));
          auto put = t->put(name, data);
          if (!put) FAIL_CHECK(put.error().message());
          auto got = t->get(name);  // never dereference an error: report it
          if (!got) FAIL_CHECK(got.error().message());
          else CHECK(*got == data);
        }
      });
    for (auto& th : threads) th.join();
    CHECK(list_names(*t, "data/").size() == 80);
  }
  SUBCASE("a large object round trips") {
    auto t = make();
    auto data = pattern(9 << 20, 7);
    REQUIRE_OK(t->put("data/ff/big", data));
    CHECK(bytes_of(t->get("data/ff/big")) == data);
  }
  SUBCASE("describe names the target and never a secret") {
    auto t = make();
    CHECK_FALSE(t->describe().empty());
  }
}

}  // namespace cairn::testing
