#include "repo/temporaries.hpp"

#include <signal.h>

#include <cerrno>
#include <charconv>
#include <chrono>

namespace cairn::repo {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view temporary_prefix = ".tmp-";

// The pid in ".tmp-<pid>-...", or 0 when the name does not have one.
pid_t pid_of(std::string_view leaf) {
  if (leaf.substr(0, temporary_prefix.size()) != temporary_prefix) return 0;
  leaf.remove_prefix(temporary_prefix.size());
  pid_t pid = 0;
  auto [end, ec] = std::from_chars(leaf.data(), leaf.data() + leaf.size(), pid);
  if (ec != std::errc() || end == leaf.data() || end == leaf.data() + leaf.size() || *end != '-') return 0;
  return pid;
}

bool alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

leftover_report remove_leftover_temporaries(const fs::path& root, int64_t stale_after_ns) {
  leftover_report report;
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  std::vector<fs::path> doomed;
  for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end; !ec && it != end;
       it.increment(ec)) {
    auto leaf = it->path().filename().string();
    if (leaf.rfind(temporary_prefix, 0) != 0) continue;
    std::error_code stat_ec;
    if (!it->is_regular_file(stat_ec) || stat_ec) continue;
    auto written = it->last_write_time(stat_ec);
    if (stat_ec) continue;
    auto age_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - written).count();
    pid_t pid = pid_of(leaf);
    // A name without a pid (another program's) goes only once stale.
    bool dead = pid > 0 && !alive(pid);
    if (dead || age_ns > stale_after_ns) doomed.push_back(it->path());
  }
  for (const auto& p : doomed) {
    std::error_code rm_ec;
    if (fs::remove(p, rm_ec)) report.removed.push_back(p.lexically_relative(root).string());
  }
  return report;
}

}  // namespace cairn::repo
