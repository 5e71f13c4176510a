#include "cli/command_context.hpp"

#include <unistd.h>

#include <cstdlib>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"

namespace cairn::cli {

std::string config_path(const globals& g) {
  if (!g.config.empty()) return g.config;
  if (const char* env = std::getenv("CAIRN_CONFIG"); env && *env) return env;
  return "/etc/cairn/cairn.yaml";
}

int with_app(const globals& g, const app_command& fn) {
  output out{g.json, !g.quiet && !g.json && isatty(STDERR_FILENO)};
  service::app_options o;
  o.config_file = config_path(g);
  if (!g.keyfile.empty()) o.keyfile = g.keyfile;
  if (!g.private_key.empty()) o.private_key = g.private_key;
  o.ask_password = g.password;
  o.renderer = progress_line(out.progress);
  o.on_warning = print_warning;
  auto app = service::application::start(std::move(o));
  if (!app) {
    print_error(out, app.error());
    return exit_code_of(app.error());
  }
  running_app.set(app->get());
  // Cleared before the application is destroyed, however the command ends.
  struct clear_running {
    ~clear_running() { running_app.clear(); }
  } clear_first;
  return fn(**app, out);
}

void on_app_command(CLI::App* sub, context& ctx, app_command fn) {
  sub->callback([&ctx, fn = std::move(fn)] { ctx.action = [&ctx, fn] { return with_app(ctx.g, fn); }; });
}

}  // namespace cairn::cli
