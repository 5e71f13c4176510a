// A new, empty folder with a unique name under a given folder (mode 0700).
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace cairn::fs {

// Creates BASE/PREFIX.<6 random characters> (mkdtemp), 0700. `what` names the
// folder in the one-line error ("cannot create a recovery folder under ...").
expected<std::filesystem::path> make_unique_dir(const std::filesystem::path& base, const std::string& prefix,
                                                const std::string& what = "folder");

}  // namespace cairn::fs
