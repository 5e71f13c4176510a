// Registering application resources through the control API (docs/API.md,
// docs/RESOURCES.md): a request becomes resources.d/NAME.yaml, checked by the
// same parser as a hand-written descriptor, and written atomically. Who may
// register what: root (and the daemon's own user) any resource; anyone else
// only resources whose commands run as themselves, and only over their own.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "config/resource.hpp"

namespace cairn::service {

struct resource_caller {
  uid_t uid = 0;
  bool privileged = false;  // root or the daemon's own user
};

// What the caller asks for; `timeout` as given (checked by the parser).
struct resource_registration {
  std::string name, version, backup, recover, post_recovery, user;
  std::vector<std::string> sensitive;
  std::optional<int64_t> timeout;
};

// Errors: invalid_input (the descriptor would not load; nothing written),
// auth (the caller may not: HTTP 403), io.
expected<config::resource_config> register_resource(const std::filesystem::path& config_file,
                                                    const resource_registration& request, const resource_caller& who);
// Removes resources.d/NAME.yaml: root, or the caller who registered it.
// Errors: not_found, auth, io.
status unregister_resource(const std::filesystem::path& config_file, const std::string& name,
                           const resource_caller& who);

// The descriptors of resources.d next to `config_file` (`cairn resources`).
expected<std::vector<config::resource_config>> registered_resources(const std::filesystem::path& config_file);

}  // namespace cairn::service
