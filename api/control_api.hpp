// The control API served by `cairn daemon` on its Unix socket: each request
// is translated into one of the application's commands and its result into
// JSON (docs/API.md). It only translates. Thread-safe: requests arrive on
// several connection threads at once.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>

#include "service/application.hpp"
#include "api/http_server.hpp"

namespace cairn::api {

// The JSON error reply (status and stable code) for a command's error.
http_response error_reply(const error& e);

class control_api {
public:
  explicit control_api(service::application& app) : app_(app) {}

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
  http_response diff(const http_request& request, const std::string& id);  // control_api_diff.cpp
  http_response events();
  http_response metrics();

  service::application& app_;
  std::mutex app_mutex_;  // the application's catalog and target commands, one at a time

  std::mutex events_mutex_;
  std::condition_variable events_cv_;
  std::deque<std::pair<uint64_t, std::string>> events_;  // the latest run results
  uint64_t next_event_ = 1;
  bool closed_ = false;
};

}  // namespace cairn::api
