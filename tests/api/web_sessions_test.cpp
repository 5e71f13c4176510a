#include <doctest/doctest.h>

#include "api/web_sessions.hpp"

using namespace cairn::api;
using namespace std::chrono_literals;

TEST_CASE("web_sessions: a token works once and only before it expires") {
  web_sessions s({.token_lifetime = 300s});
  auto now = web_sessions::clock::now();
  auto token = s.issue_token(now);
  CHECK(token.size() == 64);
  CHECK(!s.login(std::string(64, '0'), now));
  CHECK(!s.login("not hex", now));
  auto ids = s.login(token, now);
  REQUIRE(ids);
  CHECK(!s.login(token, now));  // spent
  CHECK(s.csrf_of(ids->session, now) == ids->csrf);
  CHECK(s.csrf_matches(ids->session, ids->csrf, now));
  CHECK(!s.csrf_matches(ids->session, ids->session, now));
  CHECK(!s.csrf_matches(ids->session, "", now));
  auto late = s.issue_token(now);
  CHECK(!s.login(late, now + 301s));  // expired
  s.logout(ids->session);
  CHECK(!s.csrf_of(ids->session, now));
}

TEST_CASE("web_sessions: sessions expire and the oldest make room") {
  web_sessions s({.token_lifetime = 300s, .session_lifetime = 60s, .max_tokens = 2, .max_sessions = 2});
  auto now = web_sessions::clock::now();
  auto first = s.issue_token(now);
  s.issue_token(now);
  s.issue_token(now);
  CHECK(!s.login(first, now));  // pushed out by the third
  auto a = s.login(s.issue_token(now), now);
  REQUIRE(a);
  CHECK(!s.csrf_of(a->session, now + 61s));
}
