// A private software TPM (swtpm) on a free loopback port for one test. A new
// state directory is a new machine's TPM. Stopped when destroyed.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>

#include "support/temp_dir.hpp"

namespace cairn::testing {

class swtpm {
public:
  static bool available() { return std::system("command -v swtpm > /dev/null 2>&1") == 0; }

  swtpm() {
    std::mt19937 rng(std::random_device{}());
    // Another test may take the same port at the same moment: try a few.
    for (int attempt = 0; attempt < 5 && !ok_; ++attempt) {
      port_ = 20000 + static_cast<int>(rng() % 12000);  // below the ephemeral range
      std::string cmd = "swtpm socket --tpm2 --daemon --server type=tcp,port=" + std::to_string(port_) +
                        ",bindaddr=127.0.0.1 --ctrl type=tcp,port=" + std::to_string(port_ + 1) +
                        ",bindaddr=127.0.0.1 --tpmstate dir=" + dir_.path().string() +
                        " --flags not-need-init,startup-clear --pid file=" + (dir_ / "pid").string() +
                        " 2>/dev/null";
      if (std::system(cmd.c_str()) != 0) continue;
      for (int i = 0; i < 100 && !std::filesystem::exists(dir_ / "pid"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      ok_ = std::filesystem::exists(dir_ / "pid");
    }
  }
  ~swtpm() {
    std::ifstream in(dir_ / "pid");
    pid_t pid = 0;
    if (in >> pid && pid > 0) ::kill(pid, SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  bool ok() const { return ok_; }
  std::string tcti() const { return "swtpm:host=127.0.0.1,port=" + std::to_string(port_); }

private:
  temp_dir dir_;
  int port_ = 0;
  bool ok_ = false;
};

}  // namespace cairn::testing
