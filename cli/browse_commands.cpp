#include "cli/browse_commands.hpp"

#include "cli/exit_codes.hpp"
#include "cli/render_browse.hpp"

namespace cairn::cli {

struct browse_commands {
  CLI::App* find = nullptr;
  CLI::App* history = nullptr;
  CLI::App* copy = nullptr;
  std::string pattern, path, plan, target;
  std::string from, to;
  std::vector<std::string> checkpoints;
};

void browse_commands_deleter::operator()(browse_commands* b) const { delete b; }

browse_commands_ptr add_browse_commands(CLI::App& app) {
  browse_commands_ptr b(new browse_commands);
  b->find = app.add_subcommand("find", "Find which checkpoints hold entries whose path matches a pattern");
  b->find->add_option("pattern", b->pattern, "A glob on SOURCE/dir/name: '*.pdf', 'docs/**/*.txt', '/src/a/*'")
    ->required()->option_text("PATTERN");
  b->find->add_option("--plan", b->plan, "Only checkpoints of this plan")->option_text("P");
  b->find->add_option("--target", b->target, "Search this target (default: the first in the YAML with checkpoints)")
    ->option_text("T");
  b->find->footer("'*' and '?' stay within one name, '**' spans directories; a pattern without a leading '/'\n"
                  "matches at any depth. Trees shared between checkpoints are read once.\n"
                  "Example: cairn find '*.pdf' --plan home");
  b->history = app.add_subcommand("history", "List every distinct version of a file or directory across checkpoints");
  b->history->add_option("path", b->path, "A path in the checkpoints: SOURCE/dir/name")->required()->option_text("PATH");
  b->history->add_option("--plan", b->plan, "Only checkpoints of this plan")->option_text("P");
  b->history->add_option("--target", b->target, "Of this target (default: the first in the YAML with checkpoints)")
    ->option_text("T");
  b->history->footer("One line per version (when it appeared, in how many checkpoints, size, content id);\n"
                     "restore one with: cairn restore CHECKPOINT --path PATH --to DIR.\n"
                     "Example: cairn history home/docs/cv.odt");
  b->copy = app.add_subcommand("copy", "Copy checkpoints from one target of the suite to another");
  b->copy->add_option("--from", b->from, "The target to copy from")->required()->option_text("T1");
  b->copy->add_option("--to", b->to, "The target to copy to")->required()->option_text("T2");
  b->copy->add_option("checkpoints", b->checkpoints, "Ids or unique prefixes (default: every checkpoint of T1)")
    ->option_text("CHECKPOINT...");
  b->copy->footer("Each target keeps its own keys: every blob is read from T1 (and verified) to learn its id\n"
                  "in T2, and only blobs T2 lacks are uploaded. A checkpoint is written after its data, and\n"
                  "one T2 holds already (same plan, host and time) is skipped, so running it again is safe.\n"
                  "Example: cairn copy --from usb --to nas");
  return b;
}

std::optional<int> run_browse_command(const browse_commands& b, const app_runner& with_app) {
  if (*b.find)
    return with_app([&](actors::application& a, const output& out) {
      auto r = a.find(b.pattern, b.plan, b.target, [&](const actors::found_line& f) { print_found(out, f); });
      if (!r) {
        print_error(out, r.error());
        return exit_code_of(r.error());
      }
      return print_find_summary(out, *r);
    });
  if (*b.history)
    return with_app([&](actors::application& a, const output& out) {
      auto r = a.history(b.path, b.plan, b.target);
      if (!r) {
        print_error(out, r.error());
        return exit_code_of(r.error());
      }
      return print_history(out, *r);
    });
  if (*b.copy)
    return with_app([&](actors::application& a, const output& out) {
      auto r = a.copy(b.from, b.to, b.checkpoints);
      if (!r) {
        print_error(out, r.error());
        return exit_code_of(r.error());
      }
      return print_copy(out, *r, b.from, b.to);
    });
  return std::nullopt;
}

}  // namespace cairn::cli
