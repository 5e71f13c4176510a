#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "recovery/post_restore.hpp"

namespace cairn::recovery {

post_restore_outcome run_post_restore(const post_restore_step& step) {
  post_restore_outcome out;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return {127, std::string("cannot run it: ") + std::strerror(errno)};
  pid_t pid = ::fork();
  if (pid < 0) return {127, std::string("cannot run it: ") + std::strerror(errno)};
  if (pid == 0) {
    // The parent blocks SIGINT/SIGTERM/SIGHUP for its signal thread; the
    // step must get them as usual.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(pipefd[1], STDOUT_FILENO);
    ::dup2(pipefd[1], STDERR_FILENO);
    ::setenv("CAIRN_RESTORED_PATH", step.restored_path.c_str(), 1);
    ::setenv("CAIRN_SOURCE", step.source.c_str(), 1);
    ::setenv("CAIRN_PLAN", step.plan.c_str(), 1);
    ::setenv("CAIRN_CHECKPOINT", step.checkpoint.c_str(), 1);
    ::chdir(step.restored_path.c_str());
    ::execl("/bin/sh", "sh", "-c", step.command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipefd[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR)) {
    if (n <= 0) continue;
    out.output.append(buf, static_cast<size_t>(n));
    if (out.output.size() > 8192) out.output.erase(0, out.output.size() - 4096);
  }
  ::close(pipefd[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (out.output.size() > 4096) out.output.erase(0, out.output.size() - 4096);
  return out;
}

}  // namespace cairn::recovery
