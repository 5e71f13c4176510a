// The web dashboard's secrets: one-time login tokens (handed out over the
// Unix-socket API to `cairn ui`), the sessions they become, and each
// session's CSRF token. A session acts as the Unix-socket caller that asked
// for its token (its SO_PEERCRED identity), so the API treats a browser like
// the user who ran `cairn ui`. Every secret is 256 random bits, kept in locked
// memory, compared in constant time. Thread-safe (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "crypto/secret.hpp"

namespace cairn::api {

struct web_session_ids {
  std::string session;  // the cookie's value (64 hex digits)
  std::string csrf;     // the X-CSRF-Token the page sends with each POST
};

struct web_session_view {
  std::string csrf;
  peer caller;  // who asked for the token
};

class web_sessions {
public:
  using clock = std::chrono::steady_clock;
  struct options {
    std::chrono::seconds token_lifetime{300};
    std::chrono::seconds session_lifetime{12 * 3600};
    size_t max_tokens = 16;    // the oldest unused token goes first
    size_t max_sessions = 32;  // the oldest session goes first
  };
  web_sessions() = default;
  explicit web_sessions(options o) : options_(o) {}

  // A new one-time token (64 hex digits) for `caller`, valid for token_lifetime.
  std::string issue_token(const peer& caller, clock::time_point now = clock::now());
  // Spends `token` (once): a new session, or nullopt when it is unknown,
  // spent or expired.
  std::optional<web_session_ids> login(const std::string& token, clock::time_point now = clock::now());
  // The live session `session` (its CSRF token and caller), or nullopt.
  std::optional<web_session_view> lookup(const std::string& session, clock::time_point now = clock::now());
  // True when `csrf` is the CSRF token of the live session `session`.
  bool csrf_matches(const std::string& session, const std::string& csrf, clock::time_point now = clock::now());
  void logout(const std::string& session);

  std::chrono::seconds token_lifetime() const { return options_.token_lifetime; }

private:
  struct token {
    crypto::secret value;
    clock::time_point expires;
    peer caller;
  };
  struct session {
    crypto::secret id, csrf;
    clock::time_point expires;
    peer caller;
  };
  session* find(const std::string& id, clock::time_point now);  // holds mutex_

  options options_;
  std::mutex mutex_;
  std::vector<token> tokens_;
  std::vector<session> sessions_;
};

}  // namespace cairn::api
