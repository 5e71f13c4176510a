#include "api/web_front.hpp"

#include <nlohmann/json.hpp>

#include "api/web_assets.hpp"

namespace cairn::api {

namespace {

using json = nlohmann::json;

// No inline script or style, nothing from elsewhere, no framing.
constexpr const char* csp =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void secure(http_response& r) {
  r.headers.emplace_back("Content-Security-Policy", csp);
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  r.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  bool has_cache = false;
  for (const auto& h : r.headers) has_cache |= h.first == "Cache-Control";
  if (!has_cache) r.headers.emplace_back("Cache-Control", "no-store");
}

bool is_wildcard(const std::string& host) { return host == "0.0.0.0" || host == "::"; }

std::optional<http_response> asset(const std::string& path) {
  std::string want = path == "/" ? "/index.html" : path;
  for (const auto& a : web_assets())
    if (a.path == want) {
      http_response r;
      r.content_type = std::string(a.content_type);
      r.body = std::string(a.body);
      r.headers.emplace_back("Cache-Control", "no-cache");
      return r;
    }
  return std::nullopt;
}

}  // namespace

std::string web_front::cookie_name() const { return "cairn_session_" + std::to_string(where_.port); }

bool web_front::host_allowed(const std::string& host) const {
  if (is_wildcard(where_.host)) return !host.empty();  // any name may reach it: only the session guards it
  std::string port = ":" + std::to_string(where_.port);
  if (host == where_.authority()) return true;
  return where_.loopback && host == "localhost" + port;
}

std::string web_front::session_of(const http_request& request) const {
  std::string cookies = request.header("cookie"), want = cookie_name() + "=";
  size_t pos = 0;
  while (pos < cookies.size()) {
    size_t end = cookies.find(';', pos);
    if (end == std::string::npos) end = cookies.size();
    size_t start = cookies.find_first_not_of(' ', pos);
    if (start < end && cookies.compare(start, want.size(), want) == 0)
      return cookies.substr(start + want.size(), end - start - want.size());
    pos = end + 1;
  }
  return "";
}

http_response web_front::handle(const http_request& request) {
  http_response r = host_allowed(request.header("host"))
                      ? route(request)
                      : error_response(421, "wrong_host", "this dashboard answers only to " + where_.authority());
  secure(r);
  return r;
}

http_response web_front::route(const http_request& req) {
  bool get = req.method == "GET" || req.method == "HEAD", post = req.method == "POST";
  if (!get && !post) return error_response(405, "method_not_allowed", req.method + " is not used here");
  // A POST from another origin never gets through, whatever it carries.
  std::string origin = req.header("origin");
  if (post && !origin.empty() && origin != "http://" + req.header("host"))
    return error_response(403, "forbidden", "a request from another origin");
  if (get && !req.path.starts_with("/v1/") && req.path != "/metrics" && req.path != "/session") {
    if (auto a = asset(req.path)) return *a;
    return error_response(404, "not_found", "no such page: " + req.path);
  }
  if (post && req.path == "/login") return login(req);
  std::string session = session_of(req);
  auto found = sessions_.lookup(session);
  if (!found)
    return error_response(401, "unauthorized", "no valid session: open the URL that cairn ui prints");
  if (post && !sessions_.csrf_matches(session, req.header("x-csrf-token")))
    return error_response(403, "forbidden", "a missing or wrong X-CSRF-Token header");
  if (get && req.path == "/session") {
    http_response r;
    r.body = json{{"csrf", found->csrf}}.dump() + "\n";
    return r;
  }
  if (post && req.path == "/logout") {
    sessions_.logout(session);
    http_response r;
    r.body = "{\"logged_out\":true}\n";
    r.headers.emplace_back("Set-Cookie", cookie_name() + "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    return r;
  }
  if (req.path.starts_with("/v1/") || req.path == "/metrics") {
    http_request as_caller = req;
    as_caller.caller = found->caller;  // what the API decides by (e.g. where a restore may write)
    return control_(as_caller);
  }
  return error_response(404, "not_found", "no such endpoint: " + req.method + " " + req.path);
}

http_response web_front::login(const http_request& req) {
  auto body = json::parse(req.body, nullptr, false);
  std::string token = body.is_object() && body.contains("token") && body["token"].is_string()
                        ? body["token"].get<std::string>()
                        : "";
  auto ids = sessions_.login(token);
  if (!ids) return error_response(401, "unauthorized", "the token is unknown, used or expired: run cairn ui again");
  http_response r;
  r.body = json{{"csrf", ids->csrf}}.dump() + "\n";
  r.headers.emplace_back("Set-Cookie", cookie_name() + "=" + ids->session + "; HttpOnly; SameSite=Strict; Path=/");
  return r;
}

http_response web_front::issue_token(const http_request& request) {
  std::string token = sessions_.issue_token(request.caller);
  std::string host = is_wildcard(where_.host) ? "127.0.0.1:" + std::to_string(where_.port) : where_.authority();
  http_response r;
  r.body = json{{"token", token},
                {"url", "http://" + host + "/#token=" + token},
                {"expires_in_seconds", sessions_.token_lifetime().count()}}
             .dump() + "\n";
  return r;
}

expected<std::unique_ptr<http_server>> serve_web(const config::listen_address& where, web_front& front) {
  server_options o;
  o.tcp = tcp_address{where.host, where.port};
  o.max_body = 64 * 1024;
  return http_server::start(std::move(o), [&front](const http_request& r) { return front.handle(r); });
}

http_response web_is_off() {
  return error_response(404, "not_found", "the web dashboard is off: set api.web in the configuration (docs/WEB.md)");
}

}  // namespace cairn::api
