// Rendering of the browsing commands (restore --dry-run, find, history,
// copy): human text and JSON lines. Single-threaded.
#pragma once

#include <string>

#include "service/application.hpp"
#include "cli/render.hpp"

namespace cairn::cli {

// restore --dry-run: "+ path", "M path  (why)", "- path", then a summary. Exit 0.
int print_restore_preview(const output& out, const recovery::mirror_report& r, const std::string& to);

// cairn find: a heading per checkpoint (the matches come newest checkpoint
// first), then one line per match; `found` JSON objects.
void print_found(const output& out, const service::found_line& f);
// Exit 3 when a checkpoint could not be searched.
int print_find_summary(const output& out, const service::find_summary& s);
// cairn history: one line per version, oldest first. Exit 3 when a checkpoint could not be read.
int print_history(const output& out, const service::history_report& r);

// cairn copy: one line per checkpoint and a summary. Exit 1 when one failed.
int print_copy(const output& out, const std::vector<service::copy_line>& lines, const std::string& from,
               const std::string& to);

}  // namespace cairn::cli
