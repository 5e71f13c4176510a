// A target held in memory, for tests and as a reference implementation of the
// contracts in target.hpp. Thread-safe (one mutex).
#pragma once

#include <map>
#include <mutex>

#include "targets/target.hpp"

namespace cairn::targets {

class memory_target : public target {
public:
  explicit memory_target(std::string label = "memory") : label_(std::move(label)) {}

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;
  std::string describe() const override { return "memory:" + label_; }

  // Test helpers: direct access to the stored bytes.
  size_t object_count() const;
  uint64_t total_bytes() const;
  bool mutate(std::string_view name, const std::function<void(byte_buffer&)>& fn);

private:
  std::string label_;
  mutable std::mutex mutex_;
  std::map<std::string, byte_buffer, std::less<>> objects_;
};

}  // namespace cairn::targets
