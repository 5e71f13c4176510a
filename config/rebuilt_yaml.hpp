// Writes the configuration `cairn bootstrap --rebuild` makes from a target's
// checkpoints. Everything in it from the target (plan and source names,
// types, paths) was written by whoever controls the target: every value goes
// through yaml-cpp's emitter, double-quoted, so none can add keys; commands
// from the target are never written as commands. Pure function; thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/suite_config.hpp"

namespace cairn::config {

struct recovered_source {
  std::string name;  // as the checkpoint names it
  source_type type = source_type::dir;  // decode_checkpoint parsed the target's word
  std::string path;  // the path, or a command source's command
};

struct rebuilt_config {
  std::string from;                    // where it was rebuilt from (target->describe()), for the header
  std::string date;                    // YYYY-MM-DD, for the header
  std::filesystem::path state_dir;
  config::keyring_mode key_mode = config::keyring_mode::none;  // none, password or keyfile
  std::filesystem::path keyfile;       // key_mode keyfile
  target_config target;                // its name is the plans' target
  std::map<std::string, std::vector<recovered_source>> plans;  // plan -> its sources
};

// The whole YAML document. A plan or source with a name that is not a plain
// name is left out with a note (decode already refuses them). A command source's command and a resource (whose
// commands a checkpoint never carries) are left out of `sources` and listed
// in comments at the end, the command JSON-escaped to one line of ASCII, for
// the user to review and enable; post_restore is never written.
std::string rebuilt_yaml(const rebuilt_config& c);

}  // namespace cairn::config
