// Writes a file that holds a secret: created 0600 and exclusively (never over
// an existing file), synced, removed again if the write fails; `text` is wiped
// in every case. `what` names the file in messages ("keyfile", "private key").
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace cairn::crypto::detail {

status write_secret_file(const std::filesystem::path& path, std::string& text, std::string_view what);

}  // namespace cairn::crypto::detail
