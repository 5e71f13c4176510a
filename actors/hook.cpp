#include "actors/hook.hpp"

#include "fs/command.hpp"

namespace cairn::actors {

hook_actor::behavior_type hook(hook_actor::pointer self) {
  return {
    [=](atom::run, const hook_request& req) -> hook_outcome {
      fs::command_options o;
      o.command = req.command;
      o.environment = req.environment;
      o.cancel = req.cancel.get();
      auto r = fs::run_to_file(o);
      if (!r) return {r.error().code() == errc::cancelled ? 130 : 127, r.error().message()};
      return {r->exit_code, r->exit_code == 0 ? std::string() : fs::one_line(r->tail)};
    },
  };
}

}  // namespace cairn::actors
