// Encoding of a directory's file-cache entries for the sealed file cache.
#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"

namespace cairn::catalog {

namespace {
constexpr uint8_t codec_version = 1;
constexpr size_t max_chunks = 1u << 24;   // a file of 16 M chunks is ~ 16 TiB at 1 MiB
}  // namespace

byte_buffer encode_cache_entries(const std::vector<cache_entry>& entries) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(codec_version);
  w.varint(entries.size());
  for (const auto& e : entries) {
    w.str(e.name);
    w.varint(e.size);
    w.svarint(e.mtime_ns);
    w.svarint(e.ctime_ns);
    w.varint(e.inode);
    w.varint(e.chunks.size());
    for (const auto& id : e.chunks) w.raw(byte_view(id.bytes.data(), object_id::size));
    w.bytes(e.xattrs);
  }
  return out;
}

expected<std::vector<cache_entry>> decode_cache_entries(byte_view bytes) {
  byte_reader r(bytes);
  auto bad = [] { return fail(errc::corrupt, "damaged entry in the sealed file cache"); };
  if (r.u8() != codec_version) return bad();
  uint64_t count = r.varint();
  // Every entry takes at least 7 bytes: a count past that is damage.
  if (!r.ok() || count > r.remaining() / 7) return bad();
  std::vector<cache_entry> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    cache_entry e;
    e.name = r.str();
    e.size = r.varint();
    e.mtime_ns = r.svarint();
    e.ctime_ns = r.svarint();
    e.inode = r.varint();
    uint64_t chunks = r.varint();
    if (!r.ok() || chunks > max_chunks || chunks > r.remaining() / object_id::size) return bad();
    e.chunks.reserve(chunks);
    for (uint64_t c = 0; c < chunks; ++c) e.chunks.push_back(object_id::from_view(r.raw(object_id::size)));
    auto x = r.bytes();
    e.xattrs.assign(x.begin(), x.end());
    if (!r.ok() || e.name.empty()) return bad();
    out.push_back(std::move(e));
  }
  if (!r.done()) return bad();
  return out;
}

}  // namespace cairn::catalog
