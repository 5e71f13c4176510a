#include "actors/register.hpp"

#include "actors/error.hpp"
#include "actors/protocol/catalog.hpp"
#include "actors/protocol/hook.hpp"
#include "actors/protocol/keyring.hpp"
#include "actors/protocol/plan.hpp"
#include "actors/protocol/progress.hpp"
#include "actors/protocol/restore.hpp"
#include "actors/protocol/sealer.hpp"
#include "actors/protocol/source.hpp"
#include "actors/protocol/target.hpp"

namespace cairn::actors {

void register_protocols(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::cairn_keyring>();
  cfg.add_message_types<caf::id_block::cairn_catalog>();
  cfg.add_message_types<caf::id_block::cairn_target>();
  cfg.add_message_types<caf::id_block::cairn_sealer>();
  cfg.add_message_types<caf::id_block::cairn_source>();
  cfg.add_message_types<caf::id_block::cairn_progress>();
  cfg.add_message_types<caf::id_block::cairn_plan>();
  cfg.add_message_types<caf::id_block::cairn_restore>();
  cfg.add_message_types<caf::id_block::cairn_hook>();
  cfg.add_error_category(caf::atom("cairn"),
                         [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                           std::string text(to_string(static_cast<errc>(code)));
                           if (ctx.size() > 0 && ctx.match_element<std::string>(0))
                             text = ctx.get_as<std::string>(0);
                           return text;
                         });
}

}  // namespace cairn::actors
