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
#include "cli/render_text.hpp"

namespace cairn::cli {

using json = nlohmann::json;

namespace {

std::mutex terminal;
bool progress_shown = false;

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
    for (const auto& f : p.failed_sources) {
      if (out.json) emit({{"type", "source_failed"}, {"plan", p.plan}, {"source", f.substr(0, f.find(':'))}, {"error", f}});
      std::fprintf(stderr, "cairn: plan %s: source %s (the others were backed up)\n", p.plan.c_str(), f.c_str());
      if (code == exit_ok) code = exit_partial;
    }
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

int print_dry_run(const output& out, const std::vector<service::dry_run_source>& sources) {
  int code = exit_ok;
  backup::source_totals all;
  for (const auto& s : sources) {
    if (!s.note.empty() && s.to_read.empty() && s.type != config::source_type::command) code = exit_failure;  // the backup would fail
    for (const auto& f : s.to_read) {
      if (out.json) emit({{"type", "would_read"}, {"plan", s.plan}, {"source", s.source}, {"path", f.path}, {"size", f.size}});
      else std::printf("%s  %s\n", format_bytes(f.size).c_str(), printable(f.path).c_str());
    }
    const auto& t = s.totals;
    if (out.json) {
      emit({{"type", "dry_run_source"}, {"plan", s.plan}, {"source", s.source}, {"source_type", std::string(config::to_string(s.type))},
            {"what", s.what}, {"files", t.files}, {"bytes", t.bytes}, {"files_to_read", t.files_to_read},
            {"bytes_to_read", t.bytes_to_read}, {"note", s.note}});
    } else {
      std::printf("%s/%s (%s %s): would read %s files, %s of %s files, %s\n", s.plan.c_str(), s.source.c_str(),
                  std::string(config::to_string(s.type)).c_str(), printable(s.what).c_str(), with_commas(t.files_to_read).c_str(),
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
