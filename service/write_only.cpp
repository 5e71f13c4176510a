// Write-only suites (keyring.mode write-only): the machine keeps no list of
// its checkpoints, so the commands that read find them on the targets, with
// the private key (docs/THREAT-MODEL.md, "Write-only mode").
#include "service/application.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace cairn::service {

expected<std::vector<catalog::checkpoint_row>> application::write_only_checkpoints(const std::string& plan,
                                                                                    const std::string& target) {
  if (!options_.private_key && !options_.keyfile && !options_.ask_password)
    return fail(errc::auth, std::string(crypto::write_only_message));
  std::vector<catalog::checkpoint_row> rows;
  for (const auto& t : suite_->targets) {
    if (!target.empty() && t.name != target) continue;
    CAIRN_ASSIGN(auto opened, engine_->open_target(t.name, open_mode::state));
    auto& repo = *opened.repo;
    if (!repo.cipher().can_read()) return fail(errc::auth, t.name + ": " + std::string(crypto::write_only_message));
    CAIRN_ASSIGN(auto ids, repo.list_checkpoints());
    for (const auto& id : ids) {
      CAIRN_ASSIGN(auto c, repo.read_checkpoint(id));
      if (!plan.empty() && c.plan != plan) continue;
      nlohmann::json sources = nlohmann::json::array();
      for (const auto& s : c.sources) sources.push_back({{"name", s.name}, {"type", to_string(s.type)}, {"path", s.path}});
      rows.push_back(catalog::checkpoint_row{id.hex(), t.name, c.plan, c.time_ns, c.host,
                                             c.parent ? c.parent->hex() : "", c.tree.hex(), c.stats.files,
                                             c.stats.bytes, repo::encode_stats(c.stats),
                                             sources.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
    }
  }
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return a.time_ns != b.time_ns ? a.time_ns > b.time_ns : a.id > b.id;
  });
  return rows;
}

}  // namespace cairn::service
