// The YAML parser behind parse_config: one pass over the node graph that
// yaml-cpp built (after detail::screen_yaml), throwing config_error with
// "file:line:col: what" at the first problem. Split over suite_config.cpp
// (the file, keyring, limits), parse_target.cpp and parse_plan.cpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/suite_config.hpp"

namespace cairn::config::detail {

namespace fs = std::filesystem;

// Thrown inside the parser only; parse_config converts it to an error.
struct config_error {
  std::string message;
};

class parser {
public:
  explicit parser(const fs::path& file)
    : file_(absolute(file)), name_(file.string()), base_(file_.parent_path()) {}
  static fs::path absolute(const fs::path& p) {
    std::error_code ec;
    auto a = fs::absolute(p, ec);
    return ec ? p : a;
  }

  suite_config parse(const YAML::Node& root);

private:
  location where(const YAML::Node& n) const {
    auto m = n.Mark();
    if (m.is_null()) return {name_, 0, 0};
    return {name_, m.line + 1, m.column + 1};
  }
  [[noreturn]] void error_at(const YAML::Node& n, const std::string& what) const {
    throw config_error{where(n).str() + ": " + what};
  }
  void expect_map(const YAML::Node& n, const std::string& what) const {
    if (!n.IsMap()) error_at(n, what + " must be a mapping (key: value)");
  }
  void check_keys(const YAML::Node& n, const std::set<std::string>& allowed,
                  const std::string& context) const;
  std::string scalar(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) error_at(n, what + " must be a single value");
    return n.Scalar();
  }
  bool flag(const YAML::Node& n, const std::string& what) const {
    bool v = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, v)) error_at(n, what + " must be true or false");
    return v;
  }
  fs::path path_of(const YAML::Node& n, const std::string& what) const {
    auto text = scalar(n, what);
    if (text.empty()) error_at(n, what + " is empty");
    if (text.rfind("~/", 0) == 0) {
      const char* home = std::getenv("HOME");
      if (home) return fs::path(home) / text.substr(2);
    }
    fs::path p(text);
    return p.is_absolute() ? p.lexically_normal() : (base_ / p).lexically_normal();
  }
  std::vector<std::string> string_list(const YAML::Node& n, const std::string& what) const {
    if (!n.IsSequence()) error_at(n, what + " must be a list");
    std::vector<std::string> out;
    for (const auto& item : n) out.push_back(scalar(item, what + " entries"));
    return out;
  }
  void check_name(const YAML::Node& n, const std::string& name, const std::string& what) const;

  keyring_config parse_keyring(const YAML::Node& n) const;
  target_limits parse_limits(const YAML::Node& n, const std::string& target) const;
  uint64_t number(const YAML::Node& n, const std::string& what, uint64_t max) const;
  void parse_object_lock(const YAML::Node& n, target_config& t) const;
  target_config parse_target(const std::string& name, const YAML::Node& key, const YAML::Node& n) const;
  plan_config parse_plan(const std::string& name, const YAML::Node& key, const YAML::Node& n,
                         const std::vector<target_config>& targets) const;
  // nullopt: {type: resources}, every registered resource (parse_plan expands it).
  std::optional<source_config> parse_source(const YAML::Node& n) const;
  source_config parse_resource_source(const YAML::Node& n, source_config& s) const;
  source_config resource_source(const resource_config& r, const location& where) const;
  void read_exclude_file(const YAML::Node& n, source_config& s) const;

  fs::path file_;
  std::string name_;
  fs::path base_;
public:
  std::vector<resource_config> resources_;  // resources.d/, read before the plans
};

}  // namespace cairn::config::detail
