// The keyring actor: the only part of the program that reads key files, asks
// for passwords or talks to the TPM. Opens keys in the configured mode (none,
// keyfile, password, tpm) or through a slot named on the command line, makes
// the key slots of new repositories and single new slots (key add). Detached:
// it may block on a prompt or the TPM. Credentials are read once and kept in
// locked memory.
#pragma once

#include <optional>

#include "actors/protocol/keyring.hpp"
#include "config/suite_config.hpp"
#include "crypto/tpm.hpp"

namespace cairn::actors {

struct keyring_options {
  config::keyring_config config;
  std::filesystem::path state_dir;  // tpm mode keeps its sealed key here too
  // From the command line: open through this slot kind instead of the mode.
  std::optional<std::filesystem::path> keyfile;
  bool ask_password = false;
  // Write-only repositories: open them with this private key (cairn
  // --private-key FILE), passphrase from CAIRN_PRIVATE_KEY_PASSPHRASE or asked.
  std::optional<std::filesystem::path> private_key;
};

// Where a write-only machine keeps its writer key (0600): it opens the
// keyfile slot that wraps each repository's writer secret.
std::filesystem::path writer_key_file(const std::filesystem::path& state_dir);

struct keyring_state {
  static inline const char* name = "keyring";
  keyring_options options;
  std::optional<crypto::credential> credential;  // keyfile, password or the override
  std::optional<crypto::credential> tpm;         // this machine's unsealed TPM secret
  std::optional<crypto::tpm_sealed> tpm_sealed;  // and its sealed form
  std::optional<crypto::secret> new_password;    // asked once for key add/passwd on every target
  std::optional<crypto::credential> private_key; // --private-key, opened once
};

keyring_actor::behavior_type keyring(keyring_actor::stateful_pointer<keyring_state> self,
                                     keyring_options options);

// A new passphrase (cairn key generate --passphrase): CAIRN_NEW_PASSWORD, else
// asked twice on the terminal. auth when none can be had or they differ.
expected<crypto::secret> ask_new_passphrase(const char* question);

// Reads the credential the options name (exposed for tests).
expected<crypto::credential> load_credential(const keyring_options& options, bool creating);

}  // namespace cairn::actors
