// Parses the command line and runs one command: the global options here, each
// group of commands in its cli/commands_*.cpp (cli/command_context.hpp).
#pragma once

#include <functional>
#include <mutex>

#include "service/application.hpp"

namespace cairn::cli {

// The application a command runs, so the signal thread can ask it to stop or
// reload. clear() waits for a call the signal thread is making, so a signal
// that arrives as a command ends never reaches an application being destroyed.
class running_application {
public:
  void set(service::application* app);
  void clear();
  // Calls fn on the running application under the slot's lock; false when none runs.
  bool call(const std::function<void(service::application&)>& fn);

private:
  std::mutex mutex_;
  service::application* app_ = nullptr;
};

extern running_application running_app;

int run_command(int argc, char** argv);

// SIGHUP: asks a running daemon to reload; false when no daemon runs.
bool reload_requested();

}  // namespace cairn::cli
