#include "actors/dir_source.hpp"

#include "actors/dir_walk.hpp"
#include "actors/error.hpp"
#include "actors/staged_source.hpp"

namespace cairn::actors {

dir_source_state::~dir_source_state() {
  walk.reset();
  std::error_code ec;
  if (!staged.empty()) std::filesystem::remove_all(staged, ec);
}

// Application sources (sqlite, command) are first staged into a folder,
// which is then walked like any directory.
source_actor::behavior_type dir_source(source_actor::stateful_pointer<dir_source_state> self,
                                       source_options options) {
  auto opts = std::make_shared<source_options>(std::move(options));
  if (!is_staged(opts->source)) self->state.walk = std::make_shared<dir_walk>(self, *opts);
  return {
    [=](atom::scan) {
      if (is_staged(opts->source)) return staged_totals(opts->source);
      return self->state.walk->count();
    },
    [=](atom::run) {
      auto rp = self->make_response_promise<source_result>();
      if (!opts->source.exclude_from_error.empty()) {  // without its excludes it would read too much
        rp.deliver(to_caf(error{errc::invalid_input, opts->source.exclude_from_error}));
        return rp;
      }
      if (is_staged(opts->source)) {
        std::string metadata;
        auto dir = stage_source(opts->plan, opts->source, opts->state_dir, opts->cancel_stage.get(), &metadata);
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
        auto o = *opts;
        o.source.type = config::source_type::dir;
        o.source.path = *dir;
        o.metadata = std::move(metadata);
        self->state.walk = std::make_shared<dir_walk>(self, std::move(o));
      }
      self->state.walk->start(rp);
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
