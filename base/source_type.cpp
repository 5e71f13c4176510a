#include "base/source_type.hpp"

namespace cairn {

std::string_view to_string(source_type type) {
  switch (type) {
    case source_type::dir: return "dir";
    case source_type::sqlite: return "sqlite";
    case source_type::command: return "command";
    case source_type::resource: return "resource";
  }
  return "?";
}

std::optional<source_type> parse_source_type(std::string_view word) {
  for (auto t : {source_type::dir, source_type::sqlite, source_type::command, source_type::resource})
    if (to_string(t) == word) return t;
  return std::nullopt;
}

}  // namespace cairn
