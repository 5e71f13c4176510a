// First type ID of each protocol's type-ID block (CAF allows gaps).
#pragma once

#include <caf/type_id.hpp>

namespace cairn::ids {
inline constexpr caf::type_id_t atoms = caf::first_custom_type_id;
inline constexpr caf::type_id_t keyring = atoms + 100;
inline constexpr caf::type_id_t catalog = keyring + 20;
inline constexpr caf::type_id_t target = catalog + 20;
inline constexpr caf::type_id_t sealer = target + 20;
inline constexpr caf::type_id_t source = sealer + 20;
inline constexpr caf::type_id_t progress = source + 20;
inline constexpr caf::type_id_t plan = progress + 20;
inline constexpr caf::type_id_t restore = plan + 20;
inline constexpr caf::type_id_t check = restore + 20;
inline constexpr caf::type_id_t hook = check + 20;
}  // namespace cairn::ids
