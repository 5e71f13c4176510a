// Key slots: key list, add, remove, passwd, and key generate (no configuration).
#include "cli/command_context.hpp"

#include "cli/key_generate.hpp"

namespace cairn::cli {

namespace {

struct key_args {
  std::string target, slot, new_keyfile, private_key;
  bool add_password = false, add_tpm = false, passphrase = false;
};

}  // namespace

void add_keys_commands(CLI::App& app, context& ctx) {
  auto o = std::make_shared<key_args>();
  auto* key = app.add_subcommand("key", "Manage key slots: each one is a way to open the repositories");
  key->require_subcommand(1);
  key->footer("Every way to open a repository is a key slot wrapping its master key; adding or\n"
              "removing one rewrites only the repository header, never the data.");

  auto* list = key->add_subcommand("list", "List the key slots of every target");
  list->add_option("--target", o->target, "Only this target")->option_text("T");
  list->footer("Example: cairn key list");
  on_app_command(list, ctx, [o](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.key_list(o->target);
    if (failed(out, r, code)) return code;
    print_keys(out, *r);
    return code;
  });

  auto* add = key->add_subcommand("add", "Add a key slot (keyfile, password or this machine's TPM)");
  auto* kf = add->add_option("--keyfile", o->new_keyfile, "A keyfile (created 0600 when missing)")->option_text("PATH");
  auto* pw = add->add_flag("--password", o->add_password, "A password (CAIRN_NEW_PASSWORD or asked twice)");
  auto* tp = add->add_flag("--tpm", o->add_tpm, "This machine's TPM (keyring.tcti, keyring.pcrs)");
  kf->excludes(pw)->excludes(tp);
  pw->excludes(tp);
  add->add_option("--target", o->target, "Only this target")->option_text("T");
  add->footer("Examples: cairn key add --keyfile /media/usb/cairn-spare.key\n"
              "          cairn --keyfile recovery.key key add --tpm    (re-seal on new hardware)");
  on_app_command(add, ctx, [o](service::application& a, const output& out) {
    int code = exit_ok;
    if (o->new_keyfile.empty() && !o->add_password && !o->add_tpm) {
      print_error(out, error{errc::invalid_input, "key add needs --keyfile PATH, --password or --tpm"});
      return static_cast<int>(exit_usage);
    }
    auto kind = o->add_tpm ? crypto::slot_kind::tpm
                : o->add_password ? crypto::slot_kind::password : crypto::slot_kind::keyfile;
    auto r = a.key_add(o->target, kind, o->new_keyfile);
    if (failed(out, r, code)) return code;
    print_keys(out, *r);
    return code;
  });

  auto* remove = key->add_subcommand("remove", "Remove a key slot (never the last one, nor the one in use)");
  remove->add_option("slot", o->slot, "The slot id from cairn key list")->required()->option_text("SLOT");
  remove->add_option("--target", o->target, "Only this target")->option_text("T");
  remove->footer("Example: cairn --keyfile recovery.key key remove 3fa2c01b");
  on_app_command(remove, ctx, [o](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.key_remove(o->target, o->slot);
    if (failed(out, r, code)) return code;
    print_keys(out, *r);
    return code;
  });

  auto* generate = key->add_subcommand(
    "generate", "Make a key pair for write-only backups: the private key to a file, the public key printed");
  generate->add_option("--private-key", o->private_key, "Where to write the private key (0600, never overwritten)")
    ->required()
    ->option_text("FILE");
  generate->add_flag("--passphrase", o->passphrase,
                     "Protect the private key with a passphrase (CAIRN_NEW_PASSWORD or asked twice)");
  generate->footer("Example: cairn key generate --private-key /media/usb/cairn-private.key --passphrase\n"
                   "Needs no configuration. Keep the private key off the machines that back up.");
  generate->callback([&ctx, o] {
    ctx.action = [&ctx, o] { return key_generate_command(output{ctx.g.json, false}, o->private_key, o->passphrase); };
  });

  auto* passwd = key->add_subcommand("passwd", "Change the password of a password slot");
  passwd->add_option("slot", o->slot, "The slot id from cairn key list")->required()->option_text("SLOT");
  passwd->add_option("--target", o->target, "Only this target")->option_text("T");
  passwd->footer("Example: cairn --password key passwd 3fa2c01b");
  on_app_command(passwd, ctx, [o](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.key_passwd(o->target, o->slot);
    if (failed(out, r, code)) return code;
    print_keys(out, *r);
    return code;
  });
}

}  // namespace cairn::cli
