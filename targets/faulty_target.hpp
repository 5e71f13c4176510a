// A target that fails on purpose, for tests (LevelDB fault_injection_test,
// Kopia blobtesting/faulty.go). Rules are checked in order; the first rule that
// matches an operation decides it. Thread-safe.
#pragma once

#include <mutex>
#include <vector>

#include "targets/target_wrapper.hpp"

namespace cairn::targets {

enum class operation { put, get, stat, list, remove, any };

struct fault_rule {
  operation op = operation::any;
  std::string prefix;        // object names (or list prefixes) starting with this
  int skip = 0;              // let this many matching calls succeed first
  int times = -1;            // then fail this many (-1: for ever)
  errc code = errc::transient;
  bool corrupt_read = false; // get: return the data with one byte flipped instead
};

class faulty_target : public target_wrapper {
public:
  using target_wrapper::target_wrapper;

  void add_rule(fault_rule rule);
  void clear_rules();
  int failures() const;  // how many calls were failed or corrupted so far

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  // Streamed bytes would bypass this wrapper: callers put() whole objects.
  expected<std::unique_ptr<object_writer>> open_writer() override { return std::unique_ptr<object_writer>{}; }
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;

private:
  struct rule_state {
    fault_rule rule;
    int seen = 0;
    int failed = 0;
  };
  // The rule that fires for this call, if any.
  const fault_rule* fire(operation op, std::string_view name);
  error make_error(const fault_rule& rule, std::string_view what, std::string_view name) const;

  mutable std::mutex mutex_;
  std::vector<rule_state> rules_;
  int failures_ = 0;
};

}  // namespace cairn::targets
