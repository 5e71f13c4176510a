// Shared by the libFuzzer harnesses of tests/fuzz/: fixed test keys, and the
// one input convention every harness of a sealed format follows.
//
//   input = mode byte | body
//   mode bit 0: 0 = encryption none (no authentication: what an attacker who
//               can write to the target feeds the parser), 1 = AES-256-GCM
//               under the fixed test key below
//   mode bit 1: 0 = the harness seals `body` itself, so the parser behind the
//               AEAD (or checksum) sees the fuzzer's bytes; 1 = `body` goes
//               to the unsealing code as stored bytes
//
// Not thread-safe; libFuzzer runs one input at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/bytes.hpp"
#include "crypto/cipher.hpp"
#include "crypto/keys.hpp"
#include "crypto/key_slot.hpp"

namespace cairn::fuzz {

// The key of tests/data/format-v1-keyfile/cairn.key: golden key slots open
// with it, so the key-slot harness gets past the fingerprint to the unwrap.
inline constexpr std::string_view golden_keyfile_key = "d4IuYpjj8Z/ebXD1BwZkNrDCjM3WdZdCEEE676tKP8k=";
inline constexpr std::string_view golden_repository_id = "289c206f9000a4177f1a4470a4a9a06f";

// Repository keys derived from a fixed master secret (32 bytes of 0x42).
inline const crypto::key_ptr& test_keys() {
  static const crypto::key_ptr keys = [] {
    crypto::secret master(32);
    for (size_t i = 0; i < master.size(); ++i) master.data()[i] = 0x42;
    return crypto::derive_repository_keys(std::move(master));
  }();
  return keys;
}

inline crypto::credential golden_credential() {
  auto key = from_base64(golden_keyfile_key);
  return {crypto::slot_kind::keyfile, crypto::secret::copy_of(*key), "fuzz keyfile"};
}

// Inputs that reach a known crash whose fix is pending in another layer are
// skipped when CAIRN_FUZZ_SKIP_KNOWN=1 (scripts/fuzz sets it for its timed
// runs, not for --regressions), so the rest of the format stays fuzzed.
// Each skip names its input in tests/fuzz/regressions/.
inline bool skip_known() {
  static const bool skip = [] {
    const char* v = std::getenv("CAIRN_FUZZ_SKIP_KNOWN");
    return v && std::string_view(v) == "1";
  }();
  return skip;
}

struct input {
  crypto::encryption mode = crypto::encryption::none;
  bool stored = false;  // body is stored bytes, not a plaintext to seal
  byte_view body;
};

inline input split(const uint8_t* data, size_t size) {
  if (size == 0) return {};
  return {data[0] & 1 ? crypto::encryption::aes256gcm : crypto::encryption::none,
          (data[0] & 2) != 0, byte_view(data + 1, size - 1)};
}

// A write-only repository's keys with the private key (32 bytes of 0x24)
// and the writer secret of test_keys().
inline const crypto::key_ptr& test_write_only_keys() {
  static const crypto::key_ptr keys = [] {
    crypto::secret priv(32);
    for (size_t i = 0; i < priv.size(); ++i) priv.data()[i] = 0x24;
    auto pub = crypto::public_of(priv);
    return crypto::derive_write_only_keys(test_keys()->master, pub, std::move(priv));
  }();
  return keys;
}

inline crypto::object_cipher cipher_for(crypto::encryption mode) {
  if (mode == crypto::encryption::x25519) return crypto::object_cipher(mode, test_write_only_keys());
  return crypto::object_cipher(mode, mode == crypto::encryption::none ? nullptr : test_keys());
}

// The bytes a repository would store for this input: sealed body, or body.
inline byte_buffer stored_object(const input& in, std::string_view kind) {
  if (in.stored) return byte_buffer(in.body.begin(), in.body.end());
  return cipher_for(in.mode).seal_object(kind, in.body);
}

}  // namespace cairn::fuzz
