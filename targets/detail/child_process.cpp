#include "targets/detail/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "targets/remote_protocol.hpp"

extern char** environ;

namespace cairn::targets::detail {

namespace {

constexpr size_t tail_bytes = 4096;

struct spawn_setup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  spawn_setup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~spawn_setup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

}  // namespace

expected<child_process> child_process::spawn(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(errc::invalid_input, "no command to start");
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return fail(errc::io, std::string("socketpair: ") + std::strerror(errno));
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) {
    int e = errno;
    ::close(pair[0]);
    ::close(pair[1]);
    return fail(errc::io, std::string("pipe: ") + std::strerror(e));
  }
  spawn_setup s;
  posix_spawn_file_actions_adddup2(&s.actions, pair[1], 0);
  posix_spawn_file_actions_adddup2(&s.actions, pair[1], 1);
  posix_spawn_file_actions_adddup2(&s.actions, err[1], 2);
  posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &s.actions, &s.attr, args.data(), environ);
  ::close(pair[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(pair[0]);
    ::close(err[0]);
    return fail(errc::io, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  ::fcntl(err[0], F_SETFL, ::fcntl(err[0], F_GETFL) | O_NONBLOCK);
  return child_process(pid, pair[0], err[0]);
}

child_process::child_process(child_process&& o) noexcept
  : pid_(o.pid_), fd_(o.fd_), err_fd_(o.err_fd_), stderr_tail_(std::move(o.stderr_tail_)) {
  o.pid_ = -1;
  o.fd_ = -1;
  o.err_fd_ = -1;
}

child_process::~child_process() {
  if (fd_ >= 0) ::close(fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
  if (pid_ > 0) {
    int status = 0;
    // Its input is closed: give it a moment to leave by itself, then end it.
    for (int i = 0; i < 20; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::kill(-pid_, SIGTERM);  // its process group: whatever it started goes too
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void child_process::drain_stderr() {
  if (err_fd_ < 0) return;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(err_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    stderr_tail_.append(buf, static_cast<size_t>(n));
    if (stderr_tail_.size() > tail_bytes) stderr_tail_.erase(0, stderr_tail_.size() - tail_bytes);
  }
}

int child_process::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return -1;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    // Its stderr closes when it exits: wait on that, reading what it says.
    pollfd p{err_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0 && (p.revents & POLLHUP)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    drain_stderr();
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (std::chrono::steady_clock::now() >= until) return -1;
  }
}

std::string child_process::last_error_line() {
  drain_stderr();
  std::string_view text = stderr_tail_;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto nl = text.find_last_of('\n');
  if (nl != std::string_view::npos) text.remove_prefix(nl + 1);
  return remote::clean_message(text);
}

}  // namespace cairn::targets::detail
