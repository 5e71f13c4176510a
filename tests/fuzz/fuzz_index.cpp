// Index files, sealed as objects of kind "index"; what decodes is loaded into
// a blob_index, and every blob must come back with its first location exactly
// (the index packs locations into 14 bytes, or keeps them whole aside). A
// second index loads the same in a bulk load, as opening a repository does:
// there the lowest (pack, offset, length, raw length, type) of an id stays
// (the first, unless one pack names a blob twice).
// Input (fuzz_support.hpp): mode byte | plaintext index file (or stored object).
#include <map>
#include <tuple>

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
  repo::blob_index index, bulk;
  bulk.bulk_load(true);
  std::map<object_id, repo::blob_index::location> first, lowest;
  for (const auto& p : *packs) {
    if (index.has_pack(p.id)) continue;  // added once
    auto number = static_cast<uint32_t>(index.pack_count());
    for (const auto& b : p.blobs) {
      repo::blob_index::location loc{number, b.offset, b.length, b.raw_length, b.type};
      first.try_emplace(b.id, loc);
      auto [it, added] = lowest.try_emplace(b.id, loc);
      auto order = [](const repo::blob_index::location& l) {
        return std::tuple(l.pack, l.offset, l.length, l.raw_length, l.type);
      };
      if (!added && order(loc) < order(it->second)) it->second = loc;
    }
    index.add(p);
    bulk.add(p);
  }
  if (index.blob_count() != first.size()) __builtin_trap();
  for (const auto& [id, loc] : first)
    if (index.find(id) != loc) __builtin_trap();
  bulk.bulk_load(false);
  if (bulk.blob_count() != lowest.size()) __builtin_trap();
  for (const auto& [id, loc] : lowest)
    if (bulk.find(id) != loc) __builtin_trap();
  return 0;
}
