#include "fs/machine_state.hpp"

#include <fstream>
#include <sstream>

namespace cairn::fs {

namespace {

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

bool on_battery(const std::filesystem::path& sysfs_root) {
  std::error_code ec;
  auto dir = sysfs_root / "class" / "power_supply";
  bool discharging = false;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto type = first_line(it->path() / "type");
    if (type == "Mains" && first_line(it->path() / "online") == "1") return false;
    if (type == "Battery" && first_line(it->path() / "status") == "Discharging") discharging = true;
  }
  return discharging;
}

std::optional<double> pressure_some_avg10(const std::filesystem::path& procfs_root, const std::string& resource) {
  std::ifstream in(procfs_root / "pressure" / resource);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("some ", 0) != 0) continue;
    auto at = line.find("avg10=");
    if (at == std::string::npos) return std::nullopt;
    try {
      return std::stod(line.substr(at + 6));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace cairn::fs
