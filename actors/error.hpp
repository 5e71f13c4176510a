// Conversion between cairn::error and caf::error at the actor boundary. The
// caf::error carries the code and the one-line message.
#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "base/error.hpp"

CAF_ERROR_CODE_ENUM(cairn::errc, "cairn")

namespace cairn::actors {

caf::error to_caf(const error& e);
// Any caf::error: ours keep code and message; CAF's own (timeouts, dead
// actors) become transient or io with a readable message.
error from_caf(const caf::error& e);

}  // namespace cairn::actors
