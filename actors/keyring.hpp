// The keyring actor: opens keys in the configured mode (none, keyfile,
// password) and hands out key material as key_ptr. Detached: it may block on
// a password prompt. The credential is read once and kept in locked memory.
#pragma once

#include <optional>

#include "actors/protocol/keyring.hpp"
#include "config/suite_config.hpp"

namespace cairn::actors {

struct keyring_options {
  config::keyring_config config;
  // From the command line: open through this slot kind instead of the mode.
  std::optional<std::filesystem::path> keyfile;
  bool ask_password = false;
};

struct keyring_state {
  static inline const char* name = "keyring";
  keyring_options options;
  std::optional<crypto::credential> credential;
};

keyring_actor::behavior_type keyring(keyring_actor::stateful_pointer<keyring_state> self,
                                     keyring_options options);

// Reads the credential the options name (exposed for tests).
expected<crypto::credential> load_credential(const keyring_options& options, bool creating);

}  // namespace cairn::actors
