// A small HTTP/1.1 server (libmicrohttpd), one thread per connection: on a
// Unix socket, where it checks who calls (SO_PEERCRED) before any handler
// runs, or on a TCP address (the web dashboard), where the handler must.
// It knows nothing of Cairn's commands: the handler does. Handlers run on
// connection threads, several at once: they must be thread-safe.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.hpp"

namespace cairn::api {

struct peer {
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
  pid_t pid = 0;
};

struct http_request {
  std::string method;  // GET, POST, ...
  std::string path;    // without the query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  peer caller;  // Unix socket only

  // The header's value, or "".
  std::string header(const std::string& lower_case_name) const;
};

// A streamed body (Server-Sent Events): called again and again on the
// connection's thread, may block a little, appends to `out`; false ends it.
using body_stream = std::function<bool(std::string& out)>;

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  body_stream stream;  // set: the body is streamed
  std::vector<std::pair<std::string, std::string>> headers;
};

using http_handler = std::function<http_response(const http_request&)>;

struct tcp_address {
  std::string host;  // an IPv4 or IPv6 literal
  uint16_t port = 0;
};

struct server_options {
  std::filesystem::path socket;            // created 0660; a stale one is replaced
  std::optional<tcp_address> tcp;          // set: listen here instead (no peer check)
  std::optional<gid_t> group;              // the socket's group (api.group)
  std::function<bool(const peer&)> allowed;  // who may call; others get 403
  size_t max_body = 1 << 20;
};

class http_server {
public:
  static expected<std::unique_ptr<http_server>> start(server_options options, http_handler handler);
  ~http_server();  // stops: streams end, connections close
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  bool stopping() const { return stopping_.load(); }

  struct impl;

private:
  http_server() = default;
  std::unique_ptr<impl> impl_;
  std::atomic<bool> stopping_{false};
};

// root, this process's user, and members of `group` (when set).
bool default_allowed(const peer& caller, std::optional<gid_t> group);

// A JSON error body: {"error": {"code": CODE, "message": MESSAGE}}.
http_response error_response(int status, const std::string& code, const std::string& message);

}  // namespace cairn::api
