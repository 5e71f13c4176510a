#include "cli/render_browse.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "cli/exit_codes.hpp"
#include "cli/render_text.hpp"

namespace cairn::cli {

using json = nlohmann::json;

namespace {

std::string mode_octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

std::string display(const std::string& path, const fs::metadata& m) {
  std::string s = printable(path);
  if (m.type == fs::file_type::directory) s += "/";
  if (m.type == fs::file_type::symlink) s += " -> " + printable(m.link_target);
  return s;
}

std::string last_heading;  // the checkpoint whose matches print_found prints now

}  // namespace

int print_restore_preview(const output& out, const recovery::mirror_report& r, const std::string& to) {
  size_t counts[3] = {0, 0, 0};
  uint64_t bytes = 0;
  for (const auto& w : r.warnings) print_warning(w);
  for (const auto& l : r.lines) {
    ++counts[static_cast<size_t>(l.kind)];
    bool file = l.type == fs::file_type::regular;
    if (file && l.kind != recovery::mirror_kind::remove) bytes += l.size;
    if (out.json) {
      emit({{"type", "would"}, {"change", std::string(recovery::to_string(l.kind))}, {"path", l.path},
            {"kind", std::string(fs::to_string(l.type))}, {"size", l.size}, {"why", l.why}});
      continue;
    }
    std::string path = printable(l.path) + (l.type == fs::file_type::directory ? "/" : "");
    std::string size = file ? "  (" + format_bytes(l.size) + ")" : "";
    switch (l.kind) {
      case recovery::mirror_kind::create: std::printf("+ %s%s\n", path.c_str(), size.c_str()); break;
      case recovery::mirror_kind::change: std::printf("M %s  (%s)\n", path.c_str(), l.why.c_str()); break;
      case recovery::mirror_kind::remove: std::printf("- %s%s\n", path.c_str(), size.c_str()); break;
    }
  }
  if (out.json) {
    emit({{"type", "restore_dry_run"}, {"to", to}, {"create", counts[0]}, {"change", counts[1]},
          {"remove", counts[2]}, {"bytes", bytes}, {"warnings", r.warnings}});
  } else {
    std::printf("dry run: would create %zu, change %zu, remove %zu entries (%s to write) in %s; nothing was changed\n",
                counts[0], counts[1], counts[2], format_bytes(bytes).c_str(), to.c_str());
  }
  return r.warnings.empty() ? exit_ok : exit_partial;
}

}  // namespace cairn::cli

namespace cairn::cli {

void print_found(const output& out, const service::found_line& f) {
  const auto& m = f.meta;
  if (out.json) {
    emit({{"type", "found"}, {"checkpoint", f.checkpoint.id}, {"plan", f.checkpoint.plan},
          {"time", format_time(f.checkpoint.time_ns)}, {"path", f.path}, {"kind", std::string(fs::to_string(m.type))},
          {"size", m.size}, {"mtime", format_time(m.mtime_ns)}, {"mode", m.mode}});
    return;
  }
  if (last_heading != f.checkpoint.id) {
    last_heading = f.checkpoint.id;
    std::printf("checkpoint %s  %s  plan %s\n", f.checkpoint.id.substr(0, 8).c_str(),
                local_time(f.checkpoint.time_ns).c_str(), f.checkpoint.plan.c_str());
  }
  std::printf("  %12s  %s  %s\n", m.type == fs::file_type::regular ? format_bytes(m.size).c_str() : "",
              local_time(m.mtime_ns).c_str(), display(f.path, m).c_str());
}

int print_find_summary(const output& out, const service::find_summary& s) {
  for (const auto& w : s.warnings) print_warning(w);
  if (out.json) {
    emit({{"type", "find"}, {"target", s.target}, {"checkpoints", s.checkpoints},
          {"checkpoints_matching", s.checkpoints_matching}, {"matches", s.matches}, {"trees_read", s.trees_read},
          {"warnings", s.warnings}});
  } else {
    std::printf("%zu match%s in %zu of %zu checkpoints of target %s (%zu trees read)\n", s.matches,
                s.matches == 1 ? "" : "es", s.checkpoints_matching, s.checkpoints, s.target.c_str(), s.trees_read);
  }
  return s.warnings.empty() ? exit_ok : exit_partial;
}

int print_history(const output& out, const service::history_report& r) {
  for (const auto& w : r.warnings) print_warning(w);
  size_t present = 0;
  for (const auto& v : r.versions) {
    const auto& m = v.entry.meta;
    if (v.present) ++present;
    if (out.json) {
      json j{{"type", "version"}, {"path", r.path}, {"present", v.present}, {"checkpoint", v.first.id},
             {"time", format_time(v.first.time_ns)}, {"last_checkpoint", v.last.id},
             {"last_time", format_time(v.last.time_ns)}, {"checkpoints", v.checkpoints}};
      if (v.present) {
        j.update({{"kind", std::string(fs::to_string(m.type))}, {"size", m.size}, {"mtime", format_time(m.mtime_ns)},
                  {"mode", m.mode}, {"content", v.content}});
        if (m.type == fs::file_type::symlink) j["target"] = m.link_target;
      }
      emit(j);
      continue;
    }
    std::string span = std::to_string(v.checkpoints) + (v.checkpoints == 1 ? " checkpoint" : " checkpoints") +
                       (v.checkpoints > 1 ? ", to " + v.last.id.substr(0, 8) : "");
    if (!v.present) {
      std::printf("%s  %s  absent  (%s)\n", v.first.id.substr(0, 8).c_str(), local_time(v.first.time_ns).c_str(),
                  span.c_str());
      continue;
    }
    std::printf("%s  %s  %-7s %12s  mtime %s  mode %s  content %s  (%s)\n", v.first.id.substr(0, 8).c_str(),
                local_time(v.first.time_ns).c_str(), std::string(fs::to_string(m.type)).c_str(),
                m.type == fs::file_type::regular ? format_bytes(m.size).c_str() : "", local_time(m.mtime_ns).c_str(),
                mode_octal(m.mode).c_str(), v.content.substr(0, 12).c_str(), span.c_str());
  }
  if (out.json) {
    emit({{"type", "history"}, {"path", r.path}, {"target", r.target}, {"versions", present},
          {"warnings", r.warnings}});
  } else {
    std::printf("%zu version%s of %s on target %s\n", present, present == 1 ? "" : "s", printable(r.path).c_str(),
                r.target.c_str());
  }
  return r.warnings.empty() ? exit_ok : exit_partial;
}

}  // namespace cairn::cli

