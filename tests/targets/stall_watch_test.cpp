#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "targets/detail/stall_watch.hpp"

using namespace cairn::targets::detail;
using namespace std::chrono_literals;

namespace {

// A connected pair of TCP sockets on 127.0.0.1.
struct tcp_pair {
  int client = -1, server = -1;
  tcp_pair() {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listener >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    server = ::accept(listener, nullptr, nullptr);
    REQUIRE(server >= 0);
    ::close(listener);
  }
  ~tcp_pair() {
    ::close(client);
    ::close(server);
  }
};

// Whether a read on `fd` ends (EOF or error) within `within`, as a read blocked on a dropped connection does.
bool read_ends(int fd, std::chrono::milliseconds within) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(within.count())) <= 0) return false;
  char byte;
  return ::recv(fd, &byte, 1, MSG_DONTWAIT) <= 0;
}

}  // namespace

TEST_CASE("stall_watch: a busy connection on which nothing moves is shut down, and the caller's descriptor stays open") {
  tcp_pair link;
  stall_watch watch(300ms);
  auto s = watch.watch(link.client);
  REQUIRE(s);
  watch.busy(*s, true);
  auto start = std::chrono::steady_clock::now();
  CHECK(read_ends(link.client, 3000ms));
  auto took = std::chrono::steady_clock::now() - start;
  CHECK(took >= 290ms);
  CHECK(watch.stalled(*s));
  CHECK(::fcntl(link.client, F_GETFD) >= 0);  // shut down, not closed: no descriptor is reused under its owner
}

TEST_CASE("stall_watch: a connection that moves bytes, or waits with no operation, is left alone") {
  tcp_pair moving, idle;
  stall_watch watch(300ms);
  auto m = watch.watch(moving.client);
  auto i = watch.watch(idle.client);
  REQUIRE(m);
  REQUIRE(i);
  watch.busy(*m, true);  // `idle` is never busy
  std::atomic<bool> stop{false};
  std::thread sender([&] {
    while (!stop) {
      CHECK(::send(moving.server, "x", 1, MSG_NOSIGNAL) == 1);
      std::this_thread::sleep_for(100ms);
    }
  });
  std::this_thread::sleep_for(1200ms);
  stop = true;
  sender.join();
  CHECK_FALSE(watch.stalled(*m));
  CHECK_FALSE(watch.stalled(*i));
  char buf[64];
  CHECK(::recv(moving.client, buf, sizeof buf, MSG_DONTWAIT) > 0);  // still connected
  // Busy again after the operation ended: the time without progress starts anew.
  watch.busy(*m, false);
  std::this_thread::sleep_for(500ms);
  watch.busy(*m, true);
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(watch.stalled(*m));
}

TEST_CASE("stall_watch: what is not a socket is not watched, and a watch ends with no socket left") {
  stall_watch watch(100ms);
  CHECK_FALSE(watch.watch(-1));
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  auto p = watch.watch(fds[0]);  // a pipe: no TCP counters, never dropped
  REQUIRE(p);
  watch.busy(*p, true);
  std::this_thread::sleep_for(300ms);
  CHECK_FALSE(watch.stalled(*p));
  p.reset();
  ::close(fds[0]);
  ::close(fds[1]);
}
