#include "cli/browse_commands.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>

#include "base/clock.hpp"
#include "cli/exit_codes.hpp"
#include "mount/fuse_mount.hpp"
#include "cli/render_browse.hpp"

namespace cairn::cli {

struct browse_commands {
  CLI::App* find = nullptr;
  CLI::App* history = nullptr;
  CLI::App* copy = nullptr;
  CLI::App* mount = nullptr;
  std::string mountpoint;
  uint64_t cache_mib = 64;
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
  b->mount = app.add_subcommand("mount", "Show checkpoints as a read-only file system (FUSE)");
  b->mount->add_option("mountpoint", b->mountpoint, "An existing, empty directory")->required()->option_text("MOUNTPOINT");
  b->mount->add_option("--plan", b->plan, "Only this plan")->option_text("P");
  b->mount->add_option("--target", b->target, "Only this target")->option_text("T");
  b->mount->add_option("--cache", b->cache_mib, "MiB of file data kept in memory (default 64)")->option_text("MIB");
  b->mount->footer("MOUNTPOINT/PLAN/TARGET/ holds one directory per checkpoint, named by its time (UTC),\n"
                   "latest, and by-id/ID. Files are read at any offset, fetching only the blobs a read needs.\n"
                   "Runs until fusermount3 -u MOUNTPOINT, Ctrl-C or SIGTERM. Example: cairn mount /mnt/cairn");
  return b;
}

namespace {

std::atomic<mount::fuse_mount*> running_mount{nullptr};

// The checkpoints of each (plan, target), with the target's repository.
expected<std::vector<mount::target_checkpoints>> mount_sources(service::application& a, const browse_commands& b) {
  const auto& suite = a.config();
  if (!b.plan.empty() && !suite.find_plan(b.plan))
    return fail(errc::invalid_input, "no plan named \"" + b.plan + "\" in " + suite.file.string());
  if (!b.target.empty() && !suite.find_target(b.target))
    return fail(errc::invalid_input, "no target named \"" + b.target + "\" in " + suite.file.string());
  CAIRN_ASSIGN(auto rows, a.checkpoints(b.plan, b.target));
  std::vector<mount::target_checkpoints> out;
  std::map<std::string, std::shared_ptr<repo::repository>> opened;
  for (auto& r : rows) {
    if (r.vanished) continue;
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& t) { return t.plan == r.plan && t.target == r.target; });
    if (it == out.end()) {
      if (!opened.count(r.target)) {
        CAIRN_ASSIGN(auto o, a.open_for_reading(r.target));
        opened[r.target] = o.repo;
      }
      out.push_back({r.plan, r.target, opened[r.target], {}});
      it = out.end() - 1;
    }
    it->rows.push_back(std::move(r));
  }
  if (out.empty()) return fail(errc::not_found, "there is no checkpoint to mount");
  return out;
}

}  // namespace

bool stop_running_mount() {
  auto* m = running_mount.load();
  if (!m) return false;
  m->stop();
  return true;
}

std::optional<int> run_browse_command(const browse_commands& b, const app_runner& with_app) {
  if (*b.find)
    return with_app([&](service::application& a, const output& out) {
      auto r = a.find(b.pattern, b.plan, b.target, [&](const service::found_line& f) { print_found(out, f); });
      if (!r) {
        print_error(out, r.error());
        return exit_code_of(r.error());
      }
      return print_find_summary(out, *r);
    });
  if (*b.history)
    return with_app([&](service::application& a, const output& out) {
      auto r = a.history(b.path, b.plan, b.target);
      if (!r) {
        print_error(out, r.error());
        return exit_code_of(r.error());
      }
      return print_history(out, *r);
    });
  if (*b.copy)
    return with_app([&](service::application& a, const output& out) {
      auto r = a.copy(b.from, b.to, b.checkpoints);
      if (!r) {
        print_error(out, r.error());
        return exit_code_of(r.error());
      }
      return print_copy(out, *r, b.from, b.to);
    });
  if (*b.mount)
    return with_app([&](service::application& a, const output& out) {
      auto sources = mount_sources(a, b);
      if (!sources) {
        print_error(out, sources.error());
        return exit_code_of(sources.error());
      }
      auto view = std::make_shared<mount::checkpoint_view>(std::move(*sources), b.cache_mib << 20, now_ns());
      auto m = mount::fuse_mount::create(view, b.mountpoint);
      if (!m) {
        print_error(out, m.error());
        return exit_code_of(m.error());
      }
      running_mount = m->get();
      std::fprintf(stderr, "cairn: mounted at %s; unmount with fusermount3 -u %s or Ctrl-C\n", b.mountpoint.c_str(),
                   b.mountpoint.c_str());
      auto st = (*m)->run();
      running_mount = nullptr;
      if (!st) {
        print_error(out, st.error());
        return exit_code_of(st.error());
      }
      return static_cast<int>(exit_ok);
    });
  return std::nullopt;
}

}  // namespace cairn::cli
