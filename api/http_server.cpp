#include "api/http_server.hpp"

#include <grp.h>
#include <microhttpd.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

namespace cairn::api {

struct http_server::impl {
  server_options options;
  http_handler handler;
  MHD_Daemon* daemon = nullptr;
  int listen_fd = -1;
  http_server* owner = nullptr;
  // Requests read and not yet answered: stopping waits for them, so a request
  // that itself causes the stop (a change that reloads) still gets its reply.
  std::atomic<int> open_requests{0};
};

namespace {

// What one connection's request collects between the calls MHD makes.
struct request_state {
  std::string body;
  bool too_large = false;
  bool refused = false;
  peer caller;
};

struct stream_state {
  body_stream next;
  std::string pending;
  size_t offset = 0;
  const http_server* server;
};

std::optional<peer> peer_of(MHD_Connection* connection) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (!info) return std::nullopt;
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (::getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return std::nullopt;
  return peer{cred.uid, cred.gid, cred.pid};
}

MHD_Result queue(MHD_Connection* connection, http_response r, const http_server* server) {
  MHD_Response* response = nullptr;
  if (r.stream) {
    auto* state = new stream_state{std::move(r.stream), {}, 0, server};
    response = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, 16 * 1024,
      [](void* cls, uint64_t, char* buf, size_t max) -> ssize_t {
        auto* s = static_cast<stream_state*>(cls);
        while (s->offset == s->pending.size()) {
          s->pending.clear();
          s->offset = 0;
          if (s->server->stopping() || !s->next(s->pending)) return MHD_CONTENT_READER_END_OF_STREAM;
        }
        size_t n = std::min(max, s->pending.size() - s->offset);
        std::memcpy(buf, s->pending.data() + s->offset, n);
        s->offset += n;
        return static_cast<ssize_t>(n);
      },
      state, [](void* cls) { delete static_cast<stream_state*>(cls); });
    MHD_add_response_header(response, "Cache-Control", "no-store");
  } else {
    response = MHD_create_response_from_buffer(r.body.size(), r.body.data(), MHD_RESPMEM_MUST_COPY);
  }
  if (!response) return MHD_NO;
  MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
  for (const auto& [k, v] : r.headers) MHD_add_response_header(response, k.c_str(), v.c_str());
  auto result = MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method, const char*,
                      const char* upload, size_t* upload_size, void** context) {
  auto* self = static_cast<http_server::impl*>(cls);
  if (!*context) {  // the first call: headers only
    auto* state = new request_state;
    *context = state;
    ++self->open_requests;
    if (!self->options.tcp) {  // TCP callers have no credentials: the handler authenticates them
      auto caller = peer_of(connection);
      state->refused = !caller || !self->options.allowed || !self->options.allowed(*caller);
      if (caller) state->caller = *caller;
    }
    return MHD_YES;
  }
  auto* state = static_cast<request_state*>(*context);
  if (*upload_size > 0) {
    if (state->body.size() + *upload_size > self->options.max_body) state->too_large = true;
    else state->body.append(upload, *upload_size);
    *upload_size = 0;
    return MHD_YES;
  }
  if (state->refused)
    return queue(connection, error_response(403, "forbidden", "this user may not use the Cairn API (see api.group)"),
                 self->owner);
  if (state->too_large)
    return queue(connection, error_response(413, "too_large", "the request body is too large"), self->owner);
  http_request req;
  req.method = method;
  req.path = url;
  req.body = std::move(state->body);
  req.caller = state->caller;
  MHD_get_connection_values(
    connection, MHD_GET_ARGUMENT_KIND,
    [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
      (*static_cast<std::map<std::string, std::string>*>(cls))[key] = value ? value : "";
      return MHD_YES;
    },
    &req.query);
  MHD_get_connection_values(
    connection, MHD_HEADER_KIND,
    [](void* cls, MHD_ValueKind, const char* key, const char* value) -> MHD_Result {
      std::string name(key);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      (*static_cast<std::map<std::string, std::string>*>(cls))[name] = value ? value : "";
      return MHD_YES;
    },
    &req.headers);
  http_response r;
  try {
    r = self->handler(req);
  } catch (const std::exception& e) {
    r = error_response(500, "internal", e.what());
  }
  return queue(connection, std::move(r), self->owner);
}

void on_completed(void* cls, MHD_Connection*, void** context, MHD_RequestTerminationCode) {
  if (!*context) return;
  delete static_cast<request_state*>(*context);
  *context = nullptr;
  --static_cast<http_server::impl*>(cls)->open_requests;
}

expected<int> listen_tcp(const tcp_address& a) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, a.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(a.port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, a.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(a.port);
    len = sizeof *v6;
  } else {
    return fail(errc::invalid_input, "not an IP address: " + a.host);
  }
  std::string where = a.host + " port " + std::to_string(a.port);
  int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errc::io, std::string("socket: ") + std::strerror(errno));
  int on = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (addr.ss_family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 64) != 0) {
    int err = errno;
    ::close(fd);
    return fail(errc::io, "listen on " + where + ": " + std::strerror(err));
  }
  return fd;
}

