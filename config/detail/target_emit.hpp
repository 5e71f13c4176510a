// The target mapping of config/target_yaml.hpp, written into an emitter that
// is writing a whole document (config/rebuilt_yaml.hpp). Internal to config/.
#pragma once

#include <yaml-cpp/yaml.h>

#include "config/suite_config.hpp"

namespace cairn::config {

void emit_target(YAML::Emitter& out, const target_config& t);

}  // namespace cairn::config
