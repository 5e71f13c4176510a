#include "actors/scheduler.hpp"

#include <algorithm>

#include "actors/error.hpp"
#include "actors/plan_runner.hpp"
#include "actors/timeouts.hpp"
#include "base/clock.hpp"

namespace cairn::actors {

namespace {

using self_ptr = scheduler_actor::stateful_pointer<scheduler_state>;

// A wake-up at least this often: timers run on a monotonic clock that stands
// still while the machine sleeps, and the wall clock may be set.
constexpr std::chrono::seconds max_sleep{60};

void announce(self_ptr self, const std::string& plan) {
  auto& st = self->state;
  const auto* p = st.options.suite->find_plan(plan);
  if (!p || p->when.empty()) {  // runs only when asked
    st.due.erase(plan);
    return;
  }
  const auto& h = st.options.history[plan];
  int64_t due = config::next_due(p->when, h, st.since_ns, st.options.suite->daemon.retry);
  st.due[plan] = due;
  if (st.options.on_next) st.options.on_next({plan, p->when.text, due, h.last_attempt_end_ns.has_value()});
}

void wake(self_ptr self);

void run_done(self_ptr self, plan_report report) {
  auto& st = self->state;
  auto plan = std::move(st.running);
  st.running.clear();
  record_run(st.options.history[plan], status_of(report), report.time_ns, now_ns());
  if (st.options.on_run) st.options.on_run(report);
  if (st.draining) {
    if (st.promise) st.promise->deliver(true);
    st.promise.reset();
    return;
  }
  announce(self, plan);
  if (st.cancelled == plan && st.due.count(plan)) {
    // Cancelled by request: skip this occurrence, not run it again at once.
    auto h = st.options.history[plan];
    h.last_good_start_ns = report.time_ns;
    h.last_attempt_end_ns.reset();
    st.due[plan] = config::next_due(st.options.suite->find_plan(plan)->when, h, st.since_ns,
                                    st.options.suite->daemon.retry);
  }
  st.cancelled.clear();
  wake(self);
}

// Starts the plan due first (if nothing runs) and sleeps until the next one.
void wake(self_ptr self) {
  auto& st = self->state;
  if (st.draining) return;
  int64_t now = now_ns();
  bool paused = st.options.gate && st.options.gate->paused();
  if (st.running.empty() && !paused) {
    auto first = std::min_element(st.due.begin(), st.due.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
    if (first != st.due.end() && first->second <= now) {
      st.running = first->first;
      auto plan = st.running;
      int64_t started = now;
      self->request(st.options.supervisor, timeouts::run, atom::run::value, run_request{{plan}})
        .then(
          [=](std::vector<plan_report>& reports) {
            plan_report r;
            if (!reports.empty()) r = std::move(reports.front());
            r.plan = plan;
            if (r.time_ns == 0) r.time_ns = started;
            run_done(self, std::move(r));
          },
          [=](caf::error& e) {
            plan_report r;
            r.plan = plan;
            r.time_ns = started;
            r.error = describe(from_caf(e));
            run_done(self, std::move(r));
          });
    }
  }
  int64_t next = INT64_MAX;
  for (const auto& [plan, due] : st.due)
    if (plan != st.running) next = std::min(next, due);
  auto sleep = max_sleep;
  if (next != INT64_MAX && next > now)
    sleep = std::min(max_sleep, std::chrono::seconds((next - now + 999'999'999) / 1'000'000'000));
  else if (next <= now)
    sleep = std::chrono::seconds(1);  // due, but waits for the running plan (its reply wakes us)
  self->delayed_send(self, sleep, atom::tick::value, ++st.tick);
}

}  // namespace

void record_run(config::run_history& h, catalog::run_status status, int64_t started_ns, int64_t ended_ns) {
  if (catalog::succeeded(status)) {
    h.last_good_start_ns = started_ns;
    h.last_attempt_end_ns.reset();
  } else if (catalog::went_wrong(status)) {
    h.last_attempt_end_ns = ended_ns;
  }
  // cancelled (the daemon or the user stopped it): due again at once; running
  // (a run that died without finishing) counts for nothing
}

config::run_history history_of(const std::vector<catalog::run_row>& runs) {
  config::run_history h;
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) record_run(h, it->status, it->started_ns, it->finished_ns);
  return h;
}

scheduler_actor::behavior_type scheduler(self_ptr self, scheduler_options options) {
  self->state.options = std::move(options);
  self->state.since_ns = now_ns();
  return {
    [=](atom::run) -> caf::result<bool> {
      auto& st = self->state;
      if (st.draining) return true;  // a finish or stop came first: nothing to run, nothing would answer
      st.promise = self->make_response_promise<bool>();
      for (const auto& p : st.options.suite->plans)
        if (!p.when.empty()) announce(self, p.name);
      wake(self);
      return *st.promise;
    },
    [=](atom::tick, uint64_t n) {
      if (n == self->state.tick) wake(self);
    },
    [=](atom::stop) {
      auto& st = self->state;
      st.draining = true;
      if (!st.running.empty()) {
        self->send(st.options.supervisor, atom::stop::value);  // replies to run_done
      } else if (st.promise) {
        st.promise->deliver(true);
        st.promise.reset();
      }
    },
    [=](atom::start, const std::string& plan) -> caf::result<std::string> {
      auto& st = self->state;
      if (!st.options.suite->find_plan(plan))
        return to_caf(error{errc::not_found, "no plan named \"" + plan + "\""});
      if (st.draining) return to_caf(error{errc::cancelled, "the daemon is stopping"});
      if (st.running == plan) return std::string("running");
      st.due[plan] = 0;  // due before anything else
      bool queued = !st.running.empty();
      wake(self);
      return std::string(queued ? "queued" : "started");
    },
    [=](atom::cancel, const std::string& plan) -> bool {
      auto& st = self->state;
      if (st.running == plan) {
        st.cancelled = plan;
        self->send(st.options.supervisor, atom::cancel::value);
        return true;
      }
      auto it = st.due.find(plan);
      if (it == st.due.end() || it->second > now_ns()) return false;
      announce(self, plan);  // a run asked for or due now: back to its schedule
      return true;
    },
    [=](atom::get) -> std::string { return self->state.running; },
    [=](atom::finish) {
      auto& st = self->state;
      st.draining = true;
      if (st.running.empty() && st.promise) {
        st.promise->deliver(true);
        st.promise.reset();
      }
    },
  };
}

}  // namespace cairn::actors
