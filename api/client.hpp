// A client of the daemon's control API, for the CLI: one request over the
// Unix socket, the reply's status and body. Blocking; not synchronized.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace cairn::api {

struct client_reply {
  long status = 0;
  std::string body;
};

// not_found when no daemon listens on `socket`; io on other failures.
expected<client_reply> call(const std::filesystem::path& socket, const std::string& method, const std::string& path,
                            const std::string& body = "");

// The message of an error reply ({"error": {"message": ...}}), or the body.
std::string error_message(const client_reply& reply);

}  // namespace cairn::api
