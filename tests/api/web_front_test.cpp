#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "api/web_front.hpp"

using namespace cairn;
using namespace cairn::api;
using namespace std::chrono_literals;

namespace {

std::string header_of(const http_response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "";
}

struct fixture {
  web_sessions sessions;
  int forwarded = 0;
  peer last_caller;
  web_front front{*config::parse_listen_address("127.0.0.1:8765"), sessions, [this](const http_request& r) {
                    ++forwarded;
                    last_caller = r.caller;
                    return http_response{200, "application/json", "{\"ok\":true}\n", {}, {}};
                  }};

  http_request request(std::string method, std::string path, std::string cookie = "", std::string csrf = "") {
    http_request r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.headers["host"] = "127.0.0.1:8765";
    if (!cookie.empty()) r.headers["cookie"] = "other=1; " + front.cookie_name() + "=" + cookie;
    if (!csrf.empty()) r.headers["x-csrf-token"] = csrf;
    return r;
  }

  // Logs in with a fresh token: the cookie's value and the CSRF token.
  std::pair<std::string, std::string> login() {
    http_request ask;
    ask.caller = peer{1000, 100, 42};
    auto token = nlohmann::json::parse(front.issue_token(ask).body)["token"].get<std::string>();
    auto r = request("POST", "/login");
    r.body = nlohmann::json{{"token", token}}.dump();
    auto reply = front.handle(r);
    REQUIRE(reply.status == 200);
    auto cookie = header_of(reply, "Set-Cookie");
    auto start = cookie.find('=') + 1;
    return {cookie.substr(start, cookie.find(';') - start), nlohmann::json::parse(reply.body)["csrf"]};
  }
};

}  // namespace

TEST_CASE("web_front: pages are public and carry security headers but the API needs a session") {
  fixture f;
  auto page = f.front.handle(f.request("GET", "/"));
  CHECK(page.status == 200);
  CHECK(page.content_type.starts_with("text/html"));
  CHECK(header_of(page, "Content-Security-Policy").find("default-src 'self'") != std::string::npos);
  CHECK(header_of(page, "Content-Security-Policy").find("frame-ancestors 'none'") != std::string::npos);
  CHECK(header_of(page, "X-Frame-Options") == "DENY");
  CHECK(header_of(page, "X-Content-Type-Options") == "nosniff");
  CHECK(header_of(page, "Referrer-Policy") == "no-referrer");
  CHECK(f.front.handle(f.request("GET", "/js/main.js")).content_type.starts_with("text/javascript"));
  CHECK(f.front.handle(f.request("GET", "/nope.html")).status == 404);

  auto plans = f.front.handle(f.request("GET", "/v1/plans"));
  CHECK(plans.status == 401);
  CHECK(header_of(plans, "X-Frame-Options") == "DENY");
  CHECK(f.front.handle(f.request("GET", "/v1/plans", std::string(64, 'a'))).status == 401);
  CHECK(f.front.handle(f.request("POST", "/v1/plans/x/run")).status == 401);
  CHECK(f.forwarded == 0);
}

TEST_CASE("web_front: a login cookie and then POSTs only with the session CSRF token") {
  fixture f;
  auto bad = f.request("POST", "/login");
  bad.body = R"({"token":"0000000000000000000000000000000000000000000000000000000000000000"})";
  CHECK(f.front.handle(bad).status == 401);
  auto token = nlohmann::json::parse(f.front.issue_token(http_request{}).body)["token"].get<std::string>();
  auto r = f.request("POST", "/login");
  r.body = nlohmann::json{{"token", token}}.dump();
  auto reply = f.front.handle(r);
  REQUIRE(reply.status == 200);
  auto cookie = header_of(reply, "Set-Cookie");
  CHECK(cookie.find("HttpOnly") != std::string::npos);
  CHECK(cookie.find("SameSite=Strict") != std::string::npos);
  CHECK(cookie.find("Path=/") != std::string::npos);
  CHECK(f.front.handle(r).status == 401);  // the token worked once

  auto [session, csrf] = f.login();
  auto spoofed = f.request("GET", "/v1/plans", session);
  spoofed.caller = peer{0, 0, 1};  // whatever the connection says, the session's caller is forwarded
  CHECK(f.front.handle(spoofed).status == 200);
  CHECK(f.forwarded == 1);
  CHECK(f.last_caller.uid == 1000);
  CHECK(f.last_caller.gid == 100);
  CHECK(f.front.handle(f.request("POST", "/v1/plans/x/run", session)).status == 403);
  CHECK(f.front.handle(f.request("POST", "/v1/plans/x/run", session, std::string(64, 'f'))).status == 403);
  CHECK(f.forwarded == 1);
  CHECK(f.front.handle(f.request("POST", "/v1/plans/x/run", session, csrf)).status == 200);
  CHECK(f.forwarded == 2);
  auto cross = f.request("POST", "/v1/plans/x/run", session, csrf);
  cross.headers["origin"] = "http://evil.example";
  CHECK(f.front.handle(cross).status == 403);
  CHECK(f.forwarded == 2);
  CHECK(nlohmann::json::parse(f.front.handle(f.request("GET", "/session", session)).body)["csrf"] == csrf);
}

TEST_CASE("web_front: another Host (DNS rebinding) is refused but localhost is fine") {
  fixture f;
  auto [session, csrf] = f.login();
  auto r = f.request("GET", "/v1/plans", session);
  r.headers["host"] = "evil.example:8765";
  CHECK(f.front.handle(r).status == 421);
  r.headers.erase("host");
  CHECK(f.front.handle(r).status == 421);
  r.headers["host"] = "localhost:8765";
  CHECK(f.front.handle(r).status == 200);
  r.headers["host"] = "127.0.0.1:9999";
  CHECK(f.front.handle(r).status == 421);
}
