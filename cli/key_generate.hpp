// cairn key generate: a key pair for write-only backups. Needs no
// configuration, no repository and no actor system. Single-threaded.
#pragma once

#include <string>

#include "cli/render.hpp"

namespace cairn::cli {

// Writes the private key to `path` (0600, never over an existing file; with
// `passphrase`, sealed under one asked for) and prints the public key alone on
// stdout (JSON with --json), the advice on stderr. Returns the exit code.
int key_generate_command(const output& out, const std::string& path, bool passphrase);

}  // namespace cairn::cli
