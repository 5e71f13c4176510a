#include "targets/append_only.hpp"

#include <algorithm>

namespace cairn::targets {

bool replaceable(std::string_view name) {
  return name.size() > replaceable_prefix.size() && name.substr(0, replaceable_prefix.size()) == replaceable_prefix;
}

status append_only_put(local_target& store, std::string_view name, byte_view data) {
  if (replaceable(name)) return store.put(name, data);
  auto created = store.put_new(name, data);
  if (created || created.error().code() != errc::exists) return created;
  // Taken: the same bytes again is a retried upload; one byte more is read to tell a longer object.
  auto existing = store.get(name, byte_range{0, data.size() + 1});
  if (!existing) return fail(existing.error());
  if (existing->size() == data.size() && std::equal(data.begin(), data.end(), existing->begin())) return {};
  return fail(errc::exists, std::string(name) + " exists and holds other bytes: not replaced (the server is append-only)");
}

status append_only_remove(local_target& store, std::string_view name) {
  if (replaceable(name)) return store.remove(name);
  if (!valid_object_name(name)) return fail(errc::invalid_input, "invalid object name " + std::string(name));
  return fail(errc::exists, std::string(name) + " not removed: the server is append-only (only " +
                              std::string(replaceable_prefix) + " may be removed)");
}

}  // namespace cairn::targets
