// What the machine is doing, for the daemon's pause_when: on battery power
// (sysfs power_supply) and pressure stall information (procfs pressure).
// The roots are parameters so tests drive them with files. Free functions;
// thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace cairn::fs {

// True when no mains supply is online and a battery is discharging; false
// when the machine has no battery, or the files cannot be read.
bool on_battery(const std::filesystem::path& sysfs_root);

// The "some avg10" percentage of /proc/pressure/<resource> ("cpu", "io",
// "memory"); nullopt when the kernel has no PSI or the file cannot be read.
std::optional<double> pressure_some_avg10(const std::filesystem::path& procfs_root, const std::string& resource);

}  // namespace cairn::fs
