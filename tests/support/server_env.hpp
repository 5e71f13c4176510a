// Runs a tests/support start script and reads the NAME=value lines it prints.
#pragma once

#include <cstdio>
#include <map>
#include <string>

namespace cairn::testing {

inline bool run_for_env(const std::string& command, std::map<std::string, std::string>& env) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return false;
  char line[512];
  while (fgets(line, sizeof line, p)) {
    std::string l(line);
    auto eq = l.find('=');
    if (eq == std::string::npos) continue;
    auto value = l.substr(eq + 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == '"')) value.pop_back();
    if (!value.empty() && value.front() == '"') value.erase(0, 1);
    env[l.substr(0, eq)] = value;
  }
  return pclose(p) == 0;
}

}  // namespace cairn::testing
