#include "repo/compression.hpp"

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_initStaticCCtx and its size (exported by libzstd 1.5)
#include <zstd.h>
#include <zstd_errors.h>

#include <memory>

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

// A context whose memory is made once per thread, for the level's parameters
// at the default largest chunk. A context made by ZSTD_createCCtx gives its
// tables back after 128 smaller inputs and makes them anew for the next large
// one: new memory, faulted in page by page (~15 us a page in a virtual
// machine), 9-14% of an initial backup's page faults.
class fixed_cctx {
public:
  ZSTD_CCtx* for_level(int level) {
    if (level != level_ || !ctx_) {
      size_t need = ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(level, default_max_chunk, 0));
      if (need > size_) {
        ctx_ = nullptr;
        memory_.reset(new uint8_t[need]);  // malloc's alignment is more than the 8 bytes zstd needs
        size_ = need;
      }
      ctx_ = ZSTD_initStaticCCtx(memory_.get(), size_);
      level_ = level;
    }
    return ctx_;
  }

private:
  std::unique_ptr<uint8_t[]> memory_;
  size_t size_ = 0;
  ZSTD_CCtx* ctx_ = nullptr;  // inside memory_
  int level_ = 0;
};

byte_buffer encode_blob(byte_view plaintext, int zstd_level) {
  thread_local fixed_cctx fixed;
  thread_local std::unique_ptr<ZSTD_CCtx, cctx_deleter> grown;  // for what needs more (a large tree)
  // Scratch space that is never zero-filled: that alone cost as much as a memcpy of the data.
  thread_local std::unique_ptr<uint8_t[]> scratch;
  thread_local size_t scratch_size = 0;
  size_t bound = ZSTD_compressBound(plaintext.size());
  if (scratch_size < bound) {
    scratch.reset(new uint8_t[bound]);
    scratch_size = bound;
  }
  auto compress = [&](ZSTD_CCtx* ctx) {
    return ZSTD_compressCCtx(ctx, scratch.get(), bound, plaintext.data(), plaintext.size(), zstd_level);
  };
  size_t n = 0;
  if (!plaintext.empty()) {
    ZSTD_CCtx* ctx = plaintext.size() <= default_max_chunk ? fixed.for_level(zstd_level) : nullptr;
    n = ctx ? compress(ctx) : 0;
    if (!ctx || ZSTD_getErrorCode(n) == ZSTD_error_memory_allocation) {  // a static context cannot grow
      if (!grown) grown.reset(ZSTD_createCCtx());
      n = grown ? compress(grown.get()) : 0;
    }
  }
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
