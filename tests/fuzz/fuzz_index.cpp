// Index files, sealed as objects of kind "index"; what decodes is loaded into
// a blob_index, and every blob must come back with its first location exactly
// (the index packs locations into 14 bytes, or keeps them whole aside).
// Input (fuzz_support.hpp): mode byte | plaintext index file (or stored object).
#include <map>

#include "fuzz_support.hpp"
#include "repo/index.hpp"
#include "repo/repo_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto in = fuzz::split(data, size);
  auto object = fuzz::stored_object(in, repo::kind_index);
  auto plain = fuzz::cipher_for(in.mode).open_object(repo::kind_index, object);
  if (!plain) return 0;
  auto packs = repo::decode_index_file(*plain);
  if (!packs) return 0;
  repo::blob_index index;
  std::map<object_id, repo::blob_index::location> first;
  for (const auto& p : *packs) {
    if (index.has_pack(p.id)) continue;  // added once
    auto number = static_cast<uint32_t>(index.pack_count());
    for (const auto& b : p.blobs)
      first.try_emplace(b.id, repo::blob_index::location{number, b.offset, b.length, b.raw_length, b.type});
    index.add(p);
  }
  if (index.blob_count() != first.size()) __builtin_trap();
  for (const auto& [id, loc] : first)
    if (index.find(id) != loc) __builtin_trap();
  return 0;
}
