#include <doctest/doctest.h>

#include <atomic>

#include "support/temp_dir.hpp"
#include "targets/append_only.hpp"
#include "targets/target_conformance.hpp"

using namespace cairn;
using namespace cairn::targets;
using testing::pattern;

TEST_CASE("append_only: new objects are created, an identical re-put succeeds, other bytes are refused") {
  testing::temp_dir dir;
  local_target store(dir.path());
  for (const char* name : {"config", "data/ab/abcd", "index/ef", "checkpoints/01", "suite/latest",
                           "suite/00000000000000000001-aa"}) {
    CAPTURE(name);
    REQUIRE_OK(append_only_put(store, name, pattern(1000, 1)));
    REQUIRE_OK(append_only_put(store, name, pattern(1000, 1)));  // a retried upload
    for (const auto& other : {pattern(1000, 2), pattern(999, 1), pattern(1001, 1), byte_buffer{}}) {
      auto st = append_only_put(store, name, other);
      REQUIRE_FALSE(st);
      CHECK(st.error().code() == errc::exists);
      CHECK(st.error().message().find(name) != std::string::npos);
      CHECK(st.error().message().find("append-only") != std::string::npos);
    }
    CHECK(testing::bytes_of(store.get(name)) == pattern(1000, 1));
  }
}

TEST_CASE("append_only: nothing but locks is removed") {
  testing::temp_dir dir;
  local_target store(dir.path());
  for (const char* name : {"config", "data/ab/abcd", "index/ef", "checkpoints/01", "suite/latest"}) {
    CAPTURE(name);
    REQUIRE_OK(store.put(name, pattern(10, 1)));
    auto st = append_only_remove(store, name);
    REQUIRE_FALSE(st);
    CHECK(st.error().code() == errc::exists);
    CHECK(st.error().message().find("append-only") != std::string::npos);
    CHECK(store.stat(name));
  }
  REQUIRE_OK(append_only_put(store, "locks/l1", pattern(10, 1)));
  REQUIRE_OK(append_only_put(store, "locks/l1", pattern(20, 2)));  // a refresh replaces it
  CHECK(testing::bytes_of(store.get("locks/l1")) == pattern(20, 2));
  REQUIRE_OK(append_only_remove(store, "locks/l1"));
  CHECK(store.stat("locks/l1").error().code() == errc::not_found);
  CHECK_FALSE(replaceable("locks"));
  CHECK_FALSE(replaceable("locksmith/x"));
  CHECK(replaceable("locks/x"));
}

TEST_CASE("local_target: put_new never replaces, also when two writers race") {
  testing::temp_dir dir;
  local_target store(dir.path());
  REQUIRE_OK(store.put_new("data/x", pattern(10, 1)));
  auto again = store.put_new("data/x", pattern(10, 2));
  REQUIRE_FALSE(again);
  CHECK(again.error().code() == errc::exists);
  CHECK(testing::bytes_of(store.get("data/x")) == pattern(10, 1));
  std::atomic<int> won{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w)
    writers.emplace_back([&, w] {
      if (store.put_new("data/race", pattern(4096, static_cast<uint8_t>(w)))) ++won;
    });
  for (auto& t : writers) t.join();
  CHECK(won == 1);
  CHECK(testing::list_names(store, "data/").size() == 2);  // no temporary left behind
}
