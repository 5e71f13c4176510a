// Checks a YAML text before yaml-cpp builds a node graph from it: the graph
// builder follows aliases (a self-referencing one crashes it, a few nested
// ones expand to billions of nodes), reads only the first document, and
// recurses per level. Pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/error.hpp"

namespace cairn::config::detail {

inline constexpr size_t max_yaml_bytes = 1u << 20;  // a configuration is a few KiB
inline constexpr int max_yaml_depth = 64;           // Cairn's own YAML nests 5 levels

// invalid_input, one line "name:line:col: what", when the text is larger than
// max_yaml_bytes, holds a control character (NUL, ^D...), an anchor or alias,
// a NUL in a value, more than one document, nesting deeper than
// max_yaml_depth, or is not YAML at all.
status screen_yaml(std::string_view text, std::string_view name);

}  // namespace cairn::config::detail
