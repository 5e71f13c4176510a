#include "actors/supervisor.hpp"

#include "actors/error.hpp"
#include "actors/timeouts.hpp"

namespace cairn::actors {

namespace {

using self_ptr = supervisor_actor::stateful_pointer<supervisor_state>;

void run_next(self_ptr self);

void plan_done(self_ptr self, plan_report report) {
  auto& st = self->state;
  st.current = nullptr;
  st.reports.push_back(std::move(report));
  ++st.next;
  run_next(self);
}

void run_next(self_ptr self) {
  auto& st = self->state;
  if (st.next == st.queue.size() || st.stopping) {
    if (st.promise) st.promise->deliver(std::move(st.reports));
    st.promise.reset();
    st.reports.clear();
    return;
  }
  const auto& name = st.queue[st.next];
  plan_options o{st.options.suite, name, st.options.keyring, st.options.catalog,
                 st.options.progress, {}, st.options.sealers, st.options.scan, st.options.gate};
  st.current = self->spawn<caf::monitored>(plan_runner, o);
  self->request(st.current, timeouts::run, atom::run::value)
    .then([=](plan_report& r) { plan_done(self, std::move(r)); },
          [=](caf::error& e) {
            plan_report r;
            r.plan = name;
            r.error = describe(from_caf(e));
            plan_done(self, std::move(r));
          });
}

}  // namespace

supervisor_actor::behavior_type supervisor(self_ptr self, supervisor_options options) {
  self->state.options = std::move(options);
  // A runner that dies without replying: its request fails with
  // request_receiver_down and plan_done reports it; nothing else to do here.
  self->set_down_handler([](caf::down_msg&) {});
  return {
    [=](atom::run, run_request& req) -> caf::result<std::vector<plan_report>> {
      auto& st = self->state;
      if (st.promise) return to_caf(error{errc::locked, "a run is already in progress"});
      st.queue = req.plans;
      if (st.queue.empty())
        for (const auto& p : st.options.suite->plans) st.queue.push_back(p.name);
      st.next = 0;
      // A run's progress starts from zero (the daemon's progress actor outlives its runs).
      if (st.options.progress) self->send(st.options.progress, atom::begin::value);
      st.promise = self->make_response_promise<std::vector<plan_report>>();
      auto rp = *st.promise;
      run_next(self);
      return rp;
    },
    [=](atom::stop) {
      auto& st = self->state;
      st.stopping = true;
      if (st.current) self->send(st.current, atom::stop::value);
    },
    [=](atom::cancel) {
      auto& st = self->state;
      if (st.current) self->send(st.current, atom::stop::value);
    },
  };
}

}  // namespace cairn::actors
