// cairn serve: the repository in a local directory, served over standard
// input and output with the serve protocol (targets/remote_server.hpp), for an
// SSH forced command. Needs no configuration, no keys and no actor system;
// runs on the caller's thread until the client leaves.
#pragma once

#include <filesystem>

#include "base/error.hpp"

namespace cairn::service {

struct serve_request {
  std::filesystem::path dir;  // must exist
  bool append_only = false;   // create objects, never delete or replace them (locks aside)
};

// Serves one client on stdin/stdout. A missing directory is told to the
// client (and returned); success when the client closes the connection.
status serve(const serve_request& request);

}  // namespace cairn::service
