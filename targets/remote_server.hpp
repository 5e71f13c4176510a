// The server side of the serve protocol (targets/remote_protocol.hpp): answers
// one client's requests, read from one descriptor and answered on another
// (`cairn serve`: stdin and stdout under an SSH forced command), from a
// repository in a local directory. Every frame is checked before it is acted
// on. One client per call; the store may be shared.
#pragma once

#include <optional>

#include "base/error.hpp"
#include "targets/local_target.hpp"

namespace cairn::targets {

struct serve_options {
  bool append_only = false;  // targets/append_only.hpp
  int in_fd = 0;
  int out_fd = 1;
  // Set when the repository cannot be served (its directory is missing):
  // the client's hello is answered with this error, and serving ends.
  std::optional<error> refuse;
};

// Serves until the client closes the stream (success) or the stream breaks or
// carries a frame past the protocol's bounds (the error, after telling the
// client when it still can).
status serve(local_target& store, const serve_options& options);

}  // namespace cairn::targets
