// cairn serve: a repository for other machines, behind an SSH forced command.
#include "cli/command_context.hpp"

#include <signal.h>

#include <iostream>

#include "service/serve.hpp"

namespace cairn::cli {

namespace {

struct serve_args {
  std::string dir;
  bool append_only = false;
};

int serve_command(const serve_args& a) {
  // A client that leaves mid-reply ends the write with EPIPE, not the process with a signal.
  ::signal(SIGPIPE, SIG_IGN);
  auto st = service::serve({a.dir, a.append_only});
  if (st) return exit_ok;
  std::cerr << "cairn serve: " << st.error().message() << "\n";
  return exit_code_of(st.error());
}

}  // namespace

void add_serve_commands(CLI::App& app, context& ctx) {
  auto a = std::make_shared<serve_args>();
  auto* serve = app.add_subcommand("serve", "Serve a repository directory over stdin/stdout to cairn on another "
                                            "machine (an ssh target), for an SSH forced command");
  serve->add_option("dir", a->dir, "The directory that holds (or will hold) the repository")->required()->option_text("DIR");
  serve->add_flag("--append-only", a->append_only,
                  "Create objects, never delete or replace them (locks aside), whatever the client asks");
  serve->footer("In ~/.ssh/authorized_keys of the server's backup account:\n"
                "  command=\"cairn serve --append-only /srv/cairn\",restrict ssh-ed25519 AAAA... laptop\n"
                "and on the laptop a target {url: ssh://backup@nas/srv/cairn, identity: /etc/cairn/id_ed25519}.");
  serve->callback([&ctx, a] { ctx.action = [a] { return serve_command(*a); }; });
}

}  // namespace cairn::cli
