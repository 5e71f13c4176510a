#include "repo/index.hpp"

#include <algorithm>
#include <mutex>
#include <stdexcept>

namespace cairn::repo {

namespace {

constexpr uint8_t index_version = 1;
constexpr uint8_t toc_version = 1;

void write_blobs(byte_writer& w, const std::vector<blob_entry>& blobs) {
  w.varint(blobs.size());
  for (const auto& b : blobs) {
    w.u8(static_cast<uint8_t>(b.type));
    w.raw(b.id.view());
    w.varint(b.offset);
    w.varint(b.length);
    w.varint(b.raw_length);
  }
}

// One entry as read from a target: every number is bounded by the format's
// limits, so nothing downstream allocates or fetches more than a blob can be.
const char* bad_entry(const blob_entry& b, uint64_t pack_size) {
  uint64_t max_raw = b.type == blob_type::tree ? max_tree_bytes : max_chunk_limit;
  if (b.raw_length > max_raw) return "a blob claims more plaintext than the format allows";
  if (b.length > uint64_t{b.raw_length} + max_blob_overhead)
    return "a blob is longer than its plaintext can seal to";
  if (b.offset < pack_salt_size || uint64_t{b.offset} + b.length > pack_size)
    return "a blob lies outside its pack";
  return nullptr;
}

// Fills `out`, or returns what is wrong (nullptr when fine).
const char* read_blobs(byte_reader& r, uint64_t pack_size, std::vector<blob_entry>& out) {
  uint64_t count = r.varint();
  if (!r.ok() || count > r.remaining() / min_blob_entry_bytes) return "blob count exceeds the bytes present";
  out.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    blob_entry b;
    uint8_t type = r.u8();
    if (type > static_cast<uint8_t>(blob_type::tree)) return "unknown blob type";
    b.type = static_cast<blob_type>(type);
    auto id = r.raw(object_id::size);
    if (!r.ok()) return "truncated";
    b.id = object_id::from_view(id);
    uint64_t offset = r.varint(), length = r.varint(), raw = r.varint();
    if (offset > UINT32_MAX || length > UINT32_MAX || raw > UINT32_MAX) return "blob position out of range";
    b.offset = static_cast<uint32_t>(offset);
    b.length = static_cast<uint32_t>(length);
    b.raw_length = static_cast<uint32_t>(raw);
    if (auto why = bad_entry(b, pack_size)) return why;
    out.push_back(b);
  }
  return r.ok() ? nullptr : "truncated";
}

}  // namespace

byte_buffer encode_toc(const std::vector<blob_entry>& blobs) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(toc_version);
  write_blobs(w, blobs);
  return out;
}

expected<std::vector<blob_entry>> decode_toc(byte_view bytes) {
  byte_reader r(bytes);
  if (r.u8() != toc_version) return fail(errc::corrupt, "unknown pack table of contents version");
  std::vector<blob_entry> blobs;
  // The pack's size is checked against each entry by parse_pack and
  // read_pack_record; here the format's bound.
  if (auto why = read_blobs(r, max_pack_bytes, blobs))
    return fail(errc::corrupt, std::string("damaged pack table of contents (") + why + ")");
  if (!r.done()) return fail(errc::corrupt, "damaged pack table of contents (trailing bytes)");
  return blobs;
}

byte_buffer encode_index_file(const std::vector<pack_record>& packs) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(index_version);
  w.varint(packs.size());
  for (const auto& p : packs) {
    w.raw(p.id.view());
    w.raw(p.salt);
    w.varint(p.size);
    write_blobs(w, p.blobs);
  }
  return out;
}

expected<std::vector<pack_record>> decode_index_file(byte_view bytes) {
  byte_reader r(bytes);
  if (r.u8() != index_version) return fail(errc::corrupt, "unknown index version");
  uint64_t count = r.varint();
  if (!r.ok() || count > r.remaining() / min_pack_record_bytes)
    return fail(errc::corrupt, "damaged index (pack count exceeds the bytes present)");
  std::vector<pack_record> packs;
  packs.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    pack_record p;
    auto id = r.raw(object_id::size);
    auto salt = r.raw(32);
    if (!r.ok()) return fail(errc::corrupt, "damaged index (truncated)");
    p.id = object_id::from_view(id);
    std::copy(salt.begin(), salt.end(), p.salt.begin());
    p.size = r.varint();
    if (!r.ok() || p.size > max_pack_bytes || p.size < pack_salt_size + pack_trailer_size)
      return fail(errc::corrupt, "damaged index (pack size out of range)");
    if (auto why = read_blobs(r, p.size, p.blobs))
      return fail(errc::corrupt, std::string("damaged index (") + why + ")");
    packs.push_back(std::move(p));
  }
  if (!r.done()) return fail(errc::corrupt, "damaged index (trailing bytes)");
  return packs;
}

namespace {
constexpr uint32_t max_packs = 1u << 28;  // the format's bound (a pack number takes 28 bits)
}  // namespace

void blob_index::add(const pack_record& pack) {
  std::unique_lock lock(mutex_);
  if (pack_numbers_.count(pack.id)) return;
  auto number = static_cast<uint32_t>(packs_.size());
  if (number >= max_packs) throw std::length_error("blob_index: more than 2^28 packs");
  packs_.push_back({pack.id, pack.salt, pack.size});
  pack_numbers_.emplace(pack.id, number);
  // The first location stays; a claimed blob's entry takes its location.
  for (const auto& b : pack.blobs) blobs_.insert(b.id, location{number, b.offset, b.length, b.raw_length, b.type});
}

std::optional<blob_index::location> blob_index::find(const object_id& id) const {
  return with_settled([&](const detail::blob_table& t) { return t.find(id); });
}

void blob_index::bulk_load(bool on) {
  std::unique_lock lock(mutex_);
  blobs_.set_bulk(on);
}

void blob_index::add_known(const std::unordered_set<object_id>& ids) {
  std::unique_lock lock(mutex_);
  for (const auto& id : ids) blobs_.insert_known(id);
}

bool blob_index::contains(const object_id& id) const {
  return with_settled([&](const detail::blob_table& t) { return t.contains(id); });
}

bool blob_index::has_pack(const object_id& pack) const {
  std::shared_lock lock(mutex_);
  return pack_numbers_.count(pack) != 0;
}

blob_index::pack_info blob_index::pack(uint32_t number) const {
  std::shared_lock lock(mutex_);
  return packs_.at(number);
}

bool blob_index::claim(const object_id& id) {
  std::unique_lock lock(mutex_);
  return blobs_.claim(id);
}

void blob_index::unclaim(const object_id& id) {
  std::unique_lock lock(mutex_);
  blobs_.unclaim(id);
}

size_t blob_index::blob_count() const {
  return with_settled([](const detail::blob_table& t) { return t.size(); });
}

size_t blob_index::pack_count() const {
  std::shared_lock lock(mutex_);
  return packs_.size();
}

void blob_index::for_each_pack(const std::function<void(const pack_info&)>& fn) const {
  std::shared_lock lock(mutex_);
  for (const auto& p : packs_) fn(p);
}

void blob_index::for_each_blob(
  const std::function<void(const object_id&, const location&)>& fn) const {
  with_settled([&](const detail::blob_table& t) { t.for_each(fn); });
}

}  // namespace cairn::repo
