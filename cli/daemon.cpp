#include "cli/daemon.hpp"

#include <grp.h>

#include <mutex>

#include <nlohmann/json.hpp>

#include "api/client.hpp"
#include "api/control_api.hpp"
#include "api/web_front.hpp"
#include "service/json.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "base/clock.hpp"
#include "cli/log.hpp"
#include "cli/systemd_notify.hpp"

namespace cairn::cli {

extern std::atomic<bool> daemon_running;

namespace {

// The control API on the suite's socket: root, this user and api.group.
expected<std::unique_ptr<api::http_server>> serve(service::application& app, api::http_handler handler,
                                                  const output& out) {
  const auto& suite = app.config();
  api::server_options o;
  o.socket = suite.api.socket;
  if (!suite.api.group.empty()) {
    struct group* g = ::getgrnam(suite.api.group.c_str());
    if (!g) return fail(errc::invalid_input, suite.file.string() + ": api group \"" + suite.api.group + "\" does not exist");
    o.group = g->gr_gid;
  }
  o.allowed = [group = o.group](const api::peer& p) { return api::default_allowed(p, group); };
  std::error_code ec;
  std::filesystem::create_directories(o.socket.parent_path(), ec);
  auto server = api::http_server::start(std::move(o), std::move(handler));
  if (server) print_daemon_event(out, "serving the control API on " + suite.api.socket.string(), log_level::debug);
  return server;
}

// The web dashboard on api.web (a warning when it is not loopback-only).
expected<std::unique_ptr<api::http_server>> serve_web(service::application& app, api::web_front& web, const output& out) {
  const auto& where = *app.config().api.web;
  auto server = api::serve_web(where, web);
  if (!server) return server;
  print_daemon_event(out, "serving the web dashboard on http://" + where.authority() + "/ (cairn ui prints a login URL)");
  if (!where.loopback)
    print_daemon_event(out, "warning: the web dashboard listens on " + where.host +
                              ", not only on loopback: other machines can reach it, over plain HTTP");
  return server;
}

std::filesystem::path socket_of(const std::string& config_file) {
  auto suite = config::load_config(config_file);
  return suite ? suite->api.socket : std::filesystem::path();
}

}  // namespace

// Runs the daemon until SIGTERM/SIGINT; SIGHUP reloads the configuration (a
// configuration that does not load is reported and the old one kept).
int run_daemon(const daemon_options& g) {
  output out{g.json, false};
  // JSON lines stay on stdout for the program reading them.
  use_journal(!g.json && journal_connected());
  service::app_options o;
  o.config_file = g.config_file;
  if (!g.keyfile.empty()) o.keyfile = g.keyfile;
  o.ask_password = g.password;
  o.background = true;
  auto app = service::application::start(o);
  if (!app) {
    print_error(out, app.error());
    return exit_code_of(app.error());
  }
  service::daemon_callbacks callbacks;
  api::control_api* serving = nullptr;  // the API of the application running now
  callbacks.on_run = [out, &serving](const plan_report& r) {
    print_daemon_run(out, r);
    if (serving) serving->publish_run(r);
  };
  callbacks.on_next = [out](const next_run& n) { print_next_run(out, n); };
  callbacks.on_forget = [out](const expected<std::vector<service::forget_line>>& r) {
    if (!r) return print_error(out, r.error());
    // The daemon's log names what it forgot, not every checkpoint it kept.
    std::vector<service::forget_line> forgotten;
    for (const auto& l : *r)
      if (!l.keep || !l.error.empty()) forgotten.push_back(l);
    if (!forgotten.empty()) print_forget(out, forgotten, false);
    std::fflush(stdout);
  };
  callbacks.on_prune = [out](const expected<std::vector<service::prune_line>>& r) {
    if (!r) print_error(out, r.error());
    else print_prune(out, *r, false);
    std::fflush(stdout);
  };
  service::application* current = nullptr;  // the application serving now (for STATUS)
  std::mutex current_mutex;
  systemd_notifier systemd([&]() -> std::string {
    std::lock_guard lock(current_mutex);
    if (!current) return "";
    auto live = current->live();
    if (!live) return "waiting for the next scheduled run";
    const auto& p = live->progress;
    std::string line = live->plan + ": " + (p.phase.empty() ? "running" : p.phase) + ", " +
                       format_bytes(p.done.bytes) + (p.total.bytes ? " of " + format_bytes(p.total.bytes) : "") +
                       " read, " + format_bytes(p.done.bytes_uploaded) + " uploaded";
    if (p.eta_seconds >= 0) line += ", about " + std::to_string(static_cast<long>(p.eta_seconds)) + " s left";
    return line;
  });
  api::web_sessions web_sessions;  // logins survive a reload
  print_daemon_event(out, "started with " + o.config_file.string());
  daemon_running = true;
  for (;;) {
    running_app.set(app->get());
    api::control_api control(**app);
    auto forward = [&control](const api::http_request& r) { return control.handle(r); };
    std::unique_ptr<api::web_front> web;
    if (const auto& where = (*app)->config().api.web) web = std::make_unique<api::web_front>(*where, web_sessions, forward);
    auto server = serve(**app, [&](const api::http_request& r) {
      if (r.path != "/v1/web/token") return control.handle(r);
      return r.method != "POST" ? api::error_response(405, "method_not_allowed", "use POST")
                                : web ? web->issue_token(r) : api::web_is_off();
    }, out);
    expected<std::unique_ptr<api::http_server>> web_server = std::unique_ptr<api::http_server>();
    if (web && server) web_server = serve_web(**app, *web, out);
    if (!server || (web && !web_server)) {
      running_app.clear();
      print_error(out, server ? web_server.error() : server.error());
      return exit_code_of(server ? web_server.error() : server.error());
    }
    serving = &control;
    {
      std::lock_guard lock(current_mutex);
      current = app->get();
    }
    systemd.ready();
    auto r = (*app)->daemon(callbacks);
    {
      std::lock_guard lock(current_mutex);
      current = nullptr;
    }
    serving = nullptr;
    control.close_streams();
    server->reset();  // waits for the API's connections to end
    if (web_server) web_server->reset();
    running_app.clear();
    if (!r) {
      print_error(out, r.error());
      return exit_code_of(r.error());
    }
    if (!*r) break;
    systemd.reloading();
    auto next = service::application::start(o);
    if (!next) {
      print_error(out, next.error());
      print_daemon_event(out, "kept the previous configuration");
      continue;
    }
    app = std::move(next);
    print_daemon_event(out, "reloaded " + o.config_file.string());
  }
  print_daemon_event(out, "stopped");
  return exit_ok;
}


namespace {

// POSTs to the daemon's API. not_found: no daemon listens; invalid_input: the
// API said 404 (an unknown plan, or one that is not running); io: the rest.
expected<nlohmann::json> post_to_daemon(const std::string& config_file, const std::string& path) {
  auto socket = socket_of(config_file);
  if (socket.empty()) return fail(errc::not_found, "no cairn daemon runs");
  CAIRN_ASSIGN(auto reply, api::call(socket, "POST", path));
  if (reply.status >= 300)
    return fail(reply.status == 404 ? errc::invalid_input : errc::io, api::error_message(reply));
  auto j = nlohmann::json::parse(reply.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(errc::io, "the daemon's reply is not JSON: " + reply.body);
  return j;
}

int failed_with(const output& out, const error& e) {
  print_error(out, e);
  return exit_code_of(e);
}

}  // namespace

std::optional<int> ask_daemon_to_run(const std::string& config_file, const std::string& plan, const output& out) {
  auto j = post_to_daemon(config_file, "/v1/plans/" + plan + "/run");
  if (!j && j.error().code() == errc::not_found) return std::nullopt;  // no daemon: the caller runs it
  if (!j) return failed_with(out, j.error());
  std::string state = j->value("state", "");
  if (out.json) std::printf("%s\n", nlohmann::json{{"type", "run"}, {"plan", plan}, {"state", state}}.dump().c_str());
  else std::printf("%s: %s by the daemon (cairn status shows its progress)\n", plan.c_str(),
                   state == "queued" ? "queued" : state == "running" ? "already running" : "started");
  return exit_ok;
}

int ask_daemon_to_cancel(const std::string& config_file, const std::string& plan, const output& out) {
  auto j = post_to_daemon(config_file, "/v1/plans/" + plan + "/cancel");
  if (!j) return failed_with(out, j.error());
  bool cancelled = j->value("cancelled", false);
  if (out.json) std::printf("%s\n", nlohmann::json{{"type", "cancel"}, {"plan", plan}, {"cancelled", cancelled}}.dump().c_str());
  else std::printf("%s: %s\n", plan.c_str(), cancelled ? "cancelled (nothing half-written is kept; the next run reuses what was uploaded)"
                                                      : "not running");
  return cancelled ? exit_ok : exit_failure;
}

int ask_daemon_to(const std::string& config_file, const std::string& verb, const std::string& plan, const output& out) {
  auto j = post_to_daemon(config_file, plan.empty() ? "/v1/" + verb : "/v1/plans/" + plan + "/" + verb);
  if (!j) return failed_with(out, j.error());
  std::string why = j->value("why", "");
  if (out.json) std::printf("%s\n", nlohmann::json{{"type", verb}, {"plan", plan}, {"paused", !why.empty()}, {"why", why}}.dump().c_str());
  else std::printf("%s%s\n", plan.empty() ? "daemon: " : (plan + ": ").c_str(),
                   why.empty() ? "running" : ("paused (" + why + ")").c_str());
  return exit_ok;
}

std::optional<service::live_run> daemon_live_run(const service::application& app) {
  auto reply = api::call(app.config().api.socket, "GET", "/v1/runs/current");
  if (!reply || reply->status != 200) return std::nullopt;
  return service::live_run_from_json(nlohmann::json::parse(reply->body, nullptr, false));
}

}  // namespace cairn::cli
