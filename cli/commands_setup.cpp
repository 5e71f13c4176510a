// A suite's setup, without the application: bootstrap, config check|example.
#include "cli/command_context.hpp"

#include <iostream>

#include "service/config_commands.hpp"

namespace cairn::cli {

namespace {

struct bootstrap_args {
  service::bootstrap_request request;
  std::string state_dir, config_out, suite_file, identity, known_hosts;
};

int bootstrap_command(const globals& g, bootstrap_args o) {
  output out{g.json, false};
  auto& boot = o.request;
  boot.suite_file = o.suite_file;
  boot.identity = o.identity;
  boot.known_hosts = o.known_hosts;
  boot.state_dir = o.state_dir;
  boot.config_out = o.config_out;
  if (!g.keyfile.empty()) boot.keyfile = g.keyfile;
  if (!g.private_key.empty()) boot.private_key = g.private_key;
  boot.password = g.password;
  auto r = service::application::bootstrap(boot);
  if (!r) {
    print_error(out, r.error());
    return exit_code_of(r.error());
  }
  print_bootstrap(out, *r);
  return exit_ok;
}

int config_command(const globals& g, bool example) {
  if (example) {
    std::cout << service::example_config();
    return exit_ok;
  }
  output out{g.json, false};
  auto r = service::check_config(config_path(g));
  if (!r) {
    print_error(out, r.error());
    return exit_code_of(r.error());
  }
  print_config(out, config_path(g), *r);
  return exit_ok;
}

}  // namespace

void add_setup_commands(CLI::App& app, context& ctx) {
  auto o = std::make_shared<bootstrap_args>();
  auto* bootstrap = app.add_subcommand("bootstrap", "Recover the suite on a new machine from a target or a suite-state file");
  bootstrap->add_option("target", o->request.target_url,
                        "The target: a path, file:///path, sftp://user@host[:port]/path, ssh://user@host[:port]/path (cairn serve), s3://host[:port]/bucket[/prefix] "
                        "(s3+http:// for plain HTTP; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
    ->option_text("TARGET_URL");
  bootstrap->add_option("--suite-file", o->suite_file, "One suite-state object copied by hand (no target needed)")->option_text("FILE");
  bootstrap->add_option("--state-dir", o->state_dir, "Where to put the recovered catalog (must hold none)")->required()->option_text("DIR");
  bootstrap->add_option("--config-out", o->config_out, "Where to write the recovered YAML (default DIR/cairn.yaml)")->option_text("FILE");
  bootstrap->add_flag("--rebuild", o->request.rebuild, "No suite state: rebuild the catalog from the checkpoints");
  bootstrap->add_option("--identity", o->identity, "sftp://, ssh://: the private key")->option_text("FILE");
  bootstrap->add_option("--known-hosts", o->known_hosts, "sftp://, ssh://: known_hosts (default ~/.ssh/known_hosts)")->option_text("FILE");
  bootstrap->footer("Examples: cairn bootstrap /mnt/usb/cairn --keyfile cairn.key --state-dir /var/lib/cairn\n"
                    "          cairn bootstrap --suite-file suite-state --password --state-dir /var/lib/cairn");
  bootstrap->callback([&ctx, o] { ctx.action = [&ctx, o] { return bootstrap_command(ctx.g, *o); }; });
}

// After the browsing commands, as `cairn --help` has always listed them.
void add_config_commands(CLI::App& app, context& ctx) {
  auto* config_cmd = app.add_subcommand("config", "Check the configuration, or print a commented example");
  config_cmd->require_subcommand(1);
  auto* check = config_cmd->add_subcommand(
    "check", "Validate the YAML and print the effective configuration: defaults filled in, no secrets");
  check->footer("A wrong file gets one line naming file:line:col and exit code 2.\n"
                "Example: cairn -c /etc/cairn/cairn.yaml config check");
  check->callback([&ctx] { ctx.action = [&ctx] { return config_command(ctx.g, false); }; });
  auto* example = config_cmd->add_subcommand("example", "Print a commented starting configuration");
  example->footer("Example: cairn config example > cairn.yaml && cairn -c cairn.yaml config check");
  example->callback([&ctx] { ctx.action = [&ctx] { return config_command(ctx.g, true); }; });
}

}  // namespace cairn::cli
