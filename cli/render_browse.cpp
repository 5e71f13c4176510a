#include "cli/render_browse.hpp"

#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "cli/exit_codes.hpp"

namespace cairn::cli {

using json = nlohmann::json;

namespace {

void emit(const json& j) { std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n"; }

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
