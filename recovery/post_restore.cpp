#include "fs/command.hpp"
#include "recovery/post_restore.hpp"

namespace cairn::recovery {

post_restore_outcome run_post_restore(const post_restore_step& step) {
  fs::command_options o;
  o.command = step.command;
  o.directory = step.restored_path;
  o.environment = {{"CAIRN_RESTORED_PATH", step.restored_path.string()},
                   {"CAIRN_SOURCE", step.source},
                   {"CAIRN_PLAN", step.plan},
                   {"CAIRN_CHECKPOINT", step.checkpoint}};
  auto r = fs::run_to_file(o);  // no output file: stdout and stderr are captured together
  if (!r) return {127, "cannot run it: " + r.error().message()};
  return {r->exit_code, std::move(r->tail)};
}

}  // namespace cairn::recovery
