#include <doctest/doctest.h>

#include "api/web_sessions.hpp"

using namespace cairn::api;
using namespace std::chrono_literals;

namespace {
const peer alice{1000, 100, 42};
}  // namespace

TEST_CASE("web_sessions: a token works once and only before it expires") {
  web_sessions s({.token_lifetime = 300s});
  auto now = web_sessions::clock::now();
  auto token = s.issue_token(alice, now);
  CHECK(token.size() == 64);
  CHECK(!s.login(std::string(64, '0'), now));
  CHECK(!s.login("not hex", now));
  auto ids = s.login(token, now);
  REQUIRE(ids);
  CHECK(!s.login(token, now));  // spent
  auto view = s.lookup(ids->session, now);
  REQUIRE(view);
  CHECK(view->csrf == ids->csrf);
  CHECK(view->caller.uid == 1000);  // the session acts as whoever asked for the token
  CHECK(view->caller.gid == 100);
  CHECK(s.csrf_matches(ids->session, ids->csrf, now));
  CHECK(!s.csrf_matches(ids->session, ids->session, now));
  CHECK(!s.csrf_matches(ids->session, "", now));
  auto late = s.issue_token(alice, now);
  CHECK(!s.login(late, now + 301s));  // expired
  s.logout(ids->session);
  CHECK(!s.lookup(ids->session, now));
}

TEST_CASE("web_sessions: sessions expire and the oldest make room") {
  web_sessions s({.token_lifetime = 300s, .session_lifetime = 60s, .max_tokens = 2, .max_sessions = 2});
  auto now = web_sessions::clock::now();
  auto first = s.issue_token(alice, now);
  s.issue_token(alice, now);
  s.issue_token(alice, now);
  CHECK(!s.login(first, now));  // pushed out by the third
  auto a = s.login(s.issue_token(alice, now), now);
  REQUIRE(a);
  CHECK(!s.lookup(a->session, now + 61s));
}
