#include "actors/restorer.hpp"

#include "actors/error.hpp"
#include "actors/timeouts.hpp"
#include "base/release_memory.hpp"
#include "recovery/post_restore.hpp"
#include "recovery/restore_mirror.hpp"

#include <algorithm>

namespace cairn::actors {

namespace {

using self_ptr = restore_actor::stateful_pointer<restorer_state>;
constexpr size_t batch = 2048;  // entries per create or metadata job

void dispatch(self_ptr self, fetcher_actor f);
void next_phase(self_ptr self);

// Cancelled: no new job starts; once none runs, the temporary files of
// unfinished files are removed and the caller gets `cancelled`.
bool stop_if_cancelled(self_ptr self) {
  auto& st = self->state;
  if (!st.execution || !st.execution->cancelled()) return false;
  st.jobs.clear();
  if (st.in_flight > 0 || !st.promise) return true;
  st.execution->discard_unfinished();
  for (auto& f : st.fetchers) self->send_exit(f, caf::exit_reason::user_shutdown);
  st.fetchers.clear();
  st.promise->deliver(to_caf(error{errc::cancelled, "the restore to " + st.request.to.string() +
                                                        " was cancelled: files restored before it stay, no "
                                                        "unfinished file is left"}));
  st.promise.reset();
  return true;
}

void add_batches(self_ptr self, fetch_kind kind) {
  auto& st = self->state;
  size_t n = st.execution->plan().entries.size();
  for (size_t b = 0; b < n; b += batch) st.jobs.push_back({kind, b, b + batch, st.execution});
}

// Runs, once, the post-restore step of every source restored as a whole: the
// local YAML's. A step the checkpoint carries came from the target: it runs
// only with the user's consent (--run-post-restore), else it is shown.
void run_post_restore_steps(self_ptr self) {
  auto& st = self->state;
  for (const auto& src : st.checkpoint.sources) {
    const auto& paths = st.request.paths;
    bool whole = paths.empty() || std::find(paths.begin(), paths.end(), src.name) != paths.end();
    if (!whole) continue;
    auto local = st.request.local_post_restore.find(src.name);
    std::string command = local != st.request.local_post_restore.end() ? local->second : std::string();
    if (command.empty() && !src.post_restore.empty()) {
      if (!st.request.run_checkpoint_steps) {
        st.report.post_restore.push_back({src.name, src.post_restore, 0, "", false});
        continue;
      }
      command = src.post_restore;
    }
    if (command.empty()) continue;
    recovery::post_restore_step step{command, st.request.to / src.name, src.name, st.checkpoint.plan,
                                     st.request.checkpoint.hex()};
    auto r = recovery::run_post_restore(step);
    st.report.post_restore.push_back({src.name, command, r.exit_code, r.output, true});
  }
}

void finish(self_ptr self) {
  auto& st = self->state;
  if (!st.promise) return;
  for (auto& p : st.execution->apply_directory_metadata())
    st.report.warnings.push_back(p.path + ": " + p.reason);
  for (auto& f : st.execution->files_using(st.damaged)) st.report.damaged.push_back(std::move(f));
  st.report.files_failed = st.execution->files_not_restored();
  st.report.files -= std::min(st.report.files, st.report.files_failed);
  run_post_restore_steps(self);
  for (auto& f : st.fetchers) self->send_exit(f, caf::exit_reason::user_shutdown);
  st.fetchers.clear();
  st.promise->deliver(std::move(st.report));
  st.promise.reset();
}

void start_phase(self_ptr self, restore_phase next) {
  auto& st = self->state;
  st.phase = next;
  switch (next) {
    case restore_phase::create: add_batches(self, fetch_kind::create); break;
    case restore_phase::reuse: add_batches(self, fetch_kind::reuse); break;
    case restore_phase::fetch:
      for (size_t i = 0; i < st.execution->plan().packs.size(); ++i)
        st.jobs.push_back({fetch_kind::pack, i, i + 1, st.execution});
      break;
    case restore_phase::create_and_fetch:
      add_batches(self, fetch_kind::create);
      for (size_t i = 0; i < st.execution->plan().packs.size(); ++i)
        st.jobs.push_back({fetch_kind::pack, i, i + 1, st.execution});
      break;
    case restore_phase::finish_files: add_batches(self, fetch_kind::finish); break;
    case restore_phase::metadata:
      for (auto& p : st.execution->link_hardlinks()) st.report.damaged.push_back(p.path + ": " + p.reason);
      add_batches(self, fetch_kind::metadata);
      break;
  }
  if (st.jobs.empty()) return next_phase(self);
  auto fetchers = st.fetchers;  // dispatch may finish the restore, which clears them
  for (auto& f : fetchers) dispatch(self, f);
}

// Called when no job is left or running: moves to the next phase.
void next_phase(self_ptr self) {
  if (stop_if_cancelled(self)) return;
  switch (self->state.phase) {
    case restore_phase::create: return start_phase(self, restore_phase::reuse);
    case restore_phase::reuse: return start_phase(self, restore_phase::fetch);
    case restore_phase::fetch:
    case restore_phase::create_and_fetch: return start_phase(self, restore_phase::finish_files);
    case restore_phase::finish_files: return start_phase(self, restore_phase::metadata);
    case restore_phase::metadata: return finish(self);
  }
}

void absorb(self_ptr self, const fetch_job& job, fetch_result& r) {
  auto& st = self->state;
  st.report.bytes += r.bytes_written;
  st.report.bytes_fetched += r.bytes_fetched;
  st.report.bytes_reused += r.bytes_reused;
  if (st.progress && job.kind == fetch_kind::reuse)
    self->send(st.progress, atom::add::value, progress_counters{0, r.bytes_reused, 0, 0, 0});
  st.damaged.insert(st.damaged.end(), r.damaged.begin(), r.damaged.end());
  for (auto& e : r.errors) st.report.warnings.push_back(std::move(e));
  // Entries that could not be created, written or finished are not restored;
  // metadata that could not be applied is a warning.
  for (auto& p : r.problems)
    (job.kind == fetch_kind::metadata ? st.report.warnings : st.report.damaged)
      .push_back(p.path + ": " + p.reason);
  if (st.progress && job.kind == fetch_kind::pack)
    self->send(st.progress, atom::add::value,
               progress_counters{0, r.bytes_written, 0, 0, r.damaged.size()});
  if (st.progress && job.kind == fetch_kind::metadata)
    self->send(st.progress, atom::add::value, progress_counters{job.end - job.begin, 0, 0, 0, 0});
}

void dispatch(self_ptr self, fetcher_actor f) {
  auto& st = self->state;
  if (stop_if_cancelled(self)) return;
  if (st.jobs.empty()) {
    if (st.in_flight == 0) next_phase(self);
    return;
  }
  auto job = std::move(st.jobs.front());
  st.jobs.pop_front();
  ++st.in_flight;
  self->request(f, timeouts::fetch, atom::fetch::value, job)
    .then(
      [=](fetch_result& r) {
        --self->state.in_flight;
        absorb(self, job, r);
        dispatch(self, f);
      },
      [=](caf::error& e) {
        auto& s = self->state;
        --s.in_flight;
        if (job.kind == fetch_kind::pack) {  // the whole pack is lost for this restore
          const auto& plan = s.execution->plan();
          for (const auto& b : plan.blobs_of(plan.packs[job.begin])) s.damaged.push_back(b.blob.id);
          s.execution->lose_pack(job.begin);
        }
        s.report.warnings.push_back(describe(from_caf(e)));
        dispatch(self, f);
      });
}

// restore --delete: what the restored directories hold that the checkpoint
// does not goes first, so the directories' own metadata comes after.
void remove_extras(self_ptr self) {
  auto& st = self->state;
  std::optional<uint32_t> owner;
  if (st.request.as_owner) owner = st.request.as_owner->uid;
  auto dest = cairn::fs::destination::open(st.request.to, owner);
  if (!dest) return st.report.warnings.push_back(dest.error().message());
  auto cmp = recovery::compare_with_destination(st.execution->plan(), st.request.paths, dest->get(),
                                                recovery::mirror_options{false, true});
  for (auto& w : cmp.warnings) st.report.warnings.push_back("not checked for removal: " + w);
  auto problems = recovery::remove_extras(**dest, cmp.lines);
  for (auto& p : problems) st.report.warnings.push_back("not removed: " + p);
  for (auto& l : cmp.lines)
    if (std::none_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.compare(0, l.path.size() + 1, l.path + ":") == 0; }))
      st.report.removed.push_back(std::move(l.path));
}

