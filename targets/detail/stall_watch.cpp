#include "targets/detail/stall_watch.hpp"

#include <fcntl.h>
#include <linux/tcp.h>  // struct tcp_info with the byte counters (glibc's lacks them)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>

namespace cairn::targets::detail {

struct stall_watch::socket {
  int fd = -1;  // our own descriptor of the connection
  bool busy = false;
  bool stalled = false;
  uint64_t moved = 0;  // bytes received and acknowledged when last seen
  std::chrono::steady_clock::time_point since;  // when `moved` last changed (or busy began)
  ~socket() {
    if (fd >= 0) ::close(fd);
  }
};

namespace {

// Bytes received plus bytes the peer acknowledged; false when unknown (not
// TCP, or a kernel without the counters): such a socket is never dropped.
bool bytes_moved(int fd, uint64_t& out) {
  struct tcp_info info {};
  socklen_t len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
  if (len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) return false;
  out = info.tcpi_bytes_acked + info.tcpi_bytes_received;
  return true;
}

}  // namespace

stall_watch::stall_watch(std::chrono::milliseconds timeout) : timeout_(timeout) {}

stall_watch::~stall_watch() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<stall_watch::socket> stall_watch::watch(int fd) {
  if (fd < 0 || timeout_.count() <= 0) return nullptr;
  int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return nullptr;
  auto s = std::make_shared<socket>();
  s->fd = own;
  std::lock_guard lock(mutex_);
  std::erase_if(sockets_, [](const auto& w) { return w.expired(); });
  sockets_.push_back(s);
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  return s;
}

void stall_watch::busy(socket& s, bool on) {
  std::lock_guard lock(mutex_);
  s.busy = on;
  if (on) {
    s.since = std::chrono::steady_clock::now();
    if (!bytes_moved(s.fd, s.moved)) s.moved = 0;
  }
}

bool stall_watch::stalled(const socket& s) const {
  std::lock_guard lock(mutex_);
  return s.stalled;
}

void stall_watch::check(socket& s, std::chrono::steady_clock::time_point now) {
  if (!s.busy || s.stalled) return;
  uint64_t moved = 0;
  if (!bytes_moved(s.fd, moved)) return;
  if (moved != s.moved) {
    s.moved = moved;
    s.since = now;
    return;
  }
  if (now - s.since < timeout_) return;
  s.stalled = true;
  ::shutdown(s.fd, SHUT_RDWR);
}

void stall_watch::run() {
  // Checked a few times per timeout: a stall is cut between 1 and 1.25 timeouts after it began.
  auto tick = std::clamp<std::chrono::milliseconds>(timeout_ / 4, std::chrono::milliseconds(20),
                                                    std::chrono::milliseconds(1000));
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, tick);
    if (stopping_) break;
    auto now = std::chrono::steady_clock::now();
    for (auto& w : sockets_)
      if (auto s = w.lock()) check(*s, now);
    std::erase_if(sockets_, [](const auto& w) { return w.expired(); });
  }
}

}  // namespace cairn::targets::detail
