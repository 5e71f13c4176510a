// `cairn resources`: the application resources registered next to the
// configuration (resources.d/*.yaml, by hand or through the API). Reads the
// descriptors only: no target, no key, no daemon needed.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli/command_context.hpp"
#include "service/resource_registry.hpp"

namespace cairn::cli {

namespace {

int list_resources(const globals& g) {
  output out{g.json, false};
  auto r = service::registered_resources(config_path(g));
  if (!r) {
    print_error(out, r.error());
    return exit_code_of(r.error());
  }
  if (out.json) {
    auto list = nlohmann::json::array();
    for (const auto& d : *r)
      list.push_back({{"name", d.name},
                      {"version", d.version},
                      {"user", d.user.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.user)},
                      {"commands", {{"backup", !d.backup.empty()}, {"recover", !d.recover.empty()},
                                    {"post_recovery", !d.post_recovery.empty()}}},
                      {"sensitive", d.sensitive},
                      {"timeout", d.command_timeout()},
                      {"file", d.file.string()},
                      {"registered_by", d.registered_by ? nlohmann::json(*d.registered_by) : nlohmann::json(nullptr)}});
    std::printf("%s\n", nlohmann::json{{"resources", list}}.dump(2).c_str());
    return exit_ok;
  }
  if (r->empty()) {
    std::printf("no resources registered\n");
    return exit_ok;
  }
  std::printf("%-20s %-12s %-12s %-8s %s\n", "NAME", "VERSION", "USER", "TIMEOUT", "FILE");
  for (const auto& d : *r) {
    std::string user = d.user.empty() ? "(cairn's)" : d.user;
    std::printf("%-20s %-12s %-12s %-8s %s\n", d.name.c_str(), d.version.c_str(), user.c_str(),
                (std::to_string(d.command_timeout()) + "s").c_str(), d.file.c_str());
    std::printf("  commands: backup, recover%s%s\n", d.post_recovery.empty() ? "" : ", post_recovery",
                d.registered_by ? (", registered through the API by uid " + std::to_string(*d.registered_by)).c_str() : "");
    for (const auto& s : d.sensitive) std::printf("  sensitive: %s\n", s.c_str());
  }
  return exit_ok;
}

}  // namespace

void add_resources_commands(CLI::App& app, context& ctx) {
  auto* cmd = app.add_subcommand("resources", "List the application resources registered (resources.d/*.yaml)");
  cmd->footer("Resources are registered by a file in resources.d/ next to the configuration, or through\n"
              "the daemon's API (POST /v1/resources). Example: cairn resources --json");
  cmd->callback([&ctx] { ctx.action = [&ctx] { return list_resources(ctx.g); }; });
}

}  // namespace cairn::cli
