#include "repo/compression.hpp"

#include <zstd.h>

#include "repo/repo_format.hpp"

namespace cairn::repo {

namespace {
struct cctx_deleter {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct dctx_deleter {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};
// Single-pass decompression writes into the caller's buffer, but a frame may
// still ask for a window; no blob needs one larger than the biggest blob.
ZSTD_DCtx* make_dctx() {
  auto* c = ZSTD_createDCtx();
  ZSTD_DCtx_setParameter(c, ZSTD_d_windowLogMax, 28);  // 256 MiB = max_tree_bytes
  return c;
}

}  // namespace

byte_buffer encode_blob(byte_view plaintext, int zstd_level) {
  thread_local std::unique_ptr<ZSTD_CCtx, cctx_deleter> ctx{ZSTD_createCCtx()};
  // Scratch space that is never zero-filled: that alone cost as much as a memcpy of the data.
  thread_local std::unique_ptr<uint8_t[]> scratch;
  thread_local size_t scratch_size = 0;
  size_t bound = ZSTD_compressBound(plaintext.size());
  if (scratch_size < bound) {
    scratch.reset(new uint8_t[bound]);
    scratch_size = bound;
  }
  size_t n = plaintext.empty() ? 0
                               : ZSTD_compressCCtx(ctx.get(), scratch.get(), bound, plaintext.data(),
                                                   plaintext.size(), zstd_level);
  bool raw = n == 0 || ZSTD_isError(n) || n >= plaintext.size();
  const uint8_t* payload = raw ? plaintext.data() : scratch.get();
  size_t size = raw ? plaintext.size() : n;
  byte_buffer out;
  out.reserve(1 + size);
  out.push_back(static_cast<uint8_t>(raw ? blob_encoding::raw : blob_encoding::zstd));
  out.insert(out.end(), payload, payload + size);
  return out;
}

namespace {

// The encoding byte and the claimed size, checked before anything is allocated.
expected<blob_encoding> check_blob(byte_view encoded, uint64_t expected_size) {
  if (expected_size > max_tree_bytes && expected_size > max_chunk_limit)
    return fail(errc::corrupt, "blob size " + std::to_string(expected_size) + " exceeds the format's limit");
  if (encoded.empty()) return fail(errc::corrupt, "empty blob");
  auto payload = encoded.subspan(1);
  switch (static_cast<blob_encoding>(encoded[0])) {
    case blob_encoding::raw:
      if (payload.size() != expected_size) return fail(errc::corrupt, "bad blob size");
      return blob_encoding::raw;
    case blob_encoding::zstd: {
      auto size = ZSTD_getFrameContentSize(payload.data(), payload.size());
      if (size == ZSTD_CONTENTSIZE_ERROR) return fail(errc::corrupt, "damaged compressed blob (frame header)");
      if (size != ZSTD_CONTENTSIZE_UNKNOWN && size != expected_size)
        return fail(errc::corrupt, "compressed blob claims " + std::to_string(size) + " bytes, expected " +
                                     std::to_string(expected_size));
      return blob_encoding::zstd;
    }
  }
  return fail(errc::corrupt, "unknown blob encoding");
}

// The output buffer is exactly expected_size (bounded by check_blob): zstd
// never writes past it, whatever the frame claims, and a frame without a
// content size cannot grow beyond it.
status decompress(byte_view payload, uint8_t* out, uint64_t expected_size) {
  thread_local std::unique_ptr<ZSTD_DCtx, dctx_deleter> ctx{make_dctx()};
  size_t n = ZSTD_decompressDCtx(ctx.get(), out, expected_size, payload.data(), payload.size());
  if (ZSTD_isError(n) || n != expected_size) return fail(errc::corrupt, "damaged compressed blob");
  return {};
}

}  // namespace

expected<byte_buffer> decode_blob(byte_view encoded, uint64_t expected_size) {
  CAIRN_ASSIGN(auto encoding, check_blob(encoded, expected_size));
  auto payload = encoded.subspan(1);
  if (encoding == blob_encoding::raw) return byte_buffer(payload.begin(), payload.end());
  byte_buffer out(expected_size);
  CAIRN_TRY(decompress(payload, out.data(), expected_size));
  return out;
}

expected<byte_view> decode_blob_into(byte_view encoded, uint64_t expected_size, scratch_buffer& scratch) {
  CAIRN_ASSIGN(auto encoding, check_blob(encoded, expected_size));
  auto payload = encoded.subspan(1);
  if (encoding == blob_encoding::raw) return payload;
  // check_blob bounded expected_size by the format's limits before this allocation.
  uint8_t* out = scratch.reserve(expected_size);
  CAIRN_TRY(decompress(payload, out, expected_size));
  return byte_view(out, expected_size);
}

}  // namespace cairn::repo