namespace cairn::cli {

int print_copy(const output& out, const std::vector<service::copy_line>& lines, const std::string& from,
               const std::string& to) {
  size_t copied = 0, already = 0, failed = 0;
  uint64_t read = 0, uploaded = 0;
  for (const auto& l : lines) {
    read += l.stats.bytes_read;
    uploaded += l.stats.bytes_uploaded;
    if (!l.error.empty() && l.to_id.empty()) ++failed;
    else if (l.already) ++already;
    else ++copied;
    if (out.json) {
      emit({{"type", "copy"}, {"from", from}, {"to", to}, {"checkpoint", l.from_id}, {"new_id", l.to_id},
            {"plan", l.plan}, {"time", format_time(l.time_ns)}, {"already", l.already}, {"error", l.error},
            {"trees", l.stats.trees}, {"blobs_read", l.stats.blobs_read}, {"bytes_read", l.stats.bytes_read},
            {"blobs_new", l.stats.blobs_new}, {"bytes_uploaded", l.stats.bytes_uploaded}});
      continue;
    }
    std::string head = l.from_id.substr(0, 8) + "  " + local_time(l.time_ns) + "  plan " + l.plan;
    if (l.already) std::printf("%s: %s has it already\n", head.c_str(), to.c_str());
    else if (l.to_id.empty()) print_warning(head + ": not copied: " + l.error);
    else {
      std::printf("%s: copied as %s (read %s, uploaded %s in %s new blobs)\n", head.c_str(), l.to_id.substr(0, 8).c_str(),
                  format_bytes(l.stats.bytes_read).c_str(), format_bytes(l.stats.bytes_uploaded).c_str(),
                  std::to_string(l.stats.blobs_new).c_str());
      if (!l.error.empty()) print_warning(head + ": " + l.error);
    }
  }
  if (out.json) {
    emit({{"type", "copy_summary"}, {"from", from}, {"to", to}, {"copied", copied}, {"already", already},
          {"failed", failed}, {"bytes_read", read}, {"bytes_uploaded", uploaded}});
  } else {
    std::printf("copied %zu checkpoints from %s to %s (%zu there already, %zu failed); read %s, uploaded %s\n", copied,
                from.c_str(), to.c_str(), already, failed, format_bytes(read).c_str(), format_bytes(uploaded).c_str());
  }
  bool any_error = std::any_of(lines.begin(), lines.end(), [](const auto& l) { return !l.error.empty(); });
  return any_error ? exit_failure : exit_ok;
}

}  // namespace cairn::cli
