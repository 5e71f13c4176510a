// An actor system for actor tests, with every protocol registered. The target,
// keyring and source actors are detached (they block on I/O), and detached
// actors run on their own threads even under CAF's testing scheduler, so these
// tests use the real scheduler and blocking requests from a scoped_actor.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <chrono>

#include "actors/error.hpp"
#include "actors/register.hpp"

namespace cairn::testing {

struct actor_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;

  actor_fixture() {
    cfg.set("scheduler.max-threads", 2);
    actors::register_protocols(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  // Sends a request and waits for the reply or the error.
  template <class T, class Handle, class... Ts>
  expected<T> ask(const Handle& dest, Ts&&... xs) {
    caf::scoped_actor self{*sys};
    expected<T> out = fail(errc::io, "no reply");
    self->request(dest, std::chrono::seconds(30), std::forward<Ts>(xs)...)
      .receive([&](T& value) { out = std::move(value); },
               [&](caf::error& e) { out = fail(actors::from_caf(e)); });
    return out;
  }

  template <class Handle>
  void stop(const Handle& h) {
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  }
};

}  // namespace cairn::testing
