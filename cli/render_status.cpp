// Rendering of what the suite does and did: status, runs, the daemon's lines.
#include "cli/render.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "cli/exit_codes.hpp"
#include "cli/log.hpp"
#include "cli/render_text.hpp"
#include "service/json.hpp"

namespace cairn::cli {

using json = nlohmann::json;

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
    if (p.failing()) code = exit_failure;
    if (out.json) {
      json j{{"type", "plan"}, {"plan", p.plan}, {"schedule", p.schedule}, {"keep", p.keep}};
      if (!p.schedule.empty()) j["next_run"] = format_time(std::max(p.next_due_ns, now));
      if (p.last_run)
        j["last_run"] = {{"started", format_time(p.last_run->started_ns)},
                         {"finished", p.last_run->finished_ns ? format_time(p.last_run->finished_ns) : ""},
                         {"status", to_string(p.last_run->status)}, {"error", p.last_run->error}};
      j["failing"] = p.failing();
      if (p.last_good_ns) j["last_good_run"] = format_time(*p.last_good_ns);
      if (p.running_pid) j["running_pid"] = *p.running_pid;
      if (live && live->plan == p.plan) {
        j["progress"] = service::to_json(live->progress);  // the API's progress object
        j["progress"]["paused"] = live->paused;
      }
      json targets = json::array();
      j["checkpoints_listed"] = !p.checkpoints_hidden;
      for (const auto& t : p.targets) {
        json tj{{"target", t.target}, {"checkpoints", t.checkpoints}};
        if (p.checkpoints_hidden) tj.erase("checkpoints");
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
      std::printf("  last run %s: %s%s%s\n", local_time(r.started_ns).c_str(), std::string(to_string(r.status)).c_str(), took.c_str(),
                  r.error.empty() ? "" : (": " + printable(r.error)).c_str());
      if (p.failing() && p.last_verdict->started_ns != r.started_ns) {
        const auto& v = *p.last_verdict;
        std::printf("  last finished run %s: %s%s\n", local_time(v.started_ns).c_str(), std::string(to_string(v.status)).c_str(),
                    v.error.empty() ? "" : (": " + printable(v.error)).c_str());
      }
      if (p.last_good_ns && *p.last_good_ns != r.started_ns)
        std::printf("  last good run %s\n", local_time(*p.last_good_ns).c_str());
    }
    for (const auto& t : p.targets) {
      if (p.checkpoints_hidden)
        std::printf("  %s: checkpoints are not listed on this machine (write-only)\n", t.target.c_str());
      else if (!t.checkpoints) std::printf("  %s: no checkpoint\n", t.target.c_str());
      else
        std::printf("  %s: %zu checkpoint%s, newest %s (%s)\n", t.target.c_str(), t.checkpoints,
                    t.checkpoints == 1 ? "" : "s", local_time(t.newest_ns).c_str(), format_bytes(t.bytes).c_str());
    }
  }
  return code;
}

int print_daemon_run(const output& out, const plan_report& r) {
  auto entries = run_entries(r);
  if (using_journal()) {
    for (const auto& e : entries) journal_log(e);
    auto status = service::status_of(r);
    return catalog::succeeded(status) ? exit_ok : status == catalog::run_status::partial ? exit_partial : exit_failure;
  }
  auto worst = log_level::debug;
  for (const auto& e : entries) worst = std::min(worst, e.level);
  if (!log_enabled(worst)) return exit_ok;
  int code = print_backup(out, {r});
  if (r.targets.empty() && !r.error.empty()) {
    code = exit_failure;
    if (out.json) emit({{"type", "run_failed"}, {"plan", r.plan}, {"error", r.error}});
    std::fprintf(stderr, "cairn: plan %s: no checkpoint: %s\n", r.plan.c_str(), printable(r.error).c_str());
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

void print_runs(const output& out, const std::vector<catalog::run_row>& runs) {
  for (const auto& r : runs) {
    json stats = json::parse(r.stats_json.empty() ? "{}" : r.stats_json, nullptr, false);
    if (stats.is_discarded()) stats = json::object();
    double seconds = r.finished_ns > r.started_ns ? (r.finished_ns - r.started_ns) / 1e9 : 0;
    if (out.json) {
      emit({{"type", "run"}, {"plan", r.plan}, {"started", format_time(r.started_ns)},
            {"finished", r.finished_ns ? format_time(r.finished_ns) : ""}, {"seconds", seconds},
            {"status", to_string(r.status)}, {"error", r.error}, {"stats", stats}});
      continue;
    }
    auto n = [&](const char* key) { return stats.contains(key) && stats[key].is_number() ? stats[key].get<uint64_t>() : 0; };
    std::printf("%s  %-10s %-9s %6.1f s  read %s, uploaded %s, stored %s%s%s\n", local_time(r.started_ns).c_str(),
                r.plan.c_str(), std::string(to_string(r.status)).c_str(), seconds, format_bytes(n("bytes_read")).c_str(),
                format_bytes(n("bytes_uploaded")).c_str(), format_bytes(n("bytes_stored")).c_str(),
                r.error.empty() ? "" : "  ", printable(r.error).c_str());
  }
  if (runs.empty() && !out.json) std::printf("no runs yet\n");
}

}  // namespace cairn::cli
