// A repository behind `cairn serve` on another machine, reached through the
// OpenSSH client (`ssh`, BatchMode: never a prompt), speaking the serve
// protocol (targets/remote_protocol.hpp) over its stdin and stdout. A small
// pool of connections, each one ssh process answering one request at a time,
// serves several threads at once. A connection that breaks or times out is
// dropped and the request fails as transient (retrying_target reconnects);
// a refused login or host key is auth. Everything the server sends is checked
// against the protocol's bounds. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "targets/target.hpp"

namespace cairn::targets {

// Where the server is and how to log in: the parts of ssh's command line.
struct ssh_login {
  std::string host;
  int port = 0;                       // 0: ssh's default
  std::string user;                   // "": ssh's default
  std::string path;                   // the repository's directory on the server
  std::filesystem::path identity;     // "": ssh's default keys
  std::filesystem::path known_hosts;  // "": ssh's default files
  std::string ssh_command = "ssh";    // the client and its own options, split at spaces
  std::chrono::seconds connect_timeout{60};
};

// ssh's argv running `cairn serve PATH` on the server (the path quoted for
// its shell; a forced command in authorized_keys replaces it anyway).
std::vector<std::string> ssh_command_line(const ssh_login& login);
// "ssh:user@host:port/path", for messages.
std::string describe_login(const ssh_login& login);

struct ssh_options {
  std::vector<std::string> command;   // what to start (ssh_command_line)
  std::string description;            // describe()
  int connections = 2;
  std::chrono::seconds timeout{60};   // connecting, and any single wait for the server
};

class ssh_target : public target {
public:
  explicit ssh_target(ssh_options options);
  ~ssh_target() override;

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;
  std::string describe() const override { return options_.description; }

  class connection;

private:
  class lease;
  expected<lease> borrow();
  void give_back(std::unique_ptr<connection> c);
  error failed(const error& e, std::string_view what, std::string_view name) const;

  ssh_options options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<connection>> idle_;
  int open_ = 0;
};

}  // namespace cairn::targets
