// What a source reads: the configuration's plans.NAME.sources[].type and the
// type a checkpoint records for each of its sources. One kind for both (repo/
// cannot see config/, so it lives here); `resources` in the YAML stands for
// every registered resource and is expanded into `resource` ones.
#pragma once

#include <optional>
#include <string_view>

namespace cairn {

enum class source_type { dir, sqlite, command, resource };

// The word for each kind ("dir"), and back: nullopt for any other word. The
// only place these words are compared.
std::string_view to_string(source_type type);
std::optional<source_type> parse_source_type(std::string_view word);

}  // namespace cairn
