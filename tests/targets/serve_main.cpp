// The serve loop of `cairn serve` (targets/remote_server.hpp) as a process of
// its own, for the targets tests, which link no layer above targets/:
//   serve_for_tests DIR [--append-only]
#include <signal.h>

#include <cstdio>
#include <cstring>

#include "targets/remote_server.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  ::signal(SIGPIPE, SIG_IGN);
  cairn::targets::local_target store(argv[1]);
  cairn::targets::serve_options o;
  o.append_only = argc > 2 && std::strcmp(argv[2], "--append-only") == 0;
  auto st = cairn::targets::serve(store, o);
  if (!st) std::fprintf(stderr, "serve_for_tests: %s\n", st.error().message().c_str());
  return st ? 0 : 1;
}
