#include "service/restore_jobs.hpp"

#include "base/clock.hpp"

namespace cairn::service {

std::string_view to_string(job_state state) {
  switch (state) {
    case job_state::running: return "running";
    case job_state::done: return "done";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "unknown";
}

namespace {

// "src/dir/file": relative, no empty, "." or ".." component.
bool plain_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.size() > 4096) return false;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    auto part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string::npos) return false;
    start = end + 1;
  }
  return true;
}

constexpr size_t kept_jobs = 50;

}  // namespace

restore_jobs::restore_jobs(application& app, std::function<void(const restore_job&)> on_change)
  : app_(app), on_change_(std::move(on_change)) {}

restore_jobs::~restore_jobs() {
  std::map<uint64_t, std::thread> running;
  std::vector<std::thread> finished;
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    for (auto& [id, flag] : cancels_) flag->store(true);
    running.swap(threads_);
    finished.swap(finished_);
  }
  for (auto& [id, t] : running) t.join();
  for (auto& t : finished) t.join();
}

expected<restore_job> restore_jobs::start(const restore_job_request& request) {
  if (!request.to.is_absolute())
    return fail(errc::invalid_input, "the destination \"" + request.to.string() + "\" must be an absolute path");
  for (const auto& p : request.paths)
    if (!plain_path(p))
      return fail(errc::invalid_input, "\"" + p + "\" is not a path in a checkpoint (source/dir/file, relative)");
  CAIRN_ASSIGN(auto cp, app_.resolve(request.checkpoint.empty() ? "latest" : request.checkpoint, request.plan,
                                     request.target));
  std::vector<std::thread> ended;  // restores that ended: joined here, outside the lock
  struct join_all {
    std::vector<std::thread>& threads;
    ~join_all() {
      for (auto& t : threads) t.join();
    }
  } joiner{ended};
  std::lock_guard lock(mutex_);
  ended.swap(finished_);
  if (closing_) return fail(errc::cancelled, "the daemon is stopping");
  size_t running = 0;
  for (const auto& [id, job] : jobs_) {
    if (job.state != job_state::running) continue;
    ++running;
    if (job.to == request.to.lexically_normal().string())
      return fail(errc::locked, "restore " + std::to_string(id) + " writes to " + job.to + " now; wait for it");
  }
  if (running >= max_running)
    return fail(errc::locked, std::to_string(running) + " restores run now; wait for one to finish");
  restore_job job;
  job.id = next_id_++;
  job.checkpoint = cp.row.id;
  job.plan = cp.row.plan;
  job.target = cp.row.target;
  job.paths = request.paths;
  job.to = request.to.lexically_normal().string();
  if (request.as_owner) job.owner = request.as_owner->uid;
  job.started_ns = now_ns();
  jobs_[job.id] = job;
  while (jobs_.size() > kept_jobs) {
    auto oldest = jobs_.begin();
    if (oldest->second.state == job_state::running) break;
    jobs_.erase(oldest);
  }
  auto flag = std::make_shared<std::atomic<bool>>(false);
  cancels_[job.id] = flag;
  threads_[job.id] = std::thread([this, id = job.id, cp, request, flag] { run(id, cp, request, flag); });
  return job;
}

void restore_jobs::run(uint64_t id, resolved_checkpoint cp, restore_job_request request,
                       std::shared_ptr<std::atomic<bool>> cancel) {
  restore_options o;
  o.cancel = std::move(cancel);
  o.paths = request.paths;
  o.as_owner = request.as_owner;
  o.renderer = [this, id](const progress_snapshot& s) {
    {
      std::lock_guard lock(mutex_);
      jobs_[id].progress = s;
    }
    publish(id);
  };
  auto r = app_.restore(cp, request.to, o);
  {
    std::lock_guard lock(mutex_);
    auto& job = jobs_[id];
    job.finished_ns = now_ns();
    if (r) {
      job.report = std::move(*r);
      job.state = job_state::done;
    } else {
      job.error = describe(r.error());
      job.state = r.error().code() == errc::cancelled ? job_state::cancelled : job_state::failed;
    }
    cancels_.erase(id);
    // This thread cannot join itself: it is joined by the destructor.
    if (auto it = threads_.find(id); it != threads_.end()) {
      finished_.push_back(std::move(it->second));
      threads_.erase(it);
    }
  }
  publish(id);
}

void restore_jobs::publish(uint64_t id) {
  if (!on_change_) return;
  auto job = get(id);
  if (job) on_change_(*job);
}

expected<restore_job> restore_jobs::cancel(uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return fail(errc::not_found, "no restore " + std::to_string(id));
  if (auto flag = cancels_.find(id); flag != cancels_.end()) flag->second->store(true);
  return it->second;
}

std::optional<restore_job> restore_jobs::get(uint64_t id) const {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

std::vector<restore_job> restore_jobs::list() const {
  std::lock_guard lock(mutex_);
  std::vector<restore_job> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) out.push_back(it->second);
  return out;
}

}  // namespace cairn::service
