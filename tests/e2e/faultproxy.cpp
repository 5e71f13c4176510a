// A TCP proxy for fault tests: forwards 127.0.0.1:LISTEN to 127.0.0.1:UPSTREAM
// and misbehaves on purpose. One thread per direction per connection.
//   faultproxy LISTEN UPSTREAM [--cut-after BYTES] [--cut-connections N]
//              [--stall-after BYTES --stall-ms MS [--stall-connections N]] [--delay-ms MS]
// --cut-after: reset a connection after BYTES have passed through it (both
// directions), for the first N connections (default: all). --stall-after:
// forward nothing for MS milliseconds once BYTES have passed, on the first N
// connections (default: all). --delay-ms:
// hold every read for MS before forwarding it. Prints "ready" when listening.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

namespace {

struct options {
  int listen = 0, upstream = 0;
  long long cut_after = -1;
  int cut_connections = -1;
  long long stall_after = -1;
  int stall_connections = -1;
  int stall_ms = 0;
  int delay_ms = 0;
} opt;

std::atomic<int> connections{0};

int connect_upstream() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(opt.upstream));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void reset(int fd) {
  linger l{1, 0};  // close with RST, like a dropped connection
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

void serve(int client, int number) {
  int server = connect_upstream();
  if (server < 0) {
    ::close(client);
    return;
  }
  bool cut = opt.cut_after >= 0 && (opt.cut_connections < 0 || number < opt.cut_connections);
  long long passed = 0;
  bool stalled = opt.stall_connections >= 0 && number >= opt.stall_connections;  // never, then
  char buf[16384];
  pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) <= 0) break;
    int from = (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) ? 0 : 1;
    int to = 1 - from;
    ssize_t n = ::read(fds[from].fd, buf, sizeof buf);
    if (n <= 0) break;
    if (opt.delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(opt.delay_ms));
    passed += n;
    if (!stalled && opt.stall_after >= 0 && passed >= opt.stall_after) {
      stalled = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(opt.stall_ms));
    }
    if (cut && passed >= opt.cut_after) {
      reset(client);
      reset(server);
      return;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::write(fds[to].fd, buf + done, static_cast<size_t>(n - done));
      if (w <= 0) goto out;
      done += w;
    }
  }
out:
  ::close(client);
  ::close(server);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: faultproxy LISTEN UPSTREAM [options]\n");
    return 2;
  }
  opt.listen = std::atoi(argv[1]);
  opt.upstream = std::atoi(argv[2]);
  for (int i = 3; i + 1 < argc; i += 2) {
    std::string o = argv[i];
    long long v = std::atoll(argv[i + 1]);
    if (o == "--cut-after") opt.cut_after = v;
    else if (o == "--cut-connections") opt.cut_connections = static_cast<int>(v);
    else if (o == "--stall-after") opt.stall_after = v;
    else if (o == "--stall-ms") opt.stall_ms = static_cast<int>(v);
    else if (o == "--stall-connections") opt.stall_connections = static_cast<int>(v);
    else if (o == "--delay-ms") opt.delay_ms = static_cast<int>(v);
    else {
      std::fprintf(stderr, "faultproxy: unknown option %s\n", o.c_str());
      return 2;
    }
  }
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(opt.listen));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 64) != 0) {
    std::perror("faultproxy: listen");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) {
    int client = ::accept(fd, nullptr, nullptr);
    if (client < 0) continue;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::thread(serve, client, connections++).detach();
  }
}
