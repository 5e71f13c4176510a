// Forwards every call to another target; subclasses override only what they
// change (LevelDB EnvWrapper). Thread-safety is that of the wrapped target.
#pragma once

#include "targets/target.hpp"

namespace cairn::targets {

class target_wrapper : public target {
public:
  explicit target_wrapper(target_ptr inner) : inner_(std::move(inner)) {}

  status put(std::string_view name, byte_view data) override { return inner_->put(name, data); }
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override {
    return inner_->get(name, range);
  }
  expected<object_info> stat(std::string_view name) override { return inner_->stat(name); }
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override {
    return inner_->list(prefix, fn);
  }
  status remove(std::string_view name) override { return inner_->remove(name); }
  std::string describe() const override { return inner_->describe(); }
  expected<std::unique_ptr<object_writer>> open_writer() override { return inner_->open_writer(); }

  const target_ptr& inner() const { return inner_; }

private:
  target_ptr inner_;
};

}  // namespace cairn::targets
