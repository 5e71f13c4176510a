// Computes content ids: HMAC-SHA-256 under the repository's id key in encrypted
// modes (the target cannot confirm that a known file is stored), plain SHA-256
// in mode `none`. One instance per thread: not synchronized; clone() is cheap.
#pragma once

#include <memory>
#include <string>

#include "base/id.hpp"
#include "crypto/keys.hpp"

namespace cairn::crypto {

class id_hasher {
public:
  // keys == nullptr: plain SHA-256.
  explicit id_hasher(key_ptr keys);
  ~id_hasher();
  id_hasher(id_hasher&&) noexcept;
  id_hasher& operator=(id_hasher&&) noexcept;

  object_id id_of(byte_view data);
  id_hasher clone() const { return id_hasher(keys_); }
  bool keyed() const { return keys_ != nullptr; }

private:
  struct impl;
  key_ptr keys_;
  std::unique_ptr<impl> impl_;
};

// SHA-256 of data: names of stored objects (packs, index files, checkpoints).
object_id sha256_of(byte_view data);

// MD5 of data, base64: the Content-MD5 header S3 demands of Object Lock
// uploads (a transfer check there, never a security property).
std::string content_md5(byte_view data);

// Incremental SHA-256, for hashing a pack while it is built.
class sha256_stream {
public:
  sha256_stream();
  ~sha256_stream();
  void update(byte_view data);
  object_id finish();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cairn::crypto
