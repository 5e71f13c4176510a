// Packs: salt | sealed blobs | sealed TOC | u32 TOC length | "CPK1".
// Input (fuzz_support.hpp): mode byte | body.
//   none, or stored: body is the whole pack (mode none stores the TOC and
//     blobs in the clear, so this is what an attacker's pack looks like).
//   AES-256-GCM, sealed: body = u16 TOC length (LE) | TOC plaintext | blob
//     bytes; the harness seals the TOC with the test key, so decode_toc sees
//     the fuzzer's bytes behind the AEAD.
// Every blob the TOC names is then opened (and decompressed in mode none), and
// the pack is read again through ranged reads (read_pack_record).
#include "crypto/id_hasher.hpp"
#include "fuzz_support.hpp"
#include "repo/pack.hpp"
#include "targets/memory_target.hpp"

namespace {

using namespace cairn;

byte_buffer build_pack(const fuzz::input& in, const crypto::object_cipher& cipher) {
  if (in.stored || in.mode == crypto::encryption::none) return {in.body.begin(), in.body.end()};
  if (in.body.size() < 2) return {};
  size_t toc_length = std::min<size_t>(in.body[0] | (in.body[1] << 8), in.body.size() - 2);
  auto toc = in.body.subspan(2, toc_length);
  auto blobs = in.body.subspan(2 + toc_length);
  byte_buffer pack(repo::pack_salt_size, 0x11);
  pack.insert(pack.end(), blobs.begin(), blobs.end());
  size_t toc_start = pack.size();
  cipher.for_pack(byte_view(pack).first(repo::pack_salt_size))
    ->seal(repo::toc_nonce, as_bytes(repo::kind_toc), toc, pack);
  byte_writer w(pack);
  w.u32(static_cast<uint32_t>(pack.size() - toc_start));
  w.u32(repo::pack_magic);
  return pack;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  auto cipher = fuzz::cipher_for(in.mode);
  auto pack = build_pack(in, cipher);
  auto id = crypto::sha256_of(pack);
  if (auto record = repo::parse_pack(pack, id, cipher)) {
    auto pc = cipher.for_pack(record->salt);
    crypto::id_hasher hasher(in.mode == crypto::encryption::none ? nullptr : fuzz::test_keys());
    for (const auto& blob : record->blobs)
      (void)repo::open_blob(*pc, blob, byte_view(pack).subspan(blob.offset, blob.length), hasher);
  }
  targets::memory_target target;
  if (target.put(repo::pack_name(id), pack))
    (void)repo::read_pack_record(target, id, pack.size(), cipher);
  return 0;
}
