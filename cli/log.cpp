#include "cli/log.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace cairn::cli {

namespace {
std::atomic<log_level> threshold{log_level::info};
std::atomic<bool> journal{false};

bool is_stream(int fd, unsigned long dev, unsigned long ino) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}
}  // namespace

void set_log_level(log_level level) { threshold = level; }
void use_journal(bool on) { journal = on; }
bool using_journal() { return journal; }

bool log_enabled(log_level level) { return static_cast<int>(level) <= static_cast<int>(threshold.load()); }

bool journal_connected() {
  // "DEVICE:INODE" of the stream systemd connected (systemd.exec(5)): only
  // when it is still ours, not inherited by a command started from a shell.
  const char* env = std::getenv("JOURNAL_STREAM");
  unsigned long dev = 0, ino = 0;
  if (!env || std::sscanf(env, "%lu:%lu", &dev, &ino) != 2) return false;
  return is_stream(STDERR_FILENO, dev, ino) || is_stream(STDOUT_FILENO, dev, ino);
}

void journal_log(const log_entry& entry) {
  if (!log_enabled(entry.level)) return;
  auto fields = journal_fields(entry);
  std::vector<iovec> iov;
  for (auto& f : fields) iov.push_back({f.data(), f.size()});
  sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

std::vector<log_entry> run_entries(const plan_report& r) {
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(r.time_ns));
  using catalog::run_status;
  auto outcome = service::status_of(r);
  std::vector<log_entry> out;
  for (const auto& t : r.targets) {
    log_entry e;
    e.plan = r.plan;
    e.target = t.target;
    e.run_id = id;
    e.checkpoint = t.checkpoint_id;
    // This target's part of the run.
    auto part = t.committed ? (r.skipped.empty() && r.failed_sources.empty() ? run_status::ok : run_status::partial)
                            : r.cancelled ? run_status::cancelled : run_status::failed;
    e.outcome = to_string(part);
    e.level = part == run_status::ok ? log_level::info : part == run_status::partial ? log_level::warn : log_level::error;
    e.message = r.plan + " -> " + t.target + ": " +
                (t.committed ? "checkpoint " + t.checkpoint_id + ", " + std::to_string(t.stats.files) + " files, " +
                                 std::to_string(t.stats.bytes_uploaded) + " bytes uploaded"
                             : "no checkpoint: " + (t.error.empty() ? r.error : t.error));
    if (!r.skipped.empty() && t.committed) e.message += ", " + std::to_string(r.skipped.size()) + " entries skipped";
    for (const auto& f : r.failed_sources)
      if (t.committed) e.message += ", source " + f;
    out.push_back(std::move(e));
  }
  if (r.targets.empty())
    out.push_back({outcome == run_status::skipped ? log_level::info : log_level::error,
                   r.plan + ": " + std::string(to_string(outcome)) + (r.error.empty() ? "" : ": " + r.error), r.plan, "",
                   id, std::string(to_string(outcome)), ""});
  return out;
}

}  // namespace cairn::cli
