// cairn: the command-line program. SIGINT and SIGTERM are taken by one thread
// (sigwait) and turned into an orderly stop; a second signal exits at once.
// SIGHUP reloads the daemon's configuration, and stops any other command.
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <thread>

#include "cli/browse_commands.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

int main(int argc, char** argv) {
  // Buffers of several MiB (packs, read buffers, large chunks) are mapped
  // directly: glibc's dynamic threshold would otherwise move them into the
  // heap, where buffers freed on another thread than their own stay resident.
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  // Restores and walks keep a few hundred descriptors open at most; raise the
  // soft limit anyway so a deep tree never meets the default 1024.
  struct rlimit files {};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  // A shell starts background jobs with SIGINT ignored, and an ignored signal
  // never reaches sigwait: take the default back, then block.
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  // Blocked before any thread exists, so every thread inherits the mask.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int count = 0;
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0) continue;
      if (sig == SIGHUP && cairn::cli::reload_requested()) continue;  // the daemon reloads; others stop
      if (++count > 1) _exit(cairn::cli::exit_interrupted);
      if (cairn::cli::stop_running_mount()) continue;  // cairn mount exits once unmounted
      static const char msg[] = "\ncairn: stopping (uploads in flight finish; press Ctrl-C again to quit at once)\n";
      (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
      if (!cairn::cli::running_app.call([](cairn::service::application& app) { app.stop(); }))
        _exit(cairn::cli::exit_interrupted);
    }
  }).detach();
  return cairn::cli::run_command(argc, argv);
}
