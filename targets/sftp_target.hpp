// A repository on an SFTP server (libssh): a pool of SSH connections used by
// several threads at once. Host keys are checked against known_hosts and an
// unknown or changed key is refused. Objects are written under a hidden
// temporary name and renamed into place; OpenSSH will not rename onto an
// existing name, so replacing (config, suite/latest, locks) moves the old
// object aside first, and a reader that finds the name missing in that window
// gets the old object back (rclone's server renames over an existing name,
// so there the first rename succeeds). Reads are pipelined, and an answer
// shorter than asked is continued (rclone's server sends at most 32 KiB).
// Data is fsynced only where the server offers fsync@openssh.com (OpenSSH
// does, rclone 1.60 does not). A connection on which an operation waits
// while nothing moves for `timeout` is dropped (detail::stall_watch) and the
// operation fails as transient. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "targets/target.hpp"

namespace cairn::targets {

namespace detail {
class stall_watch;
}

struct sftp_options {
  std::string host;
  int port = 22;
  std::string user;
  std::string path;                      // absolute directory on the server
  std::filesystem::path identity;        // private key file
  std::filesystem::path known_hosts;     // default ~/.ssh/known_hosts
  int connections = 2;
  std::chrono::seconds timeout{60};      // connect, and any wait with no byte moving
};

class sftp_target : public target {
public:
  explicit sftp_target(sftp_options options);
  ~sftp_target() override;

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;
  std::string describe() const override;

  struct connection;

private:
  class lease;
  expected<lease> borrow();
  void give_back(std::unique_ptr<connection> c);
  std::string remote(std::string_view name) const;
  status make_parents(connection& c, const std::string& remote_path);
  status replace(connection& c, const std::string& tmp, const std::string& path, std::string_view name);
  expected<std::string> moved_aside(connection& c, const std::string& path);

  sftp_options options_;
  std::unique_ptr<detail::stall_watch> watch_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<connection>> idle_;
  int open_ = 0;
  std::set<std::string> known_dirs_;
};

}  // namespace cairn::targets
