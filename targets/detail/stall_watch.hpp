// Drops a TCP connection on which an operation waits while no byte moves
// either way for a given time. libssh's read timeout does not end a wait for
// an SFTP reply (it retries a read that timed out for as long as the channel
// is open), so a server or a link that goes silent would hold a backup or a
// restore forever. The watch keeps a descriptor of its own for each socket (a
// dup: the library may close its own at any time) and, once the socket has
// stalled, shuts it down (shutdown(2), both ways): whatever waits on it sees
// the connection end and fails, and the caller retries on a new one.
// Progress is the kernel's count of bytes received and acknowledged
// (TCP_INFO). One thread per watch, started with the first socket.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cairn::targets::detail {

class stall_watch {
public:
  explicit stall_watch(std::chrono::milliseconds timeout);
  ~stall_watch();  // stops and joins its thread
  stall_watch(const stall_watch&) = delete;
  stall_watch& operator=(const stall_watch&) = delete;

  struct socket;  // one watched connection
  // Watches the TCP socket `fd` (duplicated; the caller's stays its own),
  // idle until busy(true). Null when it cannot be duplicated: not watched.
  std::shared_ptr<socket> watch(int fd);
  // An operation starts (true) or ended (false) on it; the time without
  // progress counts only while busy.
  void busy(socket& s, bool on);
  // Whether it was shut down for stalling.
  bool stalled(const socket& s) const;
  std::chrono::milliseconds timeout() const { return timeout_; }

private:
  void run();
  void check(socket& s, std::chrono::steady_clock::time_point now);

  const std::chrono::milliseconds timeout_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::weak_ptr<socket>> sockets_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cairn::targets::detail
