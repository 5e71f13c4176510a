// `cairn config check` and `cairn config example`: no application, no catalog,
// no target; they only read (check) or print (example). Thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace cairn::service {

// Loads and validates the YAML as every command does (the same errors, with
// file:line:col), and returns the effective configuration as YAML: every
// default filled in, no secret (config/effective.hpp).
expected<std::string> check_config(const std::filesystem::path& config_file);

// A commented starting configuration that check_config accepts.
std::string_view example_config();

}  // namespace cairn::service
