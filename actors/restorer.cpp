#include "actors/restorer.hpp"

#include "actors/error.hpp"
#include "actors/timeouts.hpp"

namespace cairn::actors {

namespace {

using self_ptr = restore_actor::stateful_pointer<restorer_state>;

void finish(self_ptr self) {
  auto& st = self->state;
  for (auto& f : recovery::files_using(*st.plan, st.damaged)) st.report.damaged.push_back(std::move(f));
  for (auto& p : recovery::finish_entries(*st.plan, st.request.to, st.request.owners))
    st.report.warnings.push_back(p.path + ": " + p.reason);
  for (auto& f : st.fetchers) self->send_exit(f, caf::exit_reason::user_shutdown);
  st.fetchers.clear();
  st.promise->deliver(std::move(st.report));
  st.promise.reset();
}

void dispatch(self_ptr self, fetcher_actor f) {
  auto& st = self->state;
  if (st.next == st.plan->packs.size()) {
    if (st.in_flight == 0) finish(self);
    return;
  }
  size_t work = st.next++;
  ++st.in_flight;
  self->request(f, timeouts::fetch, atom::fetch::value, fetch_job{work, st.plan})
    .then(
      [=](fetch_result& r) {
        auto& s = self->state;
        --s.in_flight;
        s.report.bytes += r.bytes_written;
        s.report.bytes_fetched += r.bytes_fetched;
        s.damaged.insert(s.damaged.end(), r.damaged.begin(), r.damaged.end());
        for (auto& e : r.errors) s.report.warnings.push_back(std::move(e));
        if (s.progress)
          self->send(s.progress, atom::add::value, progress_counters{0, r.bytes_written, 0, 0, r.damaged.size()});
        dispatch(self, f);
      },
      [=](caf::error& e) {
        auto& s = self->state;
        --s.in_flight;
        // The whole pack is lost for this restore: its blobs count as damaged.
        for (const auto& b : s.plan->packs[work].blobs) s.damaged.push_back(b.blob.id);
        s.report.warnings.push_back(describe(from_caf(e)));
        dispatch(self, f);
      });
}

expected<std::shared_ptr<const recovery::restore_plan>> make_plan(const restore_request& req) {
  CAIRN_ASSIGN(auto cp, req.repo->read_checkpoint(req.checkpoint));
  CAIRN_ASSIGN(auto plan, recovery::plan_restore(*req.repo, cp.tree, req.paths));
  return std::make_shared<const recovery::restore_plan>(std::move(plan));
}

}  // namespace

restore_actor::behavior_type restorer(self_ptr self, progress_actor progress, size_t fetchers) {
  self->state.progress = progress;
  return {
    [=](atom::restore, restore_request& req) -> caf::result<restore_report> {
      auto& st = self->state;
      st.request = std::move(req);
      auto plan = make_plan(st.request);
      if (!plan) return to_caf(plan.error());
      st.plan = *plan;
      auto& r = st.report;
      r.files = st.plan->files;
      r.dirs = st.plan->dirs;
      r.links = st.plan->links;
      r.damaged = st.plan->missing;
      if (st.progress) {
        self->send(st.progress, atom::total::value, progress_counters{st.plan->files, st.plan->bytes, 0, 0, 0});
        self->send(st.progress, atom::set::value, std::string("restoring"), st.request.to.string());
      }
      for (auto& p : recovery::prepare_entries(*st.plan, st.request.to))
        r.damaged.push_back(p.path + ": " + p.reason);
      st.promise = self->make_response_promise<restore_report>();
      auto rp = *st.promise;
      size_t n = std::max<size_t>(1, std::min(fetchers, st.plan->packs.size()));
      for (size_t i = 0; i < n; ++i)
        st.fetchers.push_back(self->spawn<caf::linked + caf::detached>(fetcher, st.request.repo, st.request.to));
      if (st.plan->packs.empty()) finish(self);
      else
        for (auto& f : st.fetchers) dispatch(self, f);
      return rp;
    },
  };
}

fetcher_actor::behavior_type fetcher(fetcher_actor::pointer self,
                                     std::shared_ptr<repo::repository> repo,
                                     std::filesystem::path to) {
  return {
    [=](atom::fetch, const fetch_job& job) -> fetch_result {
      return recovery::fetch_pack(*repo, *job.plan, job.plan->packs[job.work], to);
    },
  };
}

}  // namespace cairn::actors
