// The rule for names a user gives in the configuration (targets, plans,
// sources, resources) and for the same names read back from a target, so a
// name from a checkpoint can never be more than a name. Pure; thread-safe.
#pragma once

#include <string_view>

namespace cairn {

// 1-64 letters, digits, '.', '_' or '-', not starting with '.' or '-'.
inline bool is_plain_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' && name[0] != '-';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '-' || c == '.');
  return ok;
}

}  // namespace cairn
