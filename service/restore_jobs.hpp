// Restores that run in the background (asked for through the API or the web
// page), each with an id, its progress and, once done, its report. Started
// one at a time per destination; at most a few at once. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "service/application.hpp"

namespace cairn::service {

struct restore_job_request {
  std::string checkpoint;  // an id, a unique prefix, or "latest" (of plan)
  std::string plan;
  std::string target;
  std::vector<std::string> paths;  // empty: everything
  std::filesystem::path to;        // absolute
  std::optional<fs::owner_override> as_owner;  // see restore_options
};

enum class job_state : uint8_t { running, done, failed, cancelled };
std::string_view to_string(job_state state);

struct restore_job {
  uint64_t id = 0;
  std::string checkpoint;  // the full id
  std::string plan;
  std::string target;
  std::vector<std::string> paths;
  std::string to;
  std::optional<uint32_t> owner;  // the user it restores as (as_owner); nullopt: the daemon's
  job_state state = job_state::running;
  progress_snapshot progress;
  std::optional<restore_report> report;
  std::string error;  // failed: why; cancelled: what was left
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
};

class restore_jobs {
public:
  // `on_change`: progress (about every 250 ms) and the end of each job, on
  // the job's thread. `app` must outlive this object.
  restore_jobs(application& app, std::function<void(const restore_job&)> on_change);
  ~restore_jobs();  // waits for running restores to stop (they are asked to)
  restore_jobs(const restore_jobs&) = delete;
  restore_jobs& operator=(const restore_jobs&) = delete;

  // Checks what can be checked at once (the checkpoint, the destination, the
  // paths' form) and starts the restore; its errors are invalid_input or
  // not_found, and nothing was written.
  expected<restore_job> start(const restore_job_request& request);
  std::optional<restore_job> get(uint64_t id) const;
  // Asks a running restore to stop at its next file or read (its state
  // becomes cancelled once it has, with no unfinished file left). The job as
  // it is now; not_found for an unknown id; a job that ended is returned as it is.
  expected<restore_job> cancel(uint64_t id);
  // Newest first (the last 50 are kept).
  std::vector<restore_job> list() const;

  static constexpr size_t max_running = 2;

private:
  void run(uint64_t id, resolved_checkpoint cp, restore_job_request request, std::shared_ptr<std::atomic<bool>> cancel);
  void publish(uint64_t id);

  application& app_;
  std::function<void(const restore_job&)> on_change_;
  mutable std::mutex mutex_;
  std::condition_variable done_cv_;
  std::map<uint64_t, restore_job> jobs_;
  std::map<uint64_t, std::thread> threads_;
  std::map<uint64_t, std::shared_ptr<std::atomic<bool>>> cancels_;  // of running jobs
  std::vector<std::thread> finished_;  // joined later, never by themselves
  uint64_t next_id_ = 1;
  bool closing_ = false;
};

}  // namespace cairn::service