expected<int> listen_on(const server_options& o) {
  if (o.tcp) return listen_tcp(*o.tcp);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  auto path = o.socket.string();
  if (path.size() >= sizeof addr.sun_path) return fail(errc::invalid_input, "the API socket path is too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail(errc::exists, path + " exists and is not a socket: not replaced");
    ::unlink(path.c_str());  // left by a daemon that died (the daemon lock says none runs)
  }
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errc::io, std::string("socket: ") + std::strerror(errno));
  mode_t old = ::umask(0117);  // 0660 from the start: never open to others
  int r = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  ::umask(old);
  if (r != 0) {
    ::close(fd);
    return fail(errc::io, "bind " + path + ": " + std::strerror(err));
  }
  if (o.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *o.group) != 0) {
    err = errno;
    ::close(fd);
    return fail(errc::io, "give " + path + " to the API group: " + std::strerror(err));
  }
  if (::listen(fd, 64) != 0) {
    err = errno;
    ::close(fd);
    return fail(errc::io, "listen on " + path + ": " + std::strerror(err));
  }
  return fd;
}

}  // namespace

bool default_allowed(const peer& caller, std::optional<gid_t> group) {
  if (caller.uid == 0 || caller.uid == ::geteuid()) return true;
  if (!group) return false;
  if (caller.gid == *group) return true;
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buffer(16384);
  if (::getpwuid_r(caller.uid, &pw, buffer.data(), buffer.size(), &found) != 0 || !found) return false;
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    if (::getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) return false;
  }
  groups.resize(static_cast<size_t>(count));
  return std::find(groups.begin(), groups.end(), *group) != groups.end();
}

std::string http_request::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

http_response error_response(int status, const std::string& code, const std::string& message) {
  http_response r;
  r.status = status;
  r.body = nlohmann::json{{"error", {{"code", code}, {"message", message}}}}.dump(
             -1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

expected<std::unique_ptr<http_server>> http_server::start(server_options options, http_handler handler) {
  CAIRN_ASSIGN(int fd, listen_on(options));
  std::unique_ptr<http_server> server(new http_server);
  server->impl_ = std::make_unique<impl>();
  auto& i = *server->impl_;
  i.options = std::move(options);
  i.handler = std::move(handler);
  i.listen_fd = fd;
  i.owner = server.get();
  i.daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, nullptr, nullptr,
                              &on_request, &i, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
                              &on_completed, &i, MHD_OPTION_CONNECTION_LIMIT, 64u,
                              MHD_OPTION_CONNECTION_TIMEOUT, 600u, MHD_OPTION_END);
  if (!i.daemon) {
    ::close(fd);
    return fail(errc::io, "cannot serve HTTP on " + (i.options.tcp ? i.options.tcp->host : i.options.socket.string()));
  }
  return server;
}

http_server::~http_server() {
  stopping_ = true;
  if (impl_ && impl_->daemon) {
    MHD_quiesce_daemon(impl_->daemon);  // the listening socket stays ours to close
    // Streams end now (stopping_); other requests get up to 5 s to be answered.
    for (int i = 0; i < 500 && impl_->open_requests.load() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    MHD_stop_daemon(impl_->daemon);
  }
  if (impl_ && impl_->listen_fd >= 0) {
    ::close(impl_->listen_fd);
    if (!impl_->options.tcp) ::unlink(impl_->options.socket.c_str());
  }
}

}  // namespace cairn::api
