// What the suite is doing and has done: status, past runs, the run now.
#include "service/application.hpp"

#include "actors/scheduler.hpp"
#include "base/clock.hpp"
#include "fs/process_lock.hpp"

namespace cairn::service {

namespace {

std::string keep_text(const config::keep_policy& k) {
  std::string out;
  for (auto [n, what] : {std::pair{k.last, "last"}, {k.hourly, "hourly"}, {k.daily, "daily"}, {k.weekly, "weekly"},
                         {k.monthly, "monthly"}, {k.yearly, "yearly"}})
    if (n) out += (out.empty() ? "" : ", ") + std::string(what) + " " + std::to_string(n);
  if (k.within.count()) out += (out.empty() ? "" : ", ") + std::string("within ") + std::to_string(k.within.count()) + "s";
  return out;
}

}  // namespace

expected<suite_status> application::summary() {
  const auto& suite = *suite_;
  suite_status out;
  out.daemon_pid = cairn::fs::process_lock::holder(suite.state_dir / "locks" / "daemon.lock");
  auto db = catalog::catalog::open(suite.state_dir, true);
  if (!db && db.error().code() != errc::not_found) return fail(db.error());
  int64_t now = now_ns();
  for (const auto& p : suite.plans) {
    plan_status s;
    s.plan = p.name;
    s.schedule = p.when.text;
    s.keep = keep_text(p.keep);
    s.checkpoints_hidden = suite.keyring.mode == config::keyring_mode::write_only;
    config::run_history h;
    auto lock = suite.state_dir / "locks" / ("plan-" + p.name + ".lock");
    s.running_pid = cairn::fs::process_lock::holder(lock);
    if (db) {
      CAIRN_ASSIGN(auto runs, (*db)->runs(p.name, 200));
      // A run holds the lock from before its row is made until after it is
      // finished: looking again after reading catches one that began meanwhile.
      if (!s.running_pid) s.running_pid = cairn::fs::process_lock::holder(lock);
      // While the plan runs, its newest row is that run: the last run is the
      // last one that ended (a retry in progress must not hide a failure).
      auto last = runs.begin();
      if (s.running_pid && runs.size() > 1 && last->status == catalog::run_status::running) ++last;
      if (last != runs.end()) s.last_run = *last;
      for (const auto& r : runs)
        if (r.status != catalog::run_status::running && r.status != catalog::run_status::cancelled) {
          s.last_verdict = r;
          break;
        }
      h = actors::history_of(runs);
      for (const auto& t : p.targets) {
        CAIRN_ASSIGN(auto rows, (*db)->checkpoints(p.name, t));
        plan_status::target_line line{t, rows.size(), 0, 0};
        if (!rows.empty()) line.newest_ns = rows.front().time_ns, line.bytes = rows.front().bytes;
        s.targets.push_back(line);
      }
    } else {
      for (const auto& t : p.targets) s.targets.push_back({t, 0, 0, 0});
    }
    s.last_good_ns = h.last_good_start_ns;
    if (!p.when.empty()) s.next_due_ns = config::next_due(p.when, h, now, suite.daemon.retry);
    out.plans.push_back(std::move(s));
  }
  return out;
}

expected<std::vector<catalog::run_row>> application::runs(const std::string& plan, size_t limit) {
  CAIRN_ASSIGN(auto db, catalog::catalog::open(suite_->state_dir, true));
  return db->runs(plan, static_cast<int>(limit));
}

std::optional<live_run> application::live() {
  auto now = engine_->running();
  if (!now) return std::nullopt;
  return live_run{now->first, now->second, engine_->gate()->why()};
}

std::string application::paused_why() const { return engine_->gate()->why(); }

}  // namespace cairn::service
