#include "actors/sealed_file_cache.hpp"

namespace cairn::actors {

void sealed_file_cache::add_target(const std::string& name, const crypto::repository_keys& keys) {
  keys_[name] = std::make_unique<crypto::file_cache_key>(keys);
}

const crypto::file_cache_key* sealed_file_cache::key_of(std::string_view target) const {
  auto it = keys_.find(target);
  return it == keys_.end() ? nullptr : it->second.get();
}

std::string sealed_file_cache::name_of(std::string_view plan, std::string_view target,
                                       std::string_view directory) const {
  auto* key = key_of(target);
  if (!key) return {};
  std::string text(plan);
  text += '\0';
  text += directory;
  return key->name_of(text);
}

// An unknown target stores nothing that opens: its rows are mere misses.
byte_buffer sealed_file_cache::seal(std::string_view target, std::string_view name, byte_view plaintext) const {
  auto* key = key_of(target);
  return key ? key->seal(as_bytes(name), plaintext) : byte_buffer{};
}

expected<byte_buffer> sealed_file_cache::open(std::string_view target, std::string_view name,
                                              byte_view sealed) const {
  auto* key = key_of(target);
  if (!key) return fail(errc::not_found, "no file cache key for this target");
  return key->open(as_bytes(name), sealed);
}

}  // namespace cairn::actors
