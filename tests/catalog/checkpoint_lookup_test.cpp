#include <doctest/doctest.h>

#include "catalog/checkpoint_lookup.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::catalog;

namespace {

checkpoint_row row(std::string id, std::string plan, std::string target, int64_t time) {
  checkpoint_row r;
  r.id = std::move(id);
  r.plan = std::move(plan);
  r.target = std::move(target);
  r.time_ns = time;
  return r;
}

// Newest first, as catalog::checkpoints returns them.
const std::vector<checkpoint_row> rows{
  row(std::string(64, 'a'), "home", "usb", 40),
  row("abcd" + std::string(60, '1'), "work", "usb", 30),
  row("abce" + std::string(60, '2'), "home", "nas", 20),
  row(std::string(64, 'f'), "home", "usb", 10),
};

}  // namespace

TEST_CASE("checkpoint_lookup: latest, ids and prefixes, with their errors") {
  struct query_row {
    checkpoint_query q;
    std::string id;     // expected id ("" when an error)
    std::string error;  // expected message
  };
  const query_row table[] = {
    {{"latest", "home", ""}, std::string(64, 'a'), ""},
    {{"latest", "home", "nas"}, "abce" + std::string(60, '2'), ""},
    {{"latest", "work", ""}, "abcd" + std::string(60, '1'), ""},
    {{"latest", "work", "nas"}, "", "plan \"work\" has no checkpoint yet"},
    {{"latest", "", ""}, "", "\"latest\" needs a plan"},
    {{"ffff", "", ""}, std::string(64, 'f'), ""},
    {{std::string(64, 'f'), "", "usb"}, std::string(64, 'f'), ""},
    {{"abcd", "", ""}, "abcd" + std::string(60, '1'), ""},
    {{"abc", "", ""}, "", "\"abc\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest"},
    {{"ABCD", "", ""}, "", "\"ABCD\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest"},
    {{"abcg", "", ""}, "", "\"abcg\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest"},
    {{"", "", ""}, "", "\"\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest"},
    {{"aaaa", "", ""}, std::string(64, 'a'), ""},
    {{"abc1", "", ""}, "", "no checkpoint abc1"},
    {{"ffff", "", "nas"}, "", "no checkpoint ffff"},
    {{std::string(65, 'f'), "", ""}, "",
     "\"" + std::string(65, 'f') + "\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest"},
  };
  for (const auto& t : table) {
    CAPTURE(t.q.spec);
    CAPTURE(t.q.plan);
    CAPTURE(t.q.target);
    auto r = find_checkpoint(rows, t.q);
    if (t.id.empty()) {
      REQUIRE_FALSE(r);
      CHECK(r.error().message() == t.error);
    } else {
      REQUIRE(r);
      CHECK(r->id == t.id);
    }
  }
}

TEST_CASE("checkpoint_lookup: an ambiguous prefix says how many match, and a target filter can settle it") {
  std::vector<checkpoint_row> two{row("abcd" + std::string(60, '1'), "work", "usb", 2),
                                  row("abcd" + std::string(60, '2'), "home", "nas", 1)};
  auto r = find_checkpoint(two, {"abcd", "", ""});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::invalid_input);
  CHECK(r.error().message() == "checkpoint prefix abcd is ambiguous (2 match); give more digits");
  auto one = find_checkpoint(two, {"abcd", "", "nas"});
  REQUIRE(one);
  CHECK(one->plan == "home");
  CHECK(find_checkpoint(two, {"abcd3", "", ""}).error().code() == errc::not_found);
}

TEST_CASE("checkpoint_lookup: on a real catalog, latest of a plan and a prefix of another target") {
  testing::temp_dir dir;
  auto db = cairn::catalog::catalog::open(dir.path());
  REQUIRE(db);
  for (const auto& r : rows) {
    auto copy = r;
    copy.tree = std::string(64, '0');
    REQUIRE((*db)->record_checkpoint(copy));
  }
  auto latest = find_checkpoint(**db, {"latest", "home", "nas"});
  REQUIRE(latest);
  CHECK(latest->id == "abce" + std::string(60, '2'));
  auto by_prefix = find_checkpoint(**db, {"abcd1", "home", ""});  // a prefix names any plan's checkpoint
  REQUIRE(by_prefix);
  CHECK(by_prefix->plan == "work");
  CHECK(find_checkpoint(**db, {"latest", "nobody", ""}).error().code() == errc::not_found);
}
