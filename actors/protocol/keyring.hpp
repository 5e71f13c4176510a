// Keyring protocol: the only actor that reads key files, asks for passwords or
// (later) talks to the TPM. Key material travels only as crypto::key_ptr.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <filesystem>
#include <optional>

#include "actors/protocol/atoms.hpp"
#include "crypto/cipher.hpp"
#include "crypto/key_slot.hpp"
#include "crypto/keys.hpp"
#include "recovery/suite_state.hpp"

namespace cairn {

struct unlock_request {
  std::string target;                  // for messages
  std::string repository_id;
  crypto::encryption encryption = crypto::encryption::aes256gcm;
  std::vector<crypto::key_slot> slots;
  // Write-only repositories: the header's public key (none for a suite state,
  // whose keyring takes it from the configuration or the private key).
  std::optional<crypto::public_key> public_key;
};

// A repository's keys; null for encryption none. Never serialized or printed.
struct key_handle {
  crypto::key_ptr keys;
  std::string slot;  // the id of the key slot that opened them
};

// A new key slot for an open repository: a keyfile (created 0600 when
// missing), a password (asked twice) or this machine's TPM.
struct slot_request {
  std::string repository_id;
  crypto::key_ptr keys;
  crypto::slot_kind kind = crypto::slot_kind::keyfile;
  std::filesystem::path keyfile;  // kind keyfile
};

struct new_keys {
  crypto::encryption encryption = crypto::encryption::aes256gcm;
  crypto::key_ptr keys;
  std::vector<crypto::key_slot> slots;
};

// The suite-state backup of one repository, to be sealed with its keys.
struct suite_seal_request {
  recovery::suite_state_header header;
  std::shared_ptr<const recovery::suite_payload> payload;
  crypto::key_ptr keys;
};

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::unlock_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::suite_seal_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::key_handle)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::new_keys)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::slot_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::crypto::key_slot)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_keyring, ::cairn::ids::keyring)
  CAF_ADD_TYPE_ID(cairn_keyring, (cairn::unlock_request))
  CAF_ADD_TYPE_ID(cairn_keyring, (cairn::key_handle))
  CAF_ADD_TYPE_ID(cairn_keyring, (cairn::new_keys))
  CAF_ADD_TYPE_ID(cairn_keyring, (cairn::slot_request))
  CAF_ADD_TYPE_ID(cairn_keyring, (cairn::crypto::key_slot))
  CAF_ADD_TYPE_ID(cairn_keyring, (cairn::suite_seal_request))
CAF_END_TYPE_ID_BLOCK(cairn_keyring)

namespace cairn {

using keyring_actor = caf::typed_actor<
  // Opens a repository's master key through the configured credential.
  caf::replies_to<atom::unlock, unlock_request>::with<key_handle>,
  // Makes a master key and its key slots for a new repository (the argument is its id).
  caf::replies_to<atom::create, std::string>::with<new_keys>,
  // Makes one more key slot for an open repository (key add, key passwd).
  caf::replies_to<atom::add, slot_request>::with<crypto::key_slot>,
  // Seals the suite-state backup for one repository (every slot of it opens it).
  caf::replies_to<atom::seal, suite_seal_request>::with<chunk_ptr>>;

}  // namespace cairn
