// The control API served by `cairn daemon` on its Unix socket: each request
// is translated into one of the application's commands and its result into
// JSON (docs/API.md). It only translates. Thread-safe: requests arrive on
// several connection threads at once.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

#include "service/application.hpp"
#include "service/restore_jobs.hpp"
#include "api/http_server.hpp"

namespace cairn::api {

class control_api {
public:
  explicit control_api(service::application& app);

  http_response handle(const http_request& request);

  // A run ended (the daemon's callback): sent to every event stream.
  void publish_run(const plan_report& report);
  // Ends the event streams (the daemon stops or reloads).
  void close_streams();

private:
  http_response plans(const http_request& request, const std::string& name);
  http_response runs(const http_request& request);
  http_response current();
  http_response checkpoints(const http_request& request);
  http_response tree(const http_request& request, const std::string& id);
  http_response diff(const http_request& request, const std::string& id);
  http_response find(const http_request& request);
  http_response history(const http_request& request);
  http_response start_restore(const http_request& request);
  http_response restores(const std::string& id);
  http_response cancel_restore(const http_request& req, const std::string& id);
  http_response events();
  http_response resources();
  http_response register_resource(const http_request& req);
  http_response unregister_resource(const http_request& req, const std::string& name);
  void publish(const std::string& event, const std::string& data);
  http_response metrics();

  service::application& app_;
  std::mutex app_mutex_;  // the application's catalog and target commands, one at a time

  std::mutex events_mutex_;
  std::condition_variable events_cv_;
  std::deque<std::pair<uint64_t, std::string>> events_;  // the latest run results
  uint64_t next_event_ = 1;
  bool closed_ = false;

  service::restore_jobs restores_;  // last: its destructor waits for running restores
};

}  // namespace cairn::api
