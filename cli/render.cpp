#include "cli/render.hpp"

#include "service/json.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "cli/exit_codes.hpp"
#include "cli/log.hpp"

namespace cairn::cli {

using json = nlohmann::json;

namespace {

std::mutex terminal;
bool progress_shown = false;

void emit(const json& j) {
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string local_time(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string with_commas(uint64_t n) {
  auto s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

json stats_json(const repo::checkpoint_stats& s) {
  auto j = json::parse(repo::encode_stats(s));
  j["duration_seconds"] = static_cast<double>(s.duration_ns) / 1e9;
  j.erase("duration_ns");
  return j;
}

std::string mode_string(const fs::metadata& m) {
  std::string s(10, '-');
  switch (m.type) {
    case fs::file_type::directory: s[0] = 'd'; break;
    case fs::file_type::symlink: s[0] = 'l'; break;
    case fs::file_type::fifo: s[0] = 'p'; break;
    case fs::file_type::char_device: s[0] = 'c'; break;
    case fs::file_type::block_device: s[0] = 'b'; break;
    case fs::file_type::socket: s[0] = 's'; break;
    default: break;
  }
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (m.mode & (1u << (8 - i))) s[1 + i] = rwx[i];
  if (m.mode & 04000) s[3] = (m.mode & 0100) ? 's' : 'S';
  if (m.mode & 02000) s[6] = (m.mode & 0010) ? 's' : 'S';
  if (m.mode & 01000) s[9] = (m.mode & 0001) ? 't' : 'T';
  return s;
}

}  // namespace

std::string printable(const std::string& name) {
  std::string out;
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, c == '\n' ? "\\n" : "\\x%02x", c);
      out += buf;
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // Keep valid UTF-8 sequences, escape stray bytes.
      int len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool ok = len > 0 && i + len <= name.size();
      for (int k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(name[i + k]) >> 6) == 2;
      if (ok) {
        out.append(name, i, static_cast<size_t>(len));
        i += static_cast<size_t>(len) - 1;
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      }
    }
  }
  return out;
}

void clear_progress(const output& out) {
  std::lock_guard lock(terminal);
  if (progress_shown) {
    std::fputs("\r\033[K", stderr);
    progress_shown = false;
  }
}

void print_error(const output& out, const error& e) {
  clear_progress(out);
  std::fprintf(stderr, "cairn: %s\n", describe(e).c_str());
  if (out.json) emit({{"type", "error"}, {"code", std::string(to_string(e.code()))}, {"message", describe(e)}});
}

void print_warning(const std::string& text) {
  if (!log_enabled(log_level::warn)) return;
  std::lock_guard lock(terminal);
  if (progress_shown) {
    std::fputs("\r\033[K", stderr);
    progress_shown = false;
  }
  std::fprintf(stderr, "cairn: %s\n", printable(text).c_str());
}

progress_renderer progress_line(bool enabled) {
  if (!enabled) return {};
  return [](const progress_snapshot& s) {
    std::string line = s.phase;
    if (s.total.files || s.done.files)
      line += "  " + with_commas(s.done.files) + (s.total.files ? "/" + with_commas(s.total.files) : "") + " files";
    if (s.total.bytes || s.done.bytes)
      line += "  " + format_bytes(s.done.bytes) + (s.total.bytes ? "/" + format_bytes(s.total.bytes) : "");
    if (s.rate > 0) line += "  " + format_bytes(static_cast<uint64_t>(s.rate)) + "/s";
    if (s.eta_seconds >= 0) line += "  ETA " + format_duration(s.eta_seconds);
    if (s.done.bytes_uploaded) line += "  sent " + format_bytes(s.done.bytes_uploaded);
    if (s.done.errors) line += "  " + std::to_string(s.done.errors) + " skipped";
    std::lock_guard lock(terminal);
    std::fprintf(stderr, "\r\033[K%s", line.substr(0, 160).c_str());
    std::fflush(stderr);
    progress_shown = true;
  };
}

int print_forget(const output& out, const std::vector<service::forget_line>& lines, bool dry_run) {
  int code = exit_ok;
  size_t removed = 0;
  for (const auto& l : lines) {
    if (!l.error.empty()) code = exit_failure;
    if (!l.keep && l.error.empty()) ++removed;
    if (out.json) {
      json j{{"type", "forget"}, {"plan", l.plan}, {"target", l.target}, {"id", l.id},
             {"time", format_time(l.time_ns)}, {"keep", l.keep}, {"reasons", l.reasons}, {"dry_run", dry_run}};
      if (!l.error.empty()) j["error"] = l.error;
      emit(j);
      continue;
    }
    std::string why;
    for (const auto& r : l.reasons) why += (why.empty() ? "" : ", ") + r;
    std::printf("%s -> %s: %s %s  %s%s\n", l.plan.c_str(), l.target.c_str(),
                l.keep ? "keep  " : dry_run ? "would forget" : "forget", l.id.substr(0, 8).c_str(),
                local_time(l.time_ns).c_str(), why.empty() ? "" : ("  (" + why + ")").c_str());
    if (!l.error.empty())
      std::fprintf(stderr, "cairn: plan %s, target %s: checkpoint %s not forgotten: %s\n", l.plan.c_str(),
                   l.target.c_str(), l.id.substr(0, 8).c_str(), l.error.c_str());
  }
  bool any_kept = std::any_of(lines.begin(), lines.end(), [](const auto& l) { return l.keep; });
  if (!out.json && any_kept)
    std::printf("%s %zu of %zu checkpoints%s\n", dry_run ? "would forget" : "forgot", removed, lines.size(),
                removed && !dry_run ? "; their data stays until cairn prune" : "");
  else if (!out.json)
    std::printf("%s %zu checkpoint%s\n", dry_run ? "would forget" : "forgot", removed, removed == 1 ? "" : "s");
  return code;
}

int print_prune(const output& out, const std::vector<service::prune_line>& lines, bool dry_run) {
  int code = exit_ok;
  for (const auto& l : lines) {
    for (const auto& w : l.report.warnings) print_warning(l.target + ": " + w);
    if (!l.error.empty()) {
      code = exit_failure;
      if (out.json) emit({{"type", "prune_failed"}, {"target", l.target}, {"error", l.error}});
      std::fprintf(stderr, "cairn: target %s: not pruned: %s\n", l.target.c_str(), l.error.c_str());
      continue;
    }
    const auto& r = l.report;
    if (out.json) {
      emit({{"type", "prune"}, {"target", l.target}, {"dry_run", dry_run}, {"checkpoints", r.checkpoints},
            {"packs", r.packs}, {"bytes", r.bytes}, {"bytes_unused", r.bytes_unused},
            {"packs_deleted", r.packs_deleted}, {"packs_repacked", r.packs_repacked},
            {"packs_written", r.packs_written}, {"bytes_written", r.bytes_written},
            {"bytes_freed", r.bytes_freed}, {"index_files_replaced", r.index_files_replaced}});
      continue;
    }
    std::printf("%s: %zu checkpoints, %zu packs of %s (%s unused): %s %zu packs, repack %zu, free %s%s\n",
                l.target.c_str(), r.checkpoints, r.packs, format_bytes(r.bytes).c_str(),
                format_bytes(r.bytes_unused).c_str(), dry_run ? "would delete" : "deleted", r.packs_deleted,
                r.packs_repacked, format_bytes(r.bytes_freed).c_str(),
                r.packs_written ? (" (wrote " + std::to_string(r.packs_written) + " packs, " +
                                   format_bytes(r.bytes_written) + ")").c_str() : "");
  }
  return code;
}

int print_status(const output& out, const service::suite_status& s, const std::optional<service::live_run>& live) {
  int code = exit_ok;
  int64_t now = now_ns();
  if (out.json) {
    json d{{"type", "daemon"}, {"running", s.daemon_pid.has_value()}};
    if (s.daemon_pid) d["pid"] = *s.daemon_pid;
    emit(d);
  } else {
    std::printf("daemon: %s\n", s.daemon_pid ? ("running (pid " + std::to_string(*s.daemon_pid) + ")").c_str()
                                             : "not running");
  }
  for (const auto& p : s.plans) {
    bool bad = p.last_run && (p.last_run->status == "failed" || p.last_run->status == "partial");
    if (bad) code = exit_failure;
    if (out.json) {
      json j{{"type", "plan"}, {"plan", p.plan}, {"schedule", p.schedule}, {"keep", p.keep}};
      if (!p.schedule.empty()) j["next_run"] = format_time(std::max(p.next_due_ns, now));
      if (p.last_run)
        j["last_run"] = {{"started", format_time(p.last_run->started_ns)},
                         {"finished", p.last_run->finished_ns ? format_time(p.last_run->finished_ns) : ""},
                         {"status", p.last_run->status}, {"error", p.last_run->error}};
      if (p.last_good_ns) j["last_good_run"] = format_time(*p.last_good_ns);
      if (p.running_pid) j["running_pid"] = *p.running_pid;
      if (live && live->plan == p.plan) {
        j["progress"] = service::to_json(live->progress);  // the API's progress object
        j["progress"]["paused"] = live->paused;
      }
      json targets = json::array();
      for (const auto& t : p.targets) {
        json tj{{"target", t.target}, {"checkpoints", t.checkpoints}};
        if (t.checkpoints) tj["newest"] = format_time(t.newest_ns), tj["bytes"] = t.bytes;
        targets.push_back(tj);
      }
      j["targets"] = targets;
      emit(j);
      continue;
    }
    std::string when = p.schedule.empty() ? "by hand only (no schedule)"
                       : p.next_due_ns <= now ? p.schedule + ", due now"
                                              : p.schedule + ", next " + local_time(p.next_due_ns);
    std::printf("%s: %s%s\n", p.plan.c_str(), when.c_str(), p.keep.empty() ? "" : ("; keep " + p.keep).c_str());
    if (p.running_pid) std::printf("  running now (pid %d)\n", *p.running_pid);
    if (live && live->plan == p.plan) {
      const auto& g = live->progress;
      std::string eta = g.eta_seconds >= 0 ? ", about " + std::to_string(static_cast<long>(g.eta_seconds)) + " s left" : "";
      if (!live->paused.empty()) std::printf("  paused: %s\n", live->paused.c_str());
      std::printf("  %s: %s of %s files, %s of %s read, %s uploaded%s\n", g.phase.empty() ? "running" : g.phase.c_str(),
                  with_commas(g.done.files).c_str(), g.total.files ? with_commas(g.total.files).c_str() : "?",
                  format_bytes(g.done.bytes).c_str(), g.total.bytes ? format_bytes(g.total.bytes).c_str() : "?",
                  format_bytes(g.done.bytes_uploaded).c_str(), eta.c_str());
      if (g.uploaded_by_target.size() > 1)
        for (const auto& [target, sent] : g.uploaded_by_target)
          std::printf("    %s: %s uploaded\n", printable(target).c_str(), format_bytes(sent).c_str());
    }
    if (!p.last_run) {
      std::printf("  never ran\n");
    } else {
      const auto& r = *p.last_run;
      std::string took = r.finished_ns > r.started_ns
                           ? " in " + std::to_string((r.finished_ns - r.started_ns) / 1'000'000'000) + " s" : "";
      std::printf("  last run %s: %s%s%s\n", local_time(r.started_ns).c_str(), r.status.c_str(), took.c_str(),
                  r.error.empty() ? "" : (": " + r.error).c_str());
      if (p.last_good_ns && *p.last_good_ns != r.started_ns)
        std::printf("  last good run %s\n", local_time(*p.last_good_ns).c_str());
    }
    for (const auto& t : p.targets) {
      if (!t.checkpoints) std::printf("  %s: no checkpoint\n", t.target.c_str());
      else
        std::printf("  %s: %zu checkpoint%s, newest %s (%s)\n", t.target.c_str(), t.checkpoints,
                    t.checkpoints == 1 ? "" : "s", local_time(t.newest_ns).c_str(), format_bytes(t.bytes).c_str());
    }
  }
  return code;
}

void print_change(const output& out, const repo::tree_change& c) {
  static const char* kinds[] = {"file", "dir", "symlink", "fifo", "chardev", "blockdev", "socket"};
  auto t = static_cast<size_t>(c.type);
  std::string type = t >= 1 && t <= 7 ? kinds[t - 1] : "other";
  if (out.json) {
    emit({{"type", "change"}, {"change", std::string(repo::to_string(c.kind))}, {"path", c.path},
          {"kind", type}, {"old_size", c.old_size}, {"new_size", c.new_size}});
    return;
  }
  std::string path = printable(c.path) + (c.type == fs::file_type::directory ? "/" : "");
  bool file = c.type == fs::file_type::regular;
  switch (c.kind) {
    case repo::change_kind::added:
      std::printf("+ %s%s\n", path.c_str(), file ? ("  (" + format_bytes(c.new_size) + ")").c_str() : "");
      break;
    case repo::change_kind::removed:
      std::printf("- %s%s\n", path.c_str(), file ? ("  (" + format_bytes(c.old_size) + ")").c_str() : "");
      break;
    case repo::change_kind::content:
      std::printf("M %s  (%s -> %s)\n", path.c_str(), format_bytes(c.old_size).c_str(), format_bytes(c.new_size).c_str());
      break;
    case repo::change_kind::type: std::printf("~ %s  (now a %s)\n", path.c_str(), type.c_str()); break;
    case repo::change_kind::metadata: std::printf("U %s  (metadata only)\n", path.c_str()); break;
  }
}

void print_diff_summary(const output& out, const repo::diff_summary& s) {
  if (out.json) {
    emit({{"type", "diff"}, {"added", s.added}, {"removed", s.removed}, {"changed", s.content},
          {"metadata", s.metadata}, {"bytes_added", s.bytes_added}, {"bytes_removed", s.bytes_removed}});
    return;
  }
  std::printf("added %zu, removed %zu, changed %zu, metadata only %zu; +%s, -%s\n", s.added, s.removed, s.content,
              s.metadata, format_bytes(s.bytes_added).c_str(), format_bytes(s.bytes_removed).c_str());
}

int print_daemon_run(const output& out, const plan_report& r) {
  auto entries = run_entries(r);
  if (using_journal()) {
    for (const auto& e : entries) journal_log(e);
    auto status = service::run_status(r);
    return status == "ok" || status == "skipped" ? exit_ok : status == "partial" ? exit_partial : exit_failure;
  }
  auto worst = log_level::debug;
  for (const auto& e : entries) worst = std::min(worst, e.level);
  if (!log_enabled(worst)) return exit_ok;
  int code = print_backup(out, {r});
  if (r.targets.empty() && !r.error.empty()) {
    code = exit_failure;
    if (out.json) emit({{"type", "run_failed"}, {"plan", r.plan}, {"error", r.error}});
    std::fprintf(stderr, "cairn: plan %s: no checkpoint: %s\n", r.plan.c_str(), r.error.c_str());
  }
  std::cout.flush();
  std::fflush(stdout);
  return code;
}

void print_next_run(const output& out, const next_run& n) {
  int64_t now = now_ns();
  if (using_journal()) {
    journal_log({log_level::info, n.plan + ": " + (n.due_ns <= now ? "runs now" : "next run " + local_time(n.due_ns)) +
                                    " (" + n.schedule + (n.retry ? "; retrying a failed run" : "") + ")",
                 n.plan, "", "", "", ""});
    return;
  }
  if (!log_enabled(log_level::info)) return;
  if (out.json) {
    emit({{"type", "next_run"}, {"plan", n.plan}, {"schedule", n.schedule},
          {"due", format_time(std::max(n.due_ns, now))}, {"retry", n.retry}});
  } else if (n.due_ns <= now) {
    std::printf("%s: runs now (%s%s)\n", n.plan.c_str(), n.schedule.c_str(),
                n.retry ? "; retrying a failed run" : "");
  } else {
    std::printf("%s: next run %s (%s%s)\n", n.plan.c_str(), local_time(n.due_ns).c_str(), n.schedule.c_str(),
                n.retry ? "; retrying a failed run" : "");
  }
  std::cout.flush();
  std::fflush(stdout);
}

void print_config(const output& out, const std::string& file, const std::string& effective_yaml) {
  if (out.json) emit({{"type", "config"}, {"file", file}, {"valid", true}, {"effective", effective_yaml}});
  else std::fputs(effective_yaml.c_str(), stdout);
}

void print_daemon_event(const output& out, const std::string& what, log_level level) {
  if (using_journal()) {
    log_entry e;
    e.level = level;
    e.message = "cairn daemon: " + what;
    return journal_log(e);
  }
  if (!log_enabled(level)) return;
  if (out.json) emit({{"type", "daemon"}, {"event", what}});
  else std::printf("cairn daemon: %s\n", what.c_str());
  std::cout.flush();
  std::fflush(stdout);
}

void print_init(const output& out, const service::init_report& r) {
  for (const auto& t : r.targets) {
    if (out.json) {
      emit({{"type", "target"}, {"target", t.target}, {"location", t.location},
            {"repository_id", t.repository_id}, {"created", t.created}});
      continue;
    }
    std::printf("%s: %s repository %s at %s\n", t.target.c_str(),
                t.created ? "created" : "found existing", t.repository_id.substr(0, 8).c_str(),
                t.location.c_str());
  }
  if (!r.keyfile.empty() && !out.json)
    std::printf("created keyfile %s (mode 0600). Without it the backups cannot be read: "
                "keep a copy somewhere other than this machine.\n", r.keyfile.c_str());
  if (!r.keyfile.empty() && out.json) emit({{"type", "keyfile"}, {"path", r.keyfile}});
  if (!r.recovery_keyfile.empty() && !out.json)
    std::printf("created the recovery keyfile %s (mode 0600). Store it somewhere other than this machine "
                "now: a TPM does not move to new hardware, and this file is then the only way in.\n",
                r.recovery_keyfile.c_str());
  if (!r.recovery_keyfile.empty() && out.json) emit({{"type", "recovery_keyfile"}, {"path", r.recovery_keyfile}});
}

int print_backup(const output& out, const std::vector<plan_report>& reports) {
  clear_progress(out);
  int code = exit_ok;
  for (const auto& p : reports) {
    for (const auto& s : p.skipped) print_warning("skipped " + s);
    for (const auto& w : p.warnings) print_warning(w);
    if (!p.skipped.empty() && code == exit_ok) code = exit_partial;
    for (const auto& t : p.targets) {
      if (!t.committed) {
        code = p.cancelled ? exit_interrupted : exit_failure;
        std::string why = !t.error.empty() ? t.error : !p.error.empty() ? p.error : "not committed";
        if (out.json) emit({{"type", "target_failed"}, {"plan", p.plan}, {"target", t.target}, {"error", why}});
        std::fprintf(stderr, "cairn: plan %s, target %s: no checkpoint: %s\n", p.plan.c_str(),
                     t.target.c_str(), why.c_str());
        continue;
      }
      const auto& s = t.stats;
      if (out.json) {
        auto j = stats_json(s);
        j["type"] = "checkpoint";
        j["id"] = t.checkpoint_id;
        j["plan"] = p.plan;
        j["target"] = t.target;
        j["time"] = format_time(p.time_ns);
        emit(j);
        continue;
      }
      std::printf("%s -> %s: checkpoint %s  %s files, %s  (new %s, changed %s, unchanged %s)\n",
                  p.plan.c_str(), t.target.c_str(), t.checkpoint_id.substr(0, 8).c_str(),
                  with_commas(s.files).c_str(), format_bytes(s.bytes).c_str(),
                  with_commas(s.files_new).c_str(), with_commas(s.files_changed).c_str(),
                  with_commas(s.files_unchanged).c_str());
      std::printf("  read %s, new data %s, stored %s, uploaded %s in %s\n",
                  format_bytes(s.bytes_read).c_str(), format_bytes(s.bytes_new).c_str(),
                  format_bytes(s.bytes_stored).c_str(), format_bytes(s.bytes_uploaded).c_str(),
                  format_duration(static_cast<double>(s.duration_ns) / 1e9).c_str());
    }
    if (p.targets.empty() || (!p.error.empty() && code == exit_ok)) {
      code = p.cancelled ? exit_interrupted : exit_failure;
      std::fprintf(stderr, "cairn: plan %s: %s\n", p.plan.c_str(), p.error.c_str());
    }
    if (out.json) {
      auto j = stats_json(p.stats);
      j["type"] = "summary";
      j["plan"] = p.plan;
      j["skipped"] = p.skipped;
      j["warnings"] = p.warnings;
      j["cancelled"] = p.cancelled;
      if (!p.error.empty()) j["error"] = p.error;
      emit(j);
    }
  }
  return code;
}

void print_checkpoints(const output& out, const std::vector<catalog::checkpoint_row>& rows) {
  if (!out.json && !rows.empty())
    std::printf("%-8s  %-19s  %-12s  %-10s  %10s  %10s\n", "ID", "TIME", "PLAN", "TARGET", "FILES", "SIZE");
  for (const auto& r : rows) {
    if (out.json) {
      json j{{"type", "checkpoint"}, {"id", r.id}, {"plan", r.plan}, {"target", r.target},
             {"time", format_time(r.time_ns)}, {"host", r.host}, {"files", r.files},
             {"bytes", r.bytes}, {"parent", r.parent}, {"tree", r.tree}};
      if (r.vanished) j["vanished"] = true;
      auto stats = json::parse(r.stats_json, nullptr, false);
      if (!stats.is_discarded()) j["stats"] = stats;
      auto sources = json::parse(r.sources_json, nullptr, false);
      if (!sources.is_discarded()) j["sources"] = sources;
      emit(j);
      continue;
    }
    std::printf("%-8s  %-19s  %-12s  %-10s  %10s  %10s%s\n", r.id.substr(0, 8).c_str(),
                local_time(r.time_ns).c_str(), r.plan.c_str(), r.target.c_str(),
                with_commas(r.files).c_str(), format_bytes(r.bytes).c_str(),
                r.vanished ? "  VANISHED (gone from the target, found by cairn check)" : "");
    print_manifest(service::manifest_of_row(r.sources_json), "          ");
  }
  if (rows.empty() && !out.json) std::printf("no checkpoints yet\n");
}

void print_listing(const output& out, const service::resolved_checkpoint& cp, const std::string& path,
                   const std::vector<repo::node>& nodes) {
  for (const auto& n : nodes) {
    const auto& m = n.meta;
    if (out.json) {
      std::string full = path.empty() ? n.name : path + "/" + n.name;
      json j{{"type", std::string(fs::to_string(m.type))}, {"name", n.name}, {"path", full},
             {"mode", m.mode}, {"uid", m.uid}, {"gid", m.gid}, {"user", m.user}, {"group", m.group},
             {"size", m.size}, {"mtime", format_time(m.mtime_ns)}};
      if (m.type == fs::file_type::symlink) j["target"] = m.link_target;
      emit(j);
      continue;
    }
    std::string owner = m.user.empty() ? std::to_string(m.uid) : m.user;
    std::string group = m.group.empty() ? std::to_string(m.gid) : m.group;
    std::string name = printable(n.name);
    if (m.type == fs::file_type::directory) name += "/";
    if (m.type == fs::file_type::symlink) name += " -> " + printable(m.link_target);
    std::printf("%s  %-8s %-8s %12s  %s  %s\n", mode_string(m).c_str(), owner.c_str(), group.c_str(),
                with_commas(m.size).c_str(), local_time(m.mtime_ns).substr(0, 16).c_str(), name.c_str());
  }
}

int print_restore(const output& out, const restore_report& r, const std::string& to) {
  clear_progress(out);
  for (const auto& w : r.warnings) print_warning(w);
  for (const auto& d : r.damaged) print_warning("not restored: " + d);
  if (!out.json)
    for (const auto& p : r.removed) std::printf("removed %s\n", printable(p).c_str());
  int code = r.damaged.empty() && r.warnings.empty() ? exit_ok : exit_partial;
  json steps = json::array();
  for (const auto& p : r.post_restore) {
    if (p.ran && p.exit_code != 0) code = exit_partial;
    steps.push_back({{"source", p.source}, {"command", p.command}, {"ran", p.ran}, {"exit_code", p.exit_code},
                     {"output", p.output}});
    if (out.json) continue;
    if (!p.ran) {
      print_warning("post-restore step of " + p.source + " not run: it came with the checkpoint, not from this YAML: " +
                    p.command + " (check it, then restore with --run-post-restore to run it)");
      continue;
    }
    std::printf("post-restore step of %s: %s: %s\n", p.source.c_str(), p.command.c_str(),
                p.exit_code == 0 ? "done" : ("failed with exit code " + std::to_string(p.exit_code)).c_str());
    if (!p.output.empty()) std::printf("%s%s", p.output.c_str(), p.output.back() == '\n' ? "" : "\n");
  }
  if (out.json) {
    emit({{"type", "restore"}, {"to", to}, {"files", r.files}, {"files_failed", r.files_failed}, {"dirs", r.dirs},
          {"links", r.links},
          {"bytes", r.bytes}, {"bytes_fetched", r.bytes_fetched}, {"bytes_reused", r.bytes_reused},
          {"damaged", r.damaged}, {"removed", r.removed},
          {"warnings", r.warnings}, {"post_restore", steps}});
    return code;
  }
  std::printf("restored %s files, %s directories, %s other entries (%s) into %s\n",
              with_commas(r.files).c_str(), with_commas(r.dirs).c_str(), with_commas(r.links).c_str(),
              format_bytes(r.bytes + r.bytes_reused).c_str(), to.c_str());
  if (r.bytes_reused > 0)
    std::printf("  %s were already in place and kept; %s written, %s fetched\n", format_bytes(r.bytes_reused).c_str(),
                format_bytes(r.bytes).c_str(), format_bytes(r.bytes_fetched).c_str());
  if (!r.damaged.empty())
    std::printf("%zu entries not restored, each named above (nothing, or the older copy, is in its place)\n",
                r.damaged.size());
  return code;
}

void print_runs(const output& out, const std::vector<catalog::run_row>& runs) {
  for (const auto& r : runs) {
    json stats = json::parse(r.stats_json.empty() ? "{}" : r.stats_json, nullptr, false);
    if (stats.is_discarded()) stats = json::object();
    double seconds = r.finished_ns > r.started_ns ? (r.finished_ns - r.started_ns) / 1e9 : 0;
    if (out.json) {
      emit({{"type", "run"}, {"plan", r.plan}, {"started", format_time(r.started_ns)},
            {"finished", r.finished_ns ? format_time(r.finished_ns) : ""}, {"seconds", seconds},
            {"status", r.status}, {"error", r.error}, {"stats", stats}});
      continue;
    }
    auto n = [&](const char* key) { return stats.contains(key) && stats[key].is_number() ? stats[key].get<uint64_t>() : 0; };
    std::printf("%s  %-10s %-9s %6.1f s  read %s, uploaded %s, stored %s%s%s\n", local_time(r.started_ns).c_str(),
                r.plan.c_str(), r.status.c_str(), seconds, format_bytes(n("bytes_read")).c_str(),
                format_bytes(n("bytes_uploaded")).c_str(), format_bytes(n("bytes_stored")).c_str(),
                r.error.empty() ? "" : "  ", r.error.c_str());
  }
  if (runs.empty() && !out.json) std::printf("no runs yet\n");
}

void print_keys(const output& out, const std::vector<service::key_line>& lines) {
  if (!out.json && !lines.empty())
    std::printf("%-10s  %-8s  %-8s  %-19s  %s\n", "TARGET", "SLOT", "KIND", "CREATED", "");
  for (const auto& l : lines) {
    if (out.json) {
      emit({{"type", "key_slot"}, {"target", l.target}, {"id", l.id}, {"kind", l.kind},
            {"created", format_time(l.created_ns)}, {"pcrs", l.pcrs}, {"current", l.current}});
      continue;
    }
    std::string extra;
    if (l.kind == "tpm") {
      std::string pcrs;
      for (int p : l.pcrs) pcrs += (pcrs.empty() ? "" : ",") + std::to_string(p);
      extra = pcrs.empty() ? "no PCR policy" : "PCRs " + pcrs;
    }
    if (l.current) extra += (extra.empty() ? "" : "; ") + std::string("opened this command");
    std::printf("%-10s  %-8s  %-8s  %-19s  %s\n", l.target.c_str(), l.id.c_str(), l.kind.c_str(),
                local_time(l.created_ns).c_str(), extra.c_str());
  }
}

void print_bootstrap(const output& out, const recovery::bootstrap_report& r) {
  for (const auto& n : r.notes) print_warning(n);
  if (out.json) {
    emit({{"type", "bootstrap"}, {"source", r.source}, {"rebuilt", r.rebuilt}, {"suite_id", r.suite_id},
          {"host", r.host}, {"time", r.time_ns ? format_time(r.time_ns) : ""}, {"checkpoints", r.checkpoints},
          {"plans", r.plans}, {"catalog", r.catalog.string()}, {"config", r.config.string()},
          {"notes", r.notes}});
    return;
  }
  if (r.rebuilt)
    std::printf("rebuilt the catalog from %s\n", r.source.c_str());
  else
    std::printf("recovered the suite state written by %s at %s\n  from %s\n", r.host.c_str(),
                local_time(r.time_ns).c_str(), r.source.c_str());
  std::string plans;
  for (const auto& p : r.plans) plans += (plans.empty() ? "" : ", ") + p;
  std::printf("%zu checkpoints of %zu plan(s)%s%s\n", r.checkpoints, r.plans.size(), plans.empty() ? "" : ": ",
              plans.c_str());
  std::printf("catalog: %s\nconfiguration: %s (check its paths if this machine differs)\n",
              r.catalog.c_str(), r.config.c_str());
  std::printf("next: cairn -c %s checkpoints\n", r.config.c_str());
}

static std::vector<std::string> damaged_index_names(const repo::check_report& r) {
  std::vector<std::string> out;
  for (const auto& id : r.damaged_index_files) out.push_back(std::string(repo::index_prefix) + id.hex());
  return out;
}

int print_check(const output& out, const std::vector<service::check_line>& lines) {
  clear_progress(out);
  int code = exit_ok;
  for (const auto& l : lines) {
    const auto& r = l.report;
    bool ok = l.error.empty() && r.ok();
    if (!ok) code = exit_failure;
    if (out.json) {
      emit({{"type", "check"}, {"target", l.target}, {"ok", ok}, {"error", l.error},
            {"checkpoints", r.checkpoints}, {"trees", r.trees}, {"files", r.files},
            {"packs", r.packs}, {"blobs", r.blobs}, {"bytes_read", r.bytes_read},
            {"errors", r.errors}, {"warnings", r.warnings},
            {"damaged_index_files", damaged_index_names(r)}});
      continue;
    }
    if (!l.error.empty()) {  // errors from opening already name the target
      std::fprintf(stderr, "cairn: %s\n", l.error.c_str());
      continue;
    }
    for (const auto& w : r.warnings) std::printf("%s: note: %s\n", l.target.c_str(), w.c_str());
    for (const auto& e : r.errors) std::fprintf(stderr, "cairn: %s: %s\n", l.target.c_str(), printable(e).c_str());
    std::printf("%s: %s  %zu checkpoints, %zu trees, %zu files, %zu packs, %zu blobs%s\n",
                l.target.c_str(), ok ? "ok" : "DAMAGED", r.checkpoints, r.trees, r.files, r.packs,
                r.blobs, r.bytes_read ? (", read " + format_bytes(r.bytes_read)).c_str() : "");
  }
  return code;
}

int print_dry_run(const output& out, const std::vector<service::dry_run_source>& sources) {
  int code = exit_ok;
  source_totals all;
  for (const auto& s : sources) {
    if (!s.note.empty() && s.to_read.empty() && s.type != "command") code = exit_failure;  // the backup would fail
    for (const auto& f : s.to_read) {
      if (out.json) emit({{"type", "would_read"}, {"plan", s.plan}, {"source", s.source}, {"path", f.path}, {"size", f.size}});
      else std::printf("%s  %s\n", format_bytes(f.size).c_str(), printable(f.path).c_str());
    }
    const auto& t = s.totals;
    if (out.json) {
      emit({{"type", "dry_run_source"}, {"plan", s.plan}, {"source", s.source}, {"source_type", s.type},
            {"what", s.what}, {"files", t.files}, {"bytes", t.bytes}, {"files_to_read", t.files_to_read},
            {"bytes_to_read", t.bytes_to_read}, {"note", s.note}});
    } else {
      std::printf("%s/%s (%s %s): would read %s files, %s of %s files, %s\n", s.plan.c_str(), s.source.c_str(),
                  s.type.c_str(), printable(s.what).c_str(), with_commas(t.files_to_read).c_str(),
                  format_bytes(t.bytes_to_read).c_str(), with_commas(t.files).c_str(), format_bytes(t.bytes).c_str());
      if (!s.note.empty()) std::printf("  %s\n", printable(s.note).c_str());
    }
    all.files += t.files, all.bytes += t.bytes;
    all.files_to_read += t.files_to_read, all.bytes_to_read += t.bytes_to_read;
  }
  if (out.json)
    emit({{"type", "dry_run"}, {"files", all.files}, {"bytes", all.bytes}, {"files_to_read", all.files_to_read},
          {"bytes_to_read", all.bytes_to_read}});
  else
    std::printf("total: would read %s files, %s of %s files, %s (dry run: nothing was stored)\n",
                with_commas(all.files_to_read).c_str(), format_bytes(all.bytes_to_read).c_str(),
                with_commas(all.files).c_str(), format_bytes(all.bytes).c_str());
  return code;
}

}  // namespace cairn::cli
