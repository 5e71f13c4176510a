// Small edits of a YAML text that keep everything else as the user wrote it
// (comments, order, quoting): used by bootstrap to point a recovered
// configuration at the credentials it recovered. Pure functions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/error.hpp"

namespace cairn::config {

// Sets `key: value` in the block mapping `targets.TARGET`: replaces the value
// when the key is there, else adds the key as the mapping's first line.
// invalid_input when there is no such target, or it is written in flow style
// ({...}) or the key's value spans lines.
expected<std::string> set_target_key(const std::string& yaml, const std::string& target, const std::string& key,
                                     const std::string& value);

struct recovered_yaml {
  std::string yaml;
  std::vector<std::string> notes;  // for the person who bootstraps: what to check
};

// A configuration recovered by bootstrap (written to `file`): each target
// with a recovered credential in `credentials` (a file named after the
// target) gets its access_key_file (s3) or identity (sftp) pointed at it; the
// commands the configuration runs are listed in the notes, since they came
// from a target and run as this machine's user.
recovered_yaml adopt_recovered(const std::string& yaml, const std::filesystem::path& file,
                               const std::filesystem::path& credentials);

}  // namespace cairn::config
