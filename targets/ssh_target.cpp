#include "targets/ssh_target.hpp"

#include <sstream>

#include "targets/detail/child_process.hpp"
#include "targets/detail/frame_io.hpp"
#include "targets/remote_protocol.hpp"

namespace cairn::targets {

namespace {

using remote::op;

// Replies other than a get's data: a list's entries frames are the largest.
constexpr uint32_t max_small_reply = 8u << 20;
constexpr uint32_t reply_overhead = 64u << 10;

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string option_path(const std::filesystem::path& p) {
  auto s = p.string();
  return s.find(' ') == std::string::npos ? s : "\"" + s + "\"";
}

bool contains(const std::string& text, std::string_view what) { return text.find(what) != std::string::npos; }

}  // namespace

std::vector<std::string> ssh_command_line(const ssh_login& l) {
  std::vector<std::string> argv;
  std::istringstream words(l.ssh_command.empty() ? std::string("ssh") : l.ssh_command);
  for (std::string w; words >> w;) argv.push_back(w);
  for (const char* a : {"-T", "-x", "-a", "-e", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
                        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"})
    argv.push_back(a);
  argv.push_back("-o");
  argv.push_back("ConnectTimeout=" + std::to_string(l.connect_timeout.count()));
  if (!l.identity.empty()) {
    argv.insert(argv.end(), {"-i", l.identity.string(), "-o", "IdentitiesOnly=yes"});
  }
  if (!l.known_hosts.empty()) argv.insert(argv.end(), {"-o", "UserKnownHostsFile=" + option_path(l.known_hosts)});
  if (l.port) argv.insert(argv.end(), {"-p", std::to_string(l.port)});
  if (!l.user.empty()) argv.insert(argv.end(), {"-l", l.user});
  argv.insert(argv.end(), {"--", l.host, "cairn serve " + shell_quoted(l.path)});
  return argv;
}

std::string describe_login(const ssh_login& l) {
  return "ssh:" + (l.user.empty() ? "" : l.user + "@") + l.host + (l.port ? ":" + std::to_string(l.port) : "") +
         l.path;
}

// One ssh process and the serve session on it. Used by one thread at a time.
class ssh_target::connection {
public:
  connection(detail::child_process child, int timeout_ms) : child_(std::move(child)), timeout_ms_(timeout_ms) {}

  bool broken() const { return broken_; }

  // Sends `q` and returns the payload of its result; a list's entries frames
  // go to `on_entries` first. Any error here leaves the connection broken.
  expected<byte_buffer> call(const remote::request& q, uint32_t max_reply,
                             const std::function<status(byte_view)>& on_entries = {}) {
    if (auto sent = detail::write_frame(child_.fd(), remote::encode_request(q), timeout_ms_); !sent)
      return breaks(sent.error());
    for (;;) {
      auto frame = detail::read_frame(child_.fd(), max_reply, timeout_ms_);
      if (!frame) return breaks(frame.error());
      if (!*frame) return breaks(error{errc::transient, closed_because()});
      auto kind = remote::kind_of(**frame);
      if (kind == remote::reply_kind::result) {
        child_.drain_stderr();
        return std::move(**frame);
      }
      if (kind != remote::reply_kind::entries || !on_entries)
        return breaks(error{errc::corrupt, "an unexpected reply from the server"});
      if (auto st = on_entries(**frame); !st) return breaks(st.error());
    }
  }

  // The hello exchange; the server's refusal (a missing directory, an old client) as its error.
  status hello() {
    remote::request q;
    q.kind = op::hello;
    q.name = std::string(remote::protocol_magic);
    q.version = remote::protocol_version;
    auto payload = call(q, max_small_reply);
    if (!payload) return fail(classify_startup(payload.error()));
    auto r = remote::decode_result(op::hello, *payload);
    if (!r) return breaks_status(r.error());
    if (!r->ok()) return breaks_status(r->failure);
    if (r->version != remote::protocol_version)
      return breaks_status(error{errc::unsupported, "the server chose serve protocol " + std::to_string(r->version) +
                                                      ", this client speaks " + std::to_string(remote::protocol_version)});
    return {};  // r->append_only: refusals come back by name, so the client needs no mode of its own
  }

private:
  tl::unexpected<error> breaks(error e) {
    broken_ = true;
    return tl::unexpected<error>(std::move(e));
  }
  status breaks_status(error e) { return breaks(std::move(e)); }

  std::string closed_because() {
    auto line = child_.last_error_line();
    return "the connection closed" + (line.empty() ? std::string() : ": " + line);
  }

  // Before the hello's answer: ssh could not log in, or the server has no cairn.
  error classify_startup(const error& e) {
    if (e.code() != errc::transient) return e;
    int code = child_.wait_exit(2000);
    auto line = child_.last_error_line();
    std::string because = line.empty() ? e.message() : line;
    if (code == 127 || contains(line, "not found"))
      return error{errc::unsupported, "the server cannot run cairn serve: " + because};
    for (auto refused : {"Permission denied", "Host key verification failed", "IDENTIFICATION HAS CHANGED",
                         "Load key", "No such file or directory", "Bad configuration", "bad permissions"})
      if (contains(line, refused)) return error{errc::auth, "ssh: " + because};
    return error{errc::transient, "ssh: " + because};
  }

  detail::child_process child_;
  int timeout_ms_;
  bool broken_ = false;
};

class ssh_target::lease {
public:
  lease(ssh_target* owner, std::unique_ptr<connection> c) : owner_(owner), c_(std::move(c)) {}
  lease(lease&& o) noexcept : owner_(o.owner_), c_(std::move(o.c_)) {}
  ~lease() {
    if (c_) owner_->give_back(std::move(c_));
  }
  connection* operator->() { return c_.get(); }

private:
  ssh_target* owner_;
  std::unique_ptr<connection> c_;
};

ssh_target::ssh_target(ssh_options options) : options_(std::move(options)) {}

ssh_target::~ssh_target() = default;

expected<ssh_target::lease> ssh_target::borrow() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty() || open_ < options_.connections; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return lease(this, std::move(c));
  }
  ++open_;
  lock.unlock();
  auto started = [&]() -> expected<std::unique_ptr<connection>> {
    CAIRN_ASSIGN(auto child, detail::child_process::spawn(options_.command));
    auto c = std::make_unique<connection>(std::move(child), static_cast<int>(options_.timeout.count() * 1000));
    CAIRN_TRY(c->hello());
    return c;
  }();
  if (!started) {
    lock.lock();
    --open_;
    available_.notify_one();
    return fail(error{started.error().code(), describe() + ": " + started.error().message()});
  }
  return lease(this, std::move(*started));
}

void ssh_target::give_back(std::unique_ptr<connection> c) {
  std::unique_ptr<connection> dropped;  // ended outside the lock: it waits for ssh to exit
  {
    std::lock_guard lock(mutex_);
    if (c->broken()) {
      dropped = std::move(c);
      --open_;
    } else {
      idle_.push_back(std::move(c));
    }
  }
  available_.notify_one();
}

error ssh_target::failed(const error& e, std::string_view what, std::string_view name) const {
  return error{e.code(), describe() + ": " + std::string(what) + " " + std::string(name) + ": " + e.message()};
}

namespace {

// A server's refusal keeps its kind; its message already names the object.
template <class T>
tl::unexpected<error> refused(const std::string& where, const remote::result& r) {
  return fail(error{r.failure.code(), where + ": " + r.failure.message()});
}

}  // namespace

status ssh_target::put(std::string_view name, byte_view data) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  if (data.size() > remote::max_object_bytes)
    return fail(errc::invalid_input, describe() + ": " + std::string(name) + " is larger than cairn serve takes");
  CAIRN_ASSIGN(auto c, borrow());
  remote::request q{op::put, std::string(name), 0, {}, data};
  auto payload = c->call(q, max_small_reply);
  if (!payload) return fail(failed(payload.error(), "put", name));
  auto r = remote::decode_result(op::put, *payload);
  if (!r) return fail(failed(r.error(), "put", name));
  if (!r->ok()) return refused<void>(describe(), *r);
  return {};
}

