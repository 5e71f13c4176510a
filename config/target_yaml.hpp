// Writes a target's definition back as YAML, for a configuration Cairn makes
// itself (bootstrap --rebuild). Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "config/suite_config.hpp"

namespace cairn::config {

// The body of `targets.NAME:` as load_config reads it back into the same
// type and place: type, path; sftp's host, port, user, identity and
// known_hosts; s3's endpoint, bucket and prefix. Every string is quoted, so
// no value (a path with ": " or a newline) can add keys. Lines after the
// first start with `indent`, the mapping's indentation in the file.
std::string target_yaml(const target_config& t, std::string_view indent = "    ");

}  // namespace cairn::config
