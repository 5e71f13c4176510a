#include "cli/archive_commands.hpp"

#include <cstdio>

#include "cli/exit_codes.hpp"
#include "cli/render.hpp"
#include "cli/render_text.hpp"
#include "service/archive.hpp"

namespace cairn::cli {

struct archive_commands {
  CLI::App* exporter = nullptr;
  CLI::App* restore = nullptr;
  CLI::App* ls = nullptr;
  std::string spec, plan, target, to, resource, keyfile, passphrase_file;
  std::vector<std::string> paths;
  bool passphrase = false, plain = false;
  std::string archive_file, archive_passphrase_file;
};

void archive_commands_deleter::operator()(archive_commands* a) const { delete a; }

archive_commands_ptr add_archive_commands(CLI::App& app) {
  archive_commands_ptr a(new archive_commands);
  auto* e = a->exporter = app.add_subcommand("export", "Write a checkpoint (or parts) to one self-contained archive file");
  e->add_option("checkpoint", a->spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  e->add_option("--to", a->to, "The archive file (not replaced when it exists), or - for standard output")
    ->required()->option_text("FILE");
  e->add_option("--path", a->paths, "Only this file or subtree (repeatable): SOURCE/dir/file")->option_text("P");
  e->add_option("--resource", a->resource, "Only this application resource")->option_text("NAME");
  e->add_flag("--passphrase", a->passphrase,
              "Encrypt with a passphrase: CAIRN_ARCHIVE_PASSPHRASE, else asked twice on the terminal");
  e->add_option("--passphrase-file", a->passphrase_file, "Encrypt with the passphrase in this file (first line)")
    ->option_text("FILE");
  e->add_option("--keyfile", a->keyfile, "Encrypt with this keyfile (cairn's format; it opens the archive)")
    ->option_text("FILE");
  e->add_flag("--plain", a->plain, "Do not encrypt (sensitive parts of resources are then left out)");
  e->add_option("--plan", a->plan, "The plan for latest")->option_text("P");
  e->add_option("--target", a->target, "Read from this target")->option_text("T");
  e->footer("The archive holds the trees and the distinct blobs (zstd) the selection needs, each record\n"
            "sealed on its own (AES-256-GCM; Argon2id for a passphrase), and restores with no YAML,\n"
            "repository or catalog: cairn restore --archive FILE --to DIR (docs/RECOVERY.md).\n"
            "Example: cairn export latest --passphrase --to /media/usb/home.cairn");
  a->restore = app.get_subcommand("restore");
  a->restore->get_option("checkpoint")->required(false);
  a->restore->add_option("--archive", a->archive_file, "Restore from this archive file (cairn export) instead; "
                                                        "needs no YAML, repository or catalog")->option_text("FILE");
  a->restore->add_option("--passphrase-file", a->archive_passphrase_file,
                         "With --archive: the passphrase in this file (else CAIRN_ARCHIVE_PASSPHRASE or a prompt)")
    ->option_text("FILE");
  a->ls = app.get_subcommand("ls");
  a->ls->get_option("checkpoint")->required(false);
  a->ls->add_option("--archive", a->archive_file, "List this archive file instead (CHECKPOINT is then the PATH)")
    ->option_text("FILE");
  a->ls->add_option("--passphrase-file", a->archive_passphrase_file, "With --archive: the passphrase in this file")
    ->option_text("FILE");
  return a;
}

namespace {

int fail_with(const output& out, const error& e) {
  print_error(out, e);
  return exit_code_of(e);
}

std::string option_value(CLI::App* app, const char* name) {
  auto* o = app->get_option(name);
  return o->count() ? o->as<std::string>() : std::string();
}

int export_command(const archive_commands& a, const app_runner& with_app) {
  return with_app([&](service::application& app, const output& shown) {
    // With --to -, standard output is the archive: everything else goes to stderr.
    output out = shown;
    auto cp = app.resolve(a.spec, a.plan, a.target);
    if (!cp) return fail_with(out, cp.error());
    service::export_options o;
    o.paths = a.paths;
    o.resource = a.resource;
    o.to = a.to;
    o.key.plain = a.plain;
    o.key.passphrase = a.passphrase;
    o.key.passphrase_file = a.passphrase_file;
    o.key.keyfile = a.keyfile;
    auto r = service::export_archive(app, *cp, o);
    if (!r) return fail_with(out, r.error());
    const auto& rep = r->report;
    if (out.json && a.to != "-") {
      emit({{"type", "export"}, {"checkpoint", cp->row.id}, {"to", r->to}, {"encrypted", r->encrypted},
            {"files", rep.files}, {"bytes", rep.bytes}, {"trees", rep.trees}, {"blobs", rep.blobs},
            {"archive_bytes", rep.archive_bytes}, {"left_out", rep.left_out}});
      return int(exit_ok);
    }
    std::FILE* to = a.to == "-" ? stderr : stdout;
    for (const auto& p : rep.left_out)
      std::fprintf(to, "left out (sensitive, the archive is not encrypted): %s\n", printable(p).c_str());
    std::fprintf(to, "exported checkpoint %s: %s files (%s bytes) in %s bytes to %s, %s\n", cp->row.id.substr(0, 8).c_str(),
                 with_commas(rep.files).c_str(), with_commas(rep.bytes).c_str(), with_commas(rep.archive_bytes).c_str(),
                 a.to == "-" ? "standard output" : r->to.c_str(), r->encrypted ? "encrypted" : "NOT encrypted");
    return int(exit_ok);
  });
}

}  // namespace

std::optional<int> run_archive_command(const archive_commands& a, const app_runner& with_app, bool json,
                                       const std::string& keyfile) {
  if (*a.exporter) return export_command(a, with_app);
  bool restoring = a.restore->parsed(), listing = a.ls->parsed();
  if (!restoring && !listing) return std::nullopt;
  output out{json, false};
  CLI::App* cmd = restoring ? a.restore : a.ls;
  std::string first = option_value(cmd, "checkpoint");
  if (a.archive_file.empty()) {
    if (first.empty())
      return fail_with(out, error(errc::invalid_input, std::string(restoring ? "restore" : "ls") +
                                                         " needs CHECKPOINT, or --archive FILE"));
    return std::nullopt;  // the usual command
  }
  for (const char* other : {"--delete", "--dry-run", "--resource", "--load", "--plan", "--target", "--run-post-restore"})
    if (cmd->get_option_no_throw(other) && cmd->get_option_no_throw(other)->count())
      return fail_with(out, error(errc::invalid_input, std::string(other) + " does not go with --archive"));
  service::archive_key_options key;
  key.keyfile = keyfile;
  key.passphrase_file = a.archive_passphrase_file;
  auto reader = service::open_archive(a.archive_file, key);
  if (!reader) return fail_with(out, reader.error());
  for (const auto& d : (*reader)->info().damage) print_warning("archive: " + d);
  if (listing) {
    // `ls --archive FILE [PATH]`: the one positional given is the path.
    std::string path = first;
    if (auto second = option_value(cmd, "path"); !second.empty()) path = second;
    auto nodes = service::list_archive(**reader, path);
    if (!nodes) return fail_with(out, nodes.error());
    service::resolved_checkpoint cp;
    print_listing(out, cp, path, *nodes);
    if (path.empty() && !out.json && (*reader)->info().checkpoint)
      print_manifest((*reader)->info().checkpoint->resources, "");
    return (*reader)->info().damage.empty() ? int(exit_ok) : int(exit_partial);
  }
  if (!first.empty())
    return fail_with(out, error(errc::invalid_input, "restore --archive takes no CHECKPOINT (the archive holds one)"));
  std::string to = option_value(cmd, "--to");
  if (to.empty()) return fail_with(out, error(errc::invalid_input, "restore --archive needs --to DIR"));
  std::vector<std::string> paths;
  if (auto* o = cmd->get_option("--path"); o->count()) paths = o->as<std::vector<std::string>>();
  auto r = service::restore_archive(**reader, paths, to);
  if (!r) return fail_with(out, r.error());
  return print_restore(out, *r, to);
}

}  // namespace cairn::cli
