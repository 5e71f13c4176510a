#include "api/web_sessions.hpp"

#include <algorithm>

namespace cairn::api {

namespace {

constexpr size_t secret_size = 32;

std::string hex_of(const crypto::secret& s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (size_t i = 0; i < s.size(); ++i) {
    out += digits[s.data()[i] >> 4];
    out += digits[s.data()[i] & 15];
  }
  return out;
}

// 64 hex digits into a secret; nullopt for anything else. Its time depends
// only on the length, which is public.
std::optional<crypto::secret> secret_of(const std::string& hex) {
  if (hex.size() != secret_size * 2) return std::nullopt;
  crypto::secret s(secret_size);
  bool bad = false;
  for (size_t i = 0; i < hex.size(); ++i) {
    char c = hex[i];
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    bad |= v < 0;
    s.data()[i / 2] = static_cast<uint8_t>((s.data()[i / 2] << 4) | (v & 15));
  }
  if (bad) return std::nullopt;
  return s;
}

template <class T>
void drop_expired(std::vector<T>& items, web_sessions::clock::time_point now) {
  items.erase(std::remove_if(items.begin(), items.end(), [&](const T& t) { return t.expires <= now; }), items.end());
}

}  // namespace

std::string web_sessions::issue_token(const peer& caller, clock::time_point now) {
  std::lock_guard lock(mutex_);
  drop_expired(tokens_, now);
  if (tokens_.size() >= options_.max_tokens) tokens_.erase(tokens_.begin());
  tokens_.push_back({crypto::secret::random(secret_size), now + options_.token_lifetime, caller});
  return hex_of(tokens_.back().value);
}

std::optional<web_session_ids> web_sessions::login(const std::string& token_hex, clock::time_point now) {
  auto presented = secret_of(token_hex);
  if (!presented) return std::nullopt;
  std::lock_guard lock(mutex_);
  drop_expired(tokens_, now);
  // Every token is compared, so the time taken says nothing about which matched.
  auto match = tokens_.end();
  for (auto it = tokens_.begin(); it != tokens_.end(); ++it)
    if (it->value.equals(*presented)) match = it;
  if (match == tokens_.end()) return std::nullopt;
  peer caller = match->caller;
  tokens_.erase(match);  // single use
  drop_expired(sessions_, now);
  if (sessions_.size() >= options_.max_sessions) sessions_.erase(sessions_.begin());
  sessions_.push_back({crypto::secret::random(secret_size), crypto::secret::random(secret_size),
                       now + options_.session_lifetime, caller});
  return web_session_ids{hex_of(sessions_.back().id), hex_of(sessions_.back().csrf)};
}

web_sessions::session* web_sessions::find(const std::string& id_hex, clock::time_point now) {
  auto presented = secret_of(id_hex);
  if (!presented) return nullptr;
  drop_expired(sessions_, now);
  session* match = nullptr;
  for (auto& s : sessions_)
    if (s.id.equals(*presented)) match = &s;
  return match;
}

std::optional<web_session_view> web_sessions::lookup(const std::string& session_hex, clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto* s = find(session_hex, now);
  if (!s) return std::nullopt;
  return web_session_view{hex_of(s->csrf), s->caller};
}

bool web_sessions::csrf_matches(const std::string& session_hex, const std::string& csrf_hex, clock::time_point now) {
  auto presented = secret_of(csrf_hex);
  std::lock_guard lock(mutex_);
  auto* s = find(session_hex, now);
  return s && presented && s->csrf.equals(*presented);
}

void web_sessions::logout(const std::string& session_hex) {
  std::lock_guard lock(mutex_);
  auto presented = secret_of(session_hex);
  if (!presented) return;
  sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                 [&](const session& s) { return s.id.equals(*presented); }),
                  sessions_.end());
}

}  // namespace cairn::api
