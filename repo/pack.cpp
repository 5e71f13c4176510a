#include "repo/pack.hpp"

#include <algorithm>
#include <cstring>

#include "repo/compression.hpp"

namespace cairn::repo {

std::array<uint8_t, 33> blob_aad(blob_type type, const object_id& id) {
  std::array<uint8_t, 33> aad{};
  aad[0] = static_cast<uint8_t>(type);
  std::memcpy(aad.data() + 1, id.bytes.data(), object_id::size);
  return aad;
}

namespace {

// When streaming, sealed blobs are written out in pieces of about this much.
constexpr size_t stream_piece_bytes = 1u << 20;

}  // namespace

pack_writer::pack_writer(const crypto::object_cipher& cipher, uint32_t target_size,
                         targets::target* stream_to)
  : cipher_(cipher), target_size_(target_size), stream_to_(stream_to) {
  start();
}

void pack_writer::start() {
  record_ = {};
  pack_cipher_ = cipher_.new_pack(record_.salt);
  out_.reset();
  hash_.reset();
  streamed_ = 0;
  failed_.reset();
  try_stream_ = stream_to_ != nullptr;  // opened with the first blob: no empty files
  bytes_.clear();  // the finished pack took the old buffer; capacity grows in add()
  if (!spare_.empty() && bytes_.capacity() == 0) {
    bytes_ = std::move(spare_.back());
    spare_.pop_back();
    bytes_.clear();
  }
  bytes_.insert(bytes_.end(), record_.salt.begin(), record_.salt.end());
}

status pack_writer::open_stream() {
  try_stream_ = false;
  auto out = stream_to_->open_writer();
  if (!out) return fail(out.error());
  out_ = std::move(*out);
  if (out_) hash_ = std::make_unique<crypto::sha256_stream>();
  return {};
}

status pack_writer::flush() {
  hash_->update(bytes_);
  if (auto st = out_->append(bytes_); !st) {
    failed_ = st.error();  // the pack lost bytes: it can only be abandoned
    return st;
  }
  streamed_ += bytes_.size();
  bytes_.clear();
  return {};
}

status pack_writer::add(blob_type type, const object_id& id, byte_view encoded,
                        uint32_t raw_length) {
  if (failed_) return fail(*failed_);
  if (try_stream_) CAIRN_TRY(open_stream());
  // Streaming holds about one piece (or one large blob) at a time.
  if (out_ && !bytes_.empty() && bytes_.size() + encoded.size() > stream_piece_bytes) CAIRN_TRY(flush());
  // Grow in steps bounded by the target size: doubling would leave a 16 MiB
  // pack in a 32 MiB buffer, and a copy of both while it reallocates.
  size_t needed = bytes_.size() + encoded.size() + pack_cipher_->overhead();
  size_t limit = out_ ? stream_piece_bytes : size_t{target_size_} + (1u << 20);
  if (needed > bytes_.capacity())
    bytes_.reserve(std::max<size_t>(needed, std::min<size_t>(2 * bytes_.capacity() + (1u << 20), limit)));
  auto offset = static_cast<uint32_t>(size());
  auto aad = blob_aad(type, id);
  pack_cipher_->seal(offset, aad, encoded, bytes_);
  record_.blobs.push_back({id, type, offset, static_cast<uint32_t>(size() - offset), raw_length});
  if (out_ && bytes_.size() >= stream_piece_bytes) CAIRN_TRY(flush());
  return {};
}

void pack_writer::recycle(byte_buffer buffer) {
  if (spare_.size() < 2 && buffer.capacity() >= target_size_) spare_.push_back(std::move(buffer));
}

expected<finished_pack> pack_writer::finish() {
  if (failed_) {
    auto why = *failed_;
    start();
    return fail(why);
  }
  auto toc = encode_toc(record_.blobs);
  size_t toc_start = bytes_.size();
  pack_cipher_->seal(toc_nonce, as_bytes(kind_toc), toc, bytes_);
  byte_writer w(bytes_);
  w.u32(static_cast<uint32_t>(bytes_.size() - toc_start));
  w.u32(pack_magic);
  finished_pack out;
  out.record = std::move(record_);
  if (out_) {
    if (auto st = flush(); !st) {
      start();
      return fail(st.error());
    }
    out.record.size = streamed_;
    out.record.id = hash_->finish();
    out.written = std::move(out_);
  } else {
    out.record.size = bytes_.size();
    out.record.id = crypto::sha256_of(bytes_);
    out.bytes = std::move(bytes_);
  }
  start();
  return out;
}

namespace {

// Entries from an index or a TOC were bounded when decoded; entries built
// elsewhere are bounded here, before decompression allocates raw_length.
status check_entry(const blob_entry& entry, byte_view sealed) {
  uint64_t max_raw = entry.type == blob_type::tree ? max_tree_bytes : max_chunk_limit;
  if (entry.raw_length > max_raw || sealed.size() > uint64_t{entry.raw_length} + max_blob_overhead)
    return fail(errc::corrupt, "blob length out of the format's range");
  return {};
}

}  // namespace

expected<byte_buffer> open_blob(crypto::pack_cipher& cipher, const blob_entry& entry,
                                byte_view sealed, crypto::id_hasher& hasher) {
  CAIRN_TRY(check_entry(entry, sealed));
  auto encoded = cipher.open(entry.offset, blob_aad(entry.type, entry.id), sealed);
  if (!encoded) return fail(errc::corrupt, "blob does not decrypt");
  auto plain = decode_blob(*encoded, entry.raw_length);
  if (!plain) return plain;
  if (hasher.id_of(*plain) != entry.id) return fail(errc::corrupt, "blob does not match its id");
  return plain;
}

expected<byte_view> open_blob_into(crypto::pack_cipher& cipher, const blob_entry& entry, std::span<uint8_t> sealed,
                                   crypto::id_hasher& hasher, blob_scratch& scratch) {
  CAIRN_TRY(check_entry(entry, sealed));
  auto encoded = cipher.open_in_place(entry.offset, blob_aad(entry.type, entry.id), sealed);
  if (!encoded) return fail(errc::corrupt, "blob does not decrypt");
  CAIRN_ASSIGN(auto plain, decode_blob_into(*encoded, entry.raw_length, scratch.plain));
  if (hasher.id_of(plain) != entry.id) return fail(errc::corrupt, "blob does not match its id");
  return plain;
}

namespace {

// What a target gave for a range the repository recorded. A range past the
// end is the caller's mistake for the target, but here the range came from
// the repository's own records: the object is damaged, as it is when the
// target gives fewer bytes than asked for.
template <typename Bytes>
expected<Bytes> checked_range(expected<Bytes> bytes, const targets::target& target, const std::string& name,
                              targets::byte_range range) {
  if ((!bytes && bytes.error().code() == errc::invalid_input) ||
      (bytes && range.length != UINT64_MAX && bytes->size() != range.length))
    return fail(errc::corrupt, target.describe() + ": " + name + " is shorter than the repository says (truncated)");
  return bytes;
}

}  // namespace

expected<byte_buffer> read_range(targets::target& target, const std::string& name,
                                 targets::byte_range range) {
  return checked_range(target.get(name, range), target, name, range);
}

expected<std::span<uint8_t>> read_range_into(targets::target& target, const std::string& name, targets::byte_range range,
                                             targets::target::read_buffer& buffer) {
  return checked_range(target.get_into(name, range, buffer), target, name, range);
}

expected<byte_buffer> read_bounded(targets::target& target, const std::string& name, uint64_t max_bytes) {
  // One request for at most max_bytes + 1: never more in memory, and the
  // target's own error (not_found, auth, ...) comes back as it is.
  auto bytes = target.get(name, {0, max_bytes + 1});
  if (!bytes && bytes.error().code() == errc::invalid_input)
    return fail(errc::corrupt, target.describe() + ": " + name + " cannot be read as the repository says");
  if (bytes && bytes->size() > max_bytes)
    return fail(errc::corrupt, target.describe() + ": " + name + " is larger than the format allows (more than " +
                                 std::to_string(max_bytes) + " bytes)");
  return bytes;
}

namespace {

expected<std::vector<blob_entry>> open_toc(byte_view sealed_toc, byte_view salt,
                                           const crypto::object_cipher& cipher) {
  auto pc = cipher.for_pack(salt);
  auto toc = pc->open(toc_nonce, as_bytes(kind_toc), sealed_toc);
  if (!toc) return fail(errc::corrupt, "table of contents does not decrypt");
  return decode_toc(*toc);
}

expected<uint32_t> trailer_toc_length(byte_view trailer, uint64_t pack_size) {
  byte_reader r(trailer);
  uint32_t length = r.u32();
  if (r.u32() != pack_magic) return fail(errc::corrupt, "not a pack (bad magic)");
  if (length > max_toc_bytes || length + pack_trailer_size + pack_salt_size > pack_size)
    return fail(errc::corrupt, "bad table of contents length");
  return length;
}

}  // namespace

expected<pack_record> read_pack_record(targets::target& target, const object_id& pack_id,
                                       uint64_t pack_size, const crypto::object_cipher& cipher) {
  auto name = pack_name(pack_id);
  if (pack_size < pack_salt_size + pack_trailer_size)
    return fail(errc::corrupt, name + ": too short to be a pack");
  if (pack_size > max_pack_bytes)
    return fail(errc::corrupt, name + ": larger than a pack may be (" + std::to_string(pack_size) + " bytes)");
  CAIRN_ASSIGN(auto trailer, read_range(target, name, {pack_size - pack_trailer_size, pack_trailer_size}));
  auto length = trailer_toc_length(trailer, pack_size);
  if (!length) return fail(length.error().with_context(name));
  uint64_t toc_start = pack_size - pack_trailer_size - *length;
  CAIRN_ASSIGN(auto salt, read_range(target, name, {0, pack_salt_size}));
  CAIRN_ASSIGN(auto sealed_toc, read_range(target, name, {toc_start, *length}));
  if (salt.size() != pack_salt_size || sealed_toc.size() != *length)
    return fail(errc::corrupt, name + ": shorter than its listing says");
  auto blobs = open_toc(sealed_toc, salt, cipher);
  if (!blobs) return fail(blobs.error().with_context(name));
  for (const auto& b : *blobs)
    if (uint64_t{b.offset} + b.length > toc_start)
      return fail(errc::corrupt, name + ": table of contents points outside the pack");
  pack_record record;
  record.id = pack_id;
  std::copy(salt.begin(), salt.end(), record.salt.begin());
  record.size = pack_size;
  record.blobs = std::move(*blobs);
  return record;
}

expected<pack_record> parse_pack(byte_view pack, const object_id& pack_id,
                                 const crypto::object_cipher& cipher) {
  if (pack.size() < pack_salt_size + pack_trailer_size)
    return fail(errc::corrupt, "too short to be a pack");
  if (pack.size() > max_pack_bytes) return fail(errc::corrupt, "larger than a pack may be");
  if (crypto::sha256_of(pack) != pack_id) return fail(errc::corrupt, "pack does not match its name");
  auto length = trailer_toc_length(pack.last(pack_trailer_size), pack.size());
  if (!length) return fail(length.error());
  uint64_t toc_start = pack.size() - pack_trailer_size - *length;
  auto salt = pack.first(pack_salt_size);
  CAIRN_ASSIGN(auto blobs, open_toc(pack.subspan(toc_start, *length), salt, cipher));
  pack_record record;
  record.id = pack_id;
  std::copy(salt.begin(), salt.end(), record.salt.begin());
  record.size = pack.size();
  record.blobs = std::move(blobs);
  for (const auto& b : record.blobs)
    if (uint64_t{b.offset} + b.length > toc_start)
      return fail(errc::corrupt, "table of contents points outside the pack");
  return record;
}

}  // namespace cairn::repo
