// Blob encoding: zstd, or raw when compression does not shrink the blob.
// Free functions; thread-safe (contexts are per thread).
#pragma once

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace cairn::repo {

// Returns [encoding byte][payload].
byte_buffer encode_blob(byte_view plaintext, int zstd_level);
// Inverse of encode_blob; corrupt on malformed input. `expected_size` bounds
// the output so a damaged blob cannot make us allocate without limit; callers
// bound it first by the format (repo_format.hpp), and larger ones are corrupt.
expected<byte_buffer> decode_blob(byte_view encoded, uint64_t expected_size);
// The same without a new buffer each time: a zstd blob is decompressed into
// `scratch`, reused and never zero-filled (zstd must write exactly
// expected_size bytes, or the blob is corrupt); a raw blob is its own
// payload. The view holds until `scratch` or `encoded` changes.
expected<byte_view> decode_blob_into(byte_view encoded, uint64_t expected_size, scratch_buffer& scratch);

}  // namespace cairn::repo
