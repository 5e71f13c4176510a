// `cairn ui`: asks the running daemon (over its Unix socket, which checks the
// caller) for a one-time login URL to the web dashboard, and prints it.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "api/client.hpp"
#include "cli/daemon.hpp"
#include "cli/exit_codes.hpp"
#include "config/suite_config.hpp"

namespace cairn::cli {

int ask_daemon_for_ui(const std::string& config_file, const output& out) {
  auto fail_with = [&](const error& e) {
    print_error(out, e);
    return exit_code_of(e);
  };
  auto suite = config::load_config(config_file);
  if (!suite) return fail_with(suite.error());
  auto reply = api::call(suite->api.socket, "POST", "/v1/web/token");
  if (!reply) return fail_with(error(reply.error().code(), reply.error().message() + " (start it with cairn daemon)"));
  if (reply->status != 200) return fail_with(error(errc::invalid_input, api::error_message(*reply)));
  auto j = nlohmann::json::parse(reply->body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("url") || !j["url"].is_string())
    return fail_with(error(errc::io, "the daemon's reply is not the expected JSON: " + reply->body));
  std::string url = j["url"].get<std::string>();
  long seconds = j.value("expires_in_seconds", 0L);
  if (out.json)
    std::printf("%s\n", nlohmann::json{{"type", "ui"}, {"url", url}, {"expires_in_seconds", seconds}}.dump().c_str());
  else
    std::printf("%s\nOpen it in a browser on this machine within %ld s; it works once.\n", url.c_str(), seconds);
  return exit_ok;
}

}  // namespace cairn::cli
