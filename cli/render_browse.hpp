// Rendering of the browsing commands (restore --dry-run, find, history,
// copy): human text and JSON lines. Single-threaded.
#pragma once

#include <string>

#include "actors/app.hpp"
#include "cli/render.hpp"

namespace cairn::cli {

// restore --dry-run: "+ path", "M path  (why)", "- path", then a summary. Exit 0.
int print_restore_preview(const output& out, const recovery::mirror_report& r, const std::string& to);

}  // namespace cairn::cli
