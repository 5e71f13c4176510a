// Rendering of check, forget, prune, key slots and bootstrap.
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

namespace {

std::vector<std::string> damaged_index_names(const repo::check_report& r) {
  std::vector<std::string> out;
  for (const auto& id : r.damaged_index_files) out.push_back(std::string(repo::index_prefix) + id.hex());
  return out;
}

}  // namespace

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

}  // namespace cairn::cli
