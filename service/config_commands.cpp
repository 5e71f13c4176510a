#include "service/config_commands.hpp"

#include "actors/backends.hpp"
#include "config/effective.hpp"

namespace cairn::service {

expected<std::string> check_config(const std::filesystem::path& config_file) {
  auto c = config::load_config(config_file);
  if (!c) return fail(c.error());
  // What every command would refuse before any work: S3 credentials that are
  // missing or readable by others (their values are read, checked and dropped).
  for (const auto& t : c->targets) CAIRN_TRY(actors::check_target_config(t));
  return config::effective_yaml(*c);
}

std::string_view example_config() { return config::example_yaml(); }

}  // namespace cairn::service
