#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<std::string> env_text;
  for (char** e = environ; *e; ++e) env_text.emplace_back(*e);
  for (const auto& [k, v] : o.environment) env_text.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", dash_c = "-c", command = o.command;
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
  std::string dir = o.directory.string();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out), ::close(err[0]), ::close(err[1]);
    return fail(os_error("cannot run `" + o.command + "`"));
  }
  if (pid == 0) {
    // The parent blocks SIGINT/SIGTERM/SIGHUP for its signal thread; the
    // command must get them as usual.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setpgid(0, 0);  // its own group: a stop reaches the shell's children too
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::close(err[1]);
  ::close(out);
  std::string tail;
  ::setpgid(pid, pid);  // also here: no race with the child's own call
  bool cancelled = false;
  int polls_since_term = 0;
  char buf[4096];
  for (;;) {
    struct pollfd p {err[0], POLLIN, 0};
    int ready = ::poll(&p, 1, 200);
    if (o.cancel && o.cancel->load() && !cancelled) {
      cancelled = true;
      ::kill(-pid, SIGTERM);
    }
    if (cancelled && ++polls_since_term == 25) ::kill(-pid, SIGKILL);  // 5 s later
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    ssize_t n = ::read(err[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    tail.append(buf, static_cast<size_t>(n));
    if (tail.size() > 8192) tail.erase(0, tail.size() - 4096);
  }
  ::close(err[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  if (cancelled) return fail(errc::cancelled, "`" + o.command + "` was stopped");
  command_outcome r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (tail.size() > 4096) tail.erase(0, tail.size() - 4096);
  r.tail = std::move(tail);
  std::error_code ec;
  if (!o.output.empty()) r.bytes = std::filesystem::file_size(o.output, ec);
  return r;
}

std::string one_line(std::string tail, size_t max) {
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  if (tail.size() > max) tail = "..." + tail.substr(tail.size() - max);
  for (auto& c : tail)
    if (c == '\n' || c == '\r') c = ' ';
  return tail;
}

}  // namespace cairn::fs
