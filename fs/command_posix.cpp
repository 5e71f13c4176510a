#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "fs/command.hpp"

extern char** environ;

namespace cairn::fs {

namespace {

error os_error(const std::string& what) { return error{errc::io, what + ": " + std::strerror(errno)}; }

}  // namespace

expected<command_outcome> run_to_file(const command_options& o) {
  int err[2];
  if (::pipe2(err, O_CLOEXEC) != 0) return fail(os_error("cannot run `" + o.command + "`"));
  int out = o.output.empty() ? ::dup(err[1])
                             : ::open(o.output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    ::close(err[0]), ::close(err[1]);
    return fail(os_error("cannot create " + o.output.string()));
  }
  int in[2] = {-1, -1};
  if (o.input && ::pipe2(in, O_CLOEXEC) != 0) {
    ::close(out), ::close(err[0]), ::close(err[1]);
    return fail(os_error("cannot run `" + o.command + "`"));
  }
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_text;
  auto replaced = [&](const char* e) {
    if (!o.as_user) return false;
    std::string_view v(e);
    return v.starts_with("HOME=") || v.starts_with("USER=") || v.starts_with("LOGNAME=");
  };
  for (char** e = environ; *e; ++e)
    if (!replaced(*e)) env_text.emplace_back(*e);
  for (const auto& [k, v] : o.environment) env_text.push_back(k + "=" + v);
  // The other user's groups are read now: initgroups is not safe after fork.
  std::vector<gid_t> groups;
  if (o.as_user) {
    env_text.push_back("HOME=" + o.as_user->home.string());
    env_text.push_back("USER=" + o.as_user->user);
    env_text.push_back("LOGNAME=" + o.as_user->user);
    int n = 64;
    groups.resize(static_cast<size_t>(n));
    if (::getgrouplist(o.as_user->user.c_str(), o.as_user->gid, groups.data(), &n) < 0) {
      groups.resize(static_cast<size_t>(n));
      if (::getgrouplist(o.as_user->user.c_str(), o.as_user->gid, groups.data(), &n) < 0) n = 0;
    }
    groups.resize(static_cast<size_t>(n));
    if (groups.empty()) groups.push_back(o.as_user->gid);
  }
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", dash_c = "-c", command = o.command;
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
  std::string dir = o.directory.string();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out), ::close(err[0]), ::close(err[1]);
    if (o.input) ::close(in[0]), ::close(in[1]);
    return fail(os_error("cannot run `" + o.command + "`"));
  }
  if (pid == 0) {
    // The parent blocks SIGINT/SIGTERM/SIGHUP for its signal thread; the
    // command must get them as usual.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);  // its own group: a stop reaches the shell's children too
    int devnull = o.input ? in[0] : ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(126);
    if (o.as_user) {  // never exec as root by mistake: every step must succeed
      if (::setgroups(groups.size(), groups.data()) != 0 ||
          ::setresgid(o.as_user->gid, o.as_user->gid, o.as_user->gid) != 0 ||
          ::setresuid(o.as_user->uid, o.as_user->uid, o.as_user->uid) != 0) {
        static const char msg[] = "cairn: cannot switch to the resource's user\n";
        (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
        ::_exit(126);
      }
    }
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::close(err[1]);
  ::close(out);
  // The input is written on a thread of its own while this one watches the
  // command (its error output, the timeout, a stop).
  status fed;
  std::thread feeder;
  if (o.input) {
    ::close(in[0]);
    feeder = std::thread([&o, &fed, fd = in[1]] {
      sigset_t pipe_signal;  // a command that stops reading: EPIPE, not the end of cairn
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      fed = o.input(fd);
      ::close(fd);
    });
  }
  std::string tail;
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  bool cancelled = false, timed_out = false, open = true;
  auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point termed;
  char buf[4096];
  int status = 0;
  // Until the command has ended: read its error output, and stop it when
  // asked to or when it runs past its timeout (SIGTERM, SIGKILL 5 s later).
  for (;;) {
    struct pollfd p {err[0], POLLIN, 0};
    int ready = open ? ::poll(&p, 1, 200) : (::usleep(50'000), 0);
    auto now = std::chrono::steady_clock::now();
    bool stop = (o.cancel && o.cancel->load()) || (o.timeout.count() > 0 && now - started > o.timeout);
    if (stop && !cancelled && !timed_out) {
      (o.cancel && o.cancel->load() ? cancelled : timed_out) = true;
      termed = now;
      ::kill(-pid, SIGTERM);
    }
    if ((cancelled || timed_out) && now - termed > std::chrono::seconds(5)) ::kill(-pid, SIGKILL);
    if (!open) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid || (w < 0 && errno != EINTR)) break;
      continue;
    }
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      open = false;  // its error output closed; it may still run
      continue;
    }
    tail.append(buf, static_cast<size_t>(n));
    if (tail.size() > 8192) tail.erase(0, tail.size() - 4096);
  }
  ::close(err[0]);
  if (feeder.joinable()) feeder.join();
  if (cancelled) return fail(errc::cancelled, "`" + o.command + "` was stopped");
  if (timed_out)
    return fail(errc::io, "`" + o.command + "` ran longer than its timeout of " + std::to_string(o.timeout.count()) +
                            " s and was stopped");
  command_outcome r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
  r.tail = std::move(tail);
  std::error_code ec;
  if (!o.output.empty()) r.bytes = std::filesystem::file_size(o.output, ec);
  if (!fed && r.exit_code == 0) return fail(fed.error());
  return r;
}

status write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EPIPE) return fail(errc::io, "the command stopped reading its input before its end");
    if (n <= 0) return fail(os_error("cannot write to the command's input"));
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

std::string one_line(std::string tail, size_t max) {
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (tail.size() > max) tail = "..." + tail.substr(tail.size() - max);
  for (auto& c : tail)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';  // no terminal escapes in messages
  return tail;
}

}  // namespace cairn::fs
