// The key of a single-file archive and how its records are sealed
// (docs/FORMAT.md, "Single-file archives"): a root key from a passphrase
// (Argon2id with the header's salt and parameters) or a keyfile (HKDF with the
// salt), repository-style subkeys from it, and one AES-256-GCM key for the
// archive (HKDF from the salt) with each record's sequence number as nonce.
// Plain archives carry a SHA-256 checksum per record instead (damage is found,
// nothing is authenticated). Not synchronized: one per reader or writer.
#pragma once
#include <memory>

#include "archive/archive_format.hpp"
#include "crypto/cipher.hpp"
#include "crypto/kdf.hpp"
#include "crypto/secret.hpp"

namespace cairn::archive {

// What a user gives to make or open an archive.
struct credential {
  protection kind = protection::plain;
  crypto::secret passphrase;  // the passphrase's bytes (kind passphrase)
  crypto::secret keyfile;     // the keyfile's key (kind keyfile)
  crypto::argon2_params kdf;  // for writing; a reader takes the header's
};

// The fingerprint of a keyfile's key, as key slots have it (not secret).
void keyfile_fingerprint(const crypto::secret& key, uint8_t out[8]);

class record_cipher {
public:
  // auth when the credential's kind is not the archive's, or a keyfile
  // whose fingerprint is not the header's.
  static expected<std::unique_ptr<record_cipher>> make(const header& h, const credential& c);
  byte_buffer seal(record_type type, uint64_t seq, byte_view plaintext);
  // corrupt when the tag or checksum does not match.
  expected<byte_buffer> open(record_type type, uint64_t seq, byte_view sealed);
  bool encrypted() const { return pack_ != nullptr; }

private:
  std::unique_ptr<crypto::pack_cipher> pack_;  // null: plain
};

}  // namespace cairn::archive
