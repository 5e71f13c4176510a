#include "targets/target.hpp"

namespace cairn::targets {

bool valid_object_name(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  size_t segment = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '/') {
      if (segment == 0) return false;
      segment = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
    // no "." or ".." segments, no hidden names: temporary files start with '.'
    if (segment == 0 && c == '.') return false;
    ++segment;
  }
  return true;
}

}  // namespace cairn::targets
