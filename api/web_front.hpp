// The web dashboard's HTTP front (docs/WEB.md): checks the Host header, serves
// the embedded static files, turns a one-time token into a session cookie,
// demands that session (and, for POST, its CSRF token) on /v1/ and /metrics,
// forwards those to the control API's handler as if the user who ran `cairn
// ui` had sent them over the Unix socket, and adds security
// headers to every reply. It implements no endpoint of its own beyond login.
// Thread-safe: handle() runs on many connection threads.
#pragma once

#include <memory>

#include "api/http_server.hpp"
#include "api/web_sessions.hpp"
#include "config/listen_address.hpp"

namespace cairn::api {

class web_front {
public:
  // `sessions` outlives this (the daemon keeps it across reloads).
  web_front(config::listen_address where, web_sessions& sessions, http_handler control)
    : where_(std::move(where)), sessions_(sessions), control_(std::move(control)) {}

  http_response handle(const http_request& request);
  // For POST /v1/web/token on the Unix socket: a one-time token and the URL
  // that uses it. The session it becomes acts as `request.caller`.
  http_response issue_token(const http_request& request);

  // The session cookie's name: one per port, since cookies ignore ports.
  std::string cookie_name() const;

private:
  bool host_allowed(const std::string& host) const;
  std::string session_of(const http_request& request) const;  // the cookie, or ""
  http_response route(const http_request& request);
  http_response login(const http_request& request);

  config::listen_address where_;
  web_sessions& sessions_;
  http_handler control_;
};

// Serves `front` on its TCP address until the returned server is destroyed.
expected<std::unique_ptr<http_server>> serve_web(const config::listen_address& where, web_front& front);

// The reply to POST /v1/web/token when api.web is off.
http_response web_is_off();

}  // namespace cairn::api