expected<std::shared_ptr<recovery::restore_execution>> make_execution(self_ptr self) {
  const auto& req = self->state.request;
  CAIRN_ASSIGN(self->state.checkpoint, req.repo->read_checkpoint(req.checkpoint));
  CAIRN_ASSIGN(auto plan, recovery::plan_restore(*req.repo, self->state.checkpoint.tree, req.paths));
  return recovery::restore_execution::create(std::make_shared<const recovery::restore_plan>(std::move(plan)),
                                             req.to, fs::apply_options{req.owners, req.as_owner});
}

}  // namespace

restore_actor::behavior_type restorer(self_ptr self, progress_actor progress, size_t fetchers) {
  self->state.progress = progress;
  return {
    [=](atom::restore, restore_request& req) -> caf::result<restore_report> {
      auto& st = self->state;
      st.request = std::move(req);
      // Whether the destination holds an older copy, before anything is made there.
      std::error_code ec;
      bool older_copy = std::filesystem::is_directory(st.request.to, ec) &&
                        !std::filesystem::is_empty(st.request.to, ec);
      auto execution = make_execution(self);
      if (!execution) return to_caf(execution.error());
      st.execution = std::move(*execution);
      st.execution->watch_cancel(st.request.cancel);
      if (st.request.delete_extra) remove_extras(self);
      // The plan holds all the restore needs from the trees: they need not stay resident while files are written.
      st.request.repo->drop_tree_cache();
      release_free_memory();
      const auto& p = st.execution->plan();
      auto& r = st.report;
      r.files = p.files;
      r.dirs = p.dirs;
      r.links = p.links;
      r.damaged = p.missing;
      if (st.progress) {
        self->send(st.progress, atom::total::value, progress_counters{p.entries.size(), p.bytes, 0, 0, 0});
        self->send(st.progress, atom::set::value, std::string("restoring"), st.request.to.string());
      }
      st.promise = self->make_response_promise<restore_report>();
      auto rp = *st.promise;
      for (size_t i = 0; i < std::max<size_t>(1, fetchers); ++i)
        st.fetchers.push_back(self->spawn<caf::linked + caf::detached>(fetcher, st.request.repo));
      // Into an older copy: create first, then see what is in place, then
      // fetch only the rest. Into an empty destination: all at once.
      start_phase(self, older_copy ? restore_phase::create : restore_phase::create_and_fetch);
      return rp;
    },
  };
}

fetcher_actor::behavior_type fetcher(fetcher_actor::pointer self,
                                     std::shared_ptr<repo::repository> repo) {
  auto buffers = std::make_shared<recovery::fetch_buffers>();  // this fetcher's, from pack to pack
  return {
    [=](atom::fetch, const fetch_job& job) -> fetch_result {
      auto& exec = *job.execution;
      switch (job.kind) {
        case fetch_kind::create: {
          fetch_result r;
          r.problems = exec.create_entries(job.begin, job.end);
          return r;
        }
        case fetch_kind::reuse: {
          fetch_result r;
          r.bytes_reused = exec.reuse_existing(job.begin, job.end, *repo);
          return r;
        }
        case fetch_kind::pack:
          return exec.fetch_pack(*repo, exec.plan().packs[job.begin], *buffers);
        case fetch_kind::finish: {
          fetch_result r;
          r.problems = exec.finish_files(job.begin, job.end);
          return r;
        }
        case fetch_kind::metadata: {
          fetch_result r;
          r.problems = exec.apply_metadata(job.begin, job.end);
          return r;
        }
      }
      return {};
    },
  };
}

}  // namespace cairn::actors
