#include "actors/progress.hpp"

#include "actors/timeouts.hpp"

namespace cairn::actors {

namespace {
void add(progress_counters& into, const progress_counters& d) {
  into.files += d.files;
  into.bytes += d.bytes;
  into.bytes_uploaded += d.bytes_uploaded;
  into.bytes_new += d.bytes_new;
  into.errors += d.errors;
}
}  // namespace

void update_estimate(progress_state& st, double now) {
  auto& s = st.snapshot;
  s.elapsed_seconds = now;
  st.samples.emplace_back(now, s.done.bytes);
  // A 10-second window follows changes in speed without jumping around.
  while (st.samples.size() > 2 && now - st.samples.front().first > 10) st.samples.pop_front();
  const auto& [t0, b0] = st.samples.front();
  double window = now - t0;
  if (window > 0.5) s.rate = static_cast<double>(s.done.bytes - b0) / window;
  if (s.total.bytes == 0 || s.rate <= 0) {
    s.eta_seconds = s.total.bytes != 0 && s.done.bytes >= s.total.bytes ? 0 : -1;
    return;
  }
  uint64_t left = s.total.bytes > s.done.bytes ? s.total.bytes - s.done.bytes : 0;
  s.eta_seconds = static_cast<double>(left) / s.rate;
}

progress_actor::behavior_type progress(progress_actor::stateful_pointer<progress_state> self,
                                       progress_renderer renderer) {
  self->state.renderer = std::move(renderer);
  self->state.start = std::chrono::steady_clock::now();
  self->delayed_send(self, timeouts::progress_tick, atom::tick::value);
  auto seconds = [self] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - self->state.start).count();
  };
  return {
    [=](atom::add, const progress_counters& d) { add(self->state.snapshot.done, d); },
    [=](atom::add, const std::string& target, uint64_t sent) {
      self->state.snapshot.done.bytes_uploaded += sent;
      self->state.snapshot.uploaded_by_target[target] += sent;
    },
    [=](atom::total, const progress_counters& d) { add(self->state.snapshot.total, d); },
    [=](atom::set, const std::string& phase, const std::string& current) {
      self->state.snapshot.phase = phase;
      self->state.snapshot.current = current;
    },
    [=](atom::get) {
      update_estimate(self->state, seconds());
      return self->state.snapshot;
    },
    [=](atom::begin) {
      auto& st = self->state;
      st.snapshot = progress_snapshot{};
      st.samples.clear();
      st.start = std::chrono::steady_clock::now();
    },
    [=](atom::tick) {
      update_estimate(self->state, seconds());
      if (self->state.renderer) self->state.renderer(self->state.snapshot);
      self->delayed_send(self, timeouts::progress_tick, atom::tick::value);
    },
  };
}

}  // namespace cairn::actors
