#include "actors/dir_source.hpp"

#include <optional>

#include "actors/error.hpp"
#include "actors/staged_source.hpp"
#include "actors/timeouts.hpp"

namespace cairn::actors {

// The walk's sink: every call comes from the walk, on this actor's thread.
class source_sink final : public backup::walk_sink {
public:
  source_sink(source_actor::stateful_pointer<dir_source_state> self, std::shared_ptr<const source_options> options)
    : self_(self), options_(std::move(options)) {}

  void begin(caf::typed_response_promise<source_result> promise) { promise_ = std::move(promise); }

  void seal(chunk_ptr data, uint32_t targets, repo::blob_type type, sealed done) override {
    const auto& sealers = options_->sealers;
    seal_job job{std::move(data), options_->context, targets, type};
    // No timeout per request (CAF 0.17 keeps one clock entry each): the walk
    // watches for answers itself (walk_options::seal_timeout).
    self_->request(sealers[next_sealer_++ % sealers.size()], caf::infinite, atom::seal::value, std::move(job))
      .then([done](seal_result& r) { done(std::move(r)); },
            [done](caf::error& e) { done(cairn::fail(from_caf(e))); });
  }

  void store_cache(catalog::file_cache_update update) override {
    if (options_->catalog) self_->send(options_->catalog, atom::store::value, std::move(update));
  }

  void reading(const std::string& path) override {
    if (options_->progress) self_->send(options_->progress, atom::set::value, std::string("backing up"), path);
  }

  void progress(const progress_counters& done) override {
    if (options_->progress) self_->send(options_->progress, atom::add::value, done);
  }

  void resume(std::chrono::milliseconds delay) override {
    if (delay.count() == 0) self_->send(self_, atom::resume::value);
    else self_->delayed_send(self_, delay, atom::resume::value);
  }

  // The readers wake the walk with a message; a weak handle, so they never keep it alive.
  std::function<void()> waker() override {
    return [addr = self_->address()] {
      if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(addr))
        caf::anon_send(caf::actor_cast<source_actor>(strong), atom::resume::value);
    };
  }

  void finish(expected<source_result> result) override {
    if (!promise_) return;
    if (result) promise_->deliver(std::move(*result));
    else promise_->deliver(to_caf(result.error()));
    promise_.reset();
  }

private:
  source_actor::stateful_pointer<dir_source_state> self_;
  std::shared_ptr<const source_options> options_;
  std::optional<caf::typed_response_promise<source_result>> promise_;
  size_t next_sealer_ = 0;
};

dir_source_state::~dir_source_state() {
  walk.reset();  // its readers stop before the sink goes
  sink.reset();
  std::error_code ec;
  if (!staged.empty()) std::filesystem::remove_all(staged, ec);
}

namespace {

backup::walk_options walk_options_of(const source_options& o) {
  auto w = o.walk;
  w.repos.clear();
  for (const auto& t : o.context->targets) w.repos.push_back(t.repo);
  w.write_cache = static_cast<bool>(o.catalog);
  w.seal_timeout = timeouts::seal;
  w.seal_watch = timeouts::seal_watch;
  return w;
}

}  // namespace

// Application sources (sqlite, command) are first staged into a folder,
// which is then walked like any directory.
source_actor::behavior_type dir_source(source_actor::stateful_pointer<dir_source_state> self,
                                       source_options options) {
  auto opts = std::make_shared<source_options>(std::move(options));
  const auto& source = opts->walk.source;
  self->state.sink = std::make_shared<source_sink>(self, opts);
  if (!is_staged(source)) self->state.walk = std::make_shared<backup::dir_walk>(*self->state.sink, walk_options_of(*opts));
  return {
    [=](atom::scan) {
      if (is_staged(opts->walk.source)) return staged_totals(opts->walk.source);
      return self->state.walk->count();
    },
    [=](atom::run) {
      auto rp = self->make_response_promise<source_result>();
      const auto& src = opts->walk.source;
      if (!src.exclude_from_error.empty()) {  // without its excludes it would read too much
        rp.deliver(to_caf(error{errc::invalid_input, src.exclude_from_error}));
        return rp;
      }
      if (is_staged(src)) {
        std::string metadata;
        auto dir = stage_source(opts->walk.plan, src, opts->walk.state_dir, opts->cancel_stage.get(), &metadata);
        if (!dir) {
          // A stop fails the run; any other failure is this source's alone.
          if (dir.error().code() == errc::cancelled || (opts->cancel_stage && opts->cancel_stage->load())) {
            rp.deliver(to_caf(dir.error()));
          } else {
            source_result r;
            r.source_error = dir.error().message();
            rp.deliver(std::move(r));
          }
          return rp;
        }
        self->state.staged = *dir;
        auto w = walk_options_of(*opts);
        w.source.type = config::source_type::dir;
        w.source.path = *dir;
        w.metadata = std::move(metadata);
        self->state.walk = std::make_shared<backup::dir_walk>(*self->state.sink, std::move(w));
      }
      self->state.sink->begin(rp);
      self->state.walk->start();
      return rp;
    },
    [=](atom::resume) {
      if (self->state.walk) self->state.walk->pump();
    },
    [=](atom::stop) {
      if (self->state.walk) self->state.walk->stop();
    },
  };
}

}  // namespace cairn::actors