expected<byte_buffer> ssh_target::get(std::string_view name, byte_range range) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  remote::request q{op::get, std::string(name), 0, range, {}};
  // The reply holds at most what was asked for: a server sending more is cut off before it is read.
  uint64_t want = std::min<uint64_t>(range.length, remote::max_object_bytes);
  auto payload = c->call(q, static_cast<uint32_t>(want + reply_overhead));
  if (!payload) return fail(failed(payload.error(), "get", name));
  auto r = remote::decode_result(op::get, *payload);
  if (!r) return fail(failed(r.error(), "get", name));
  if (!r->ok()) return refused<byte_buffer>(describe(), *r);
  if (r->data.size() > want) return fail(failed(error{errc::corrupt, "the server sent more than was asked for"}, "get", name));
  return byte_buffer(r->data.begin(), r->data.end());
}

expected<object_info> ssh_target::stat(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  remote::request q{op::stat, std::string(name), 0, {}, {}};
  auto payload = c->call(q, max_small_reply);
  if (!payload) return fail(failed(payload.error(), "stat", name));
  auto r = remote::decode_result(op::stat, *payload);
  if (!r) return fail(failed(r.error(), "stat", name));
  if (!r->ok()) return refused<object_info>(describe(), *r);
  return object_info{std::string(name), r->size};
}

status ssh_target::list(std::string_view prefix, const std::function<bool(const object_info&)>& fn) {
  if (!remote::valid_prefix(prefix))
    return fail(errc::invalid_input, describe() + ": invalid prefix " + std::string(prefix));
  CAIRN_ASSIGN(auto c, borrow());
  remote::request q{op::list, std::string(prefix), 0, {}, {}};
  bool stopped = false;
  uint64_t total = 0;
  // After fn stops the listing, the rest is read and dropped: the stream stays in step.
  auto payload = c->call(q, max_small_reply, [&](byte_view frame) -> status {
    CAIRN_ASSIGN(auto entries, remote::decode_entries(frame, prefix));
    total += entries.size();
    if (total > remote::max_list_entries) return fail(errc::corrupt, "more entries than a listing may have");
    for (const auto& e : entries) {
      if (stopped) break;
      stopped = !fn(e);
    }
    return {};
  });
  if (!payload) return fail(failed(payload.error(), "list", prefix));
  auto r = remote::decode_result(op::list, *payload);
  if (!r) return fail(failed(r.error(), "list", prefix));
  if (!r->ok()) return refused<void>(describe(), *r);
  return {};
}

status ssh_target::remove(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  remote::request q{op::remove, std::string(name), 0, {}, {}};
  auto payload = c->call(q, max_small_reply);
  if (!payload) return fail(failed(payload.error(), "remove", name));
  auto r = remote::decode_result(op::remove, *payload);
  if (!r) return fail(failed(r.error(), "remove", name));
  if (!r->ok()) return refused<void>(describe(), *r);
  return {};
}

}  // namespace cairn::targets
