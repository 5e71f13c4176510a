#include "actors/dir_source.hpp"

#include "actors/dir_walk.hpp"

namespace cairn::actors {

source_actor::behavior_type dir_source(source_actor::stateful_pointer<dir_source_state> self,
                                       source_options options) {
  self->state.walk = std::make_shared<dir_walk>(self, std::move(options));
  return {
    [=](atom::scan) { return self->state.walk->count(); },
    [=](atom::run) {
      auto rp = self->make_response_promise<source_result>();
      self->state.walk->start(rp);
      return rp;
    },
    [=](atom::resume) { self->state.walk->pump(); },
    [=](atom::stop) { self->state.walk->stop(); },
  };
}

}  // namespace cairn::actors
