#include "service/source_load.hpp"

#include <nlohmann/json.hpp>

#include "fs/command.hpp"
#include "repo/tree_search.hpp"
#include "service/application.hpp"

namespace cairn::service {

namespace {

// The error the checkpoint recorded for a source whose backup failed, "" when none.
std::string recorded_error(const std::string& sources_json, const std::string& name) {
  auto sources = nlohmann::json::parse(sources_json, nullptr, false);
  if (!sources.is_array()) return {};
  for (const auto& s : sources)
    if (s.is_object() && s.value("name", "") == name && s.contains("error") && s["error"].is_string())
      return s["error"].get<std::string>();
  return {};
}

}  // namespace

expected<source_load_report> application::load_source(const resolved_checkpoint& cp, const std::string& name) {
  const auto& suite = *suite_;
  auto short_id = cp.row.id.substr(0, 8);
  const auto* plan = suite.find_plan(cp.row.plan);
  const config::source_config* src = nullptr;
  if (plan)
    for (const auto& s : plan->sources)
      if (s.name == name) src = &s;
  if (!src)
    return fail(errc::invalid_input, suite.file.string() + ": plan \"" + cp.row.plan + "\" has no source \"" + name +
                                       "\" here: the restore_command that loads it comes from this file");
  if (src->type != config::source_type::command)
    return fail(errc::invalid_input, src->where.str() + ": source " + name + " is a " +
                                       std::string(config::to_string(src->type)) +
                                       " source: only command sources are loaded back (restore it with --to DIR)");
  if (src->restore_command.empty())
    return fail(errc::invalid_input, src->where.str() + ": command source " + name +
                                       " has no restore_command to load its output into");
  if (auto why = recorded_error(cp.row.sources_json, name); !why.empty())
    return fail(errc::not_found, "checkpoint " + short_id + " holds nothing of source " + name +
                                   ": its backup failed in that run (" + why + "); load an older checkpoint");
  CAIRN_ASSIGN(auto opened, engine_->open_target(cp.row.target, open_mode::read));
  auto& store = *opened.repo;
  CAIRN_ASSIGN(auto c, store.read_checkpoint(cp.id));
  auto file = name + "/" + src->output;
  CAIRN_ASSIGN(auto found, repo::find_node(store, c.tree, file));
  if (!found || found->meta.type != cairn::fs::file_type::regular)
    return fail(errc::not_found, "checkpoint " + short_id + " holds no file " + file + " (the output of source " + name +
                                   "; was its output: renamed since?)");
  const auto content = found->content;

  source_load_report report{name, cp.row.id, file, 0};
  const auto& stopping = engine_->stopping();
  cairn::fs::command_options o;
  o.command = src->restore_command;
  o.timeout = std::chrono::seconds(src->timeout);
  o.cancel = &stopping;
  o.environment = {{"CAIRN_SOURCE", name}, {"CAIRN_PLAN", cp.row.plan}, {"CAIRN_CHECKPOINT", cp.row.id}};
  // One chunk in memory at a time, each verified against its id as it is
  // read. A chunk that cannot be read ends the input there: the command may
  // have loaded part of it, which the error says.
  std::string unreadable;
  o.input = [&](int fd) -> status {
    for (const auto& id : content) {
      if (stopping.load()) return fail(errc::cancelled, "stopped");
      auto chunk = store.read_blob(id);
      if (!chunk) {
        unreadable = chunk.error().message();
        return fail(errc::corrupt, unreadable);
      }
      CAIRN_TRY(cairn::fs::write_all(fd, chunk->data(), chunk->size()));
      report.bytes += chunk->size();
    }
    return {};
  };
  auto what = src->restore_command_where.str() + ": source " + name + ": the restore_command";
  auto outcome = cairn::fs::run_to_file(o);
  if (!unreadable.empty())
    return fail(errc::corrupt, "checkpoint " + short_id + ": " + file + " could not be read whole (" + unreadable +
                                 "): the restore_command got only its first " + std::to_string(report.bytes) +
                                 " bytes and may have loaded part of them");
  if (!outcome) return fail(outcome.error().code(), what + ": " + outcome.error().message());
  if (outcome->exit_code != 0)
    return fail(errc::io, what + " exited with " + std::to_string(outcome->exit_code) +
                            (outcome->tail.empty() ? "" : ": " + cairn::fs::one_line(outcome->tail)));
  return report;
}

}  // namespace cairn::service
