#include "targets/faulty_target.hpp"

namespace cairn::targets {

void faulty_target::add_rule(fault_rule rule) {
  std::lock_guard lock(mutex_);
  rules_.push_back({std::move(rule)});
}

void faulty_target::clear_rules() {
  std::lock_guard lock(mutex_);
  rules_.clear();
}

int faulty_target::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

const fault_rule* faulty_target::fire(operation op, std::string_view name) {
  std::lock_guard lock(mutex_);
  for (auto& state : rules_) {
    const auto& r = state.rule;
    if (r.op != operation::any && r.op != op) continue;
    if (name.compare(0, r.prefix.size(), r.prefix) != 0) continue;
    if (state.seen++ < r.skip) return nullptr;
    if (r.times >= 0 && state.failed >= r.times) return nullptr;
    ++state.failed;
    ++failures_;
    return &state.rule;
  }
  return nullptr;
}

error faulty_target::make_error(const fault_rule& rule, std::string_view what,
                                std::string_view name) const {
  return error{rule.code,
               describe() + ": injected fault on " + std::string(what) + " " + std::string(name)};
}

status faulty_target::put(std::string_view name, byte_view data) {
  if (auto* r = fire(operation::put, name)) return fail(make_error(*r, "put", name));
  return target_wrapper::put(name, data);
}

expected<byte_buffer> faulty_target::get(std::string_view name, byte_range range) {
  if (auto* r = fire(operation::get, name)) {
    if (!r->corrupt_read) return fail(make_error(*r, "get", name));
    auto data = target_wrapper::get(name, range);
    if (data && !data->empty()) (*data)[data->size() / 2] ^= 0x40;
    return data;
  }
  return target_wrapper::get(name, range);
}

expected<object_info> faulty_target::stat(std::string_view name) {
  if (auto* r = fire(operation::stat, name)) return fail(make_error(*r, "stat", name));
  return target_wrapper::stat(name);
}

status faulty_target::list(std::string_view prefix,
                           const std::function<bool(const object_info&)>& fn) {
  if (auto* r = fire(operation::list, prefix)) return fail(make_error(*r, "list", prefix));
  return target_wrapper::list(prefix, fn);
}

status faulty_target::remove(std::string_view name) {
  if (auto* r = fire(operation::remove, name)) return fail(make_error(*r, "remove", name));
  return target_wrapper::remove(name);
}

}  // namespace cairn::targets
