#include "targets/memory_target.hpp"

namespace cairn::targets {

status memory_target::put(std::string_view name, byte_view data) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  std::lock_guard lock(mutex_);
  objects_[std::string(name)] = byte_buffer(data.begin(), data.end());
  return {};
}

expected<byte_buffer> memory_target::get(std::string_view name, byte_range range) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(name);
  if (it == objects_.end())
    return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
  const auto& data = it->second;
  if (range.offset > data.size())
    return fail(errc::invalid_input, describe() + ": read past the end of " + std::string(name));
  uint64_t length = std::min<uint64_t>(range.length, data.size() - range.offset);
  return byte_buffer(data.begin() + range.offset, data.begin() + range.offset + length);
}

expected<object_info> memory_target::stat(std::string_view name) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(name);
  if (it == objects_.end())
    return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
  return object_info{it->first, it->second.size()};
}

status memory_target::list(std::string_view prefix,
                           const std::function<bool(const object_info&)>& fn) {
  std::vector<object_info> found;
  {
    std::lock_guard lock(mutex_);
    for (auto it = objects_.lower_bound(prefix);
         it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
      found.push_back({it->first, it->second.size()});
  }
  for (const auto& info : found)
    if (!fn(info)) break;
  return {};
}

status memory_target::remove(std::string_view name) {
  std::lock_guard lock(mutex_);
  if (auto it = objects_.find(name); it != objects_.end()) objects_.erase(it);
  return {};
}

size_t memory_target::object_count() const {
  std::lock_guard lock(mutex_);
  return objects_.size();
}

uint64_t memory_target::total_bytes() const {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto& [name, data] : objects_) total += data.size();
  return total;
}

bool memory_target::mutate(std::string_view name, const std::function<void(byte_buffer&)>& fn) {
  std::lock_guard lock(mutex_);
  auto it = objects_.find(name);
  if (it == objects_.end()) return false;
  fn(it->second);
  return true;
}

}  // namespace cairn::targets
