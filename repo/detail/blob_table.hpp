// The storage behind repo::blob_index: blob id -> location in ~44 bytes a
// blob, with no moment that holds two copies of it. Not thread-safe (the
// index locks around it).
//
// - Most blobs sit in one array sorted by id, 44 bytes an entry: the id
//   without its first two bytes (a table of 65,536 bucket starts stands for
//   them and narrows every search to ~1/65,536 of the array) and a location
//   packed into 14 bytes. A location that does not fit (a blob of 64 MiB or
//   more, a tree of 128 MiB or more, an offset past 1 GiB) is kept whole in a
//   side table; the packed one then only marks it. A blob known to be stored
//   whose location this machine cannot read (write-only) has a mark too, and
//   so has a blob claimed by a writer and not yet in an added pack (its entry
//   then takes the location in place: a new blob costs one entry) and one
//   unclaimed again (absent, until claimed again).
// - Blobs added since the last merge sit in an append-only array (46 bytes
//   an entry, the whole id) with an open-addressing table of 4-byte slots (a
//   keyed hash: ids read from a target cannot be chosen to collide). When they
//   reach 1/32 of the sorted array they are sorted and merged into it from the
//   back, after the sorted array grew in place.
// - Both arrays live in anonymous mappings grown with mremap: growing moves
//   page tables, not bytes, so a merge never holds the old and the new array.
// - A bulk load (a repository's index files, read at once) only queues its
//   inserts: 46 bytes each, no lookup, no hash slot. settle() sorts them in
//   place and drops duplicates; into an empty table the sorted queue becomes
//   the sorted array where it lies (46 bytes a blob at the peak), otherwise it
//   is merged like the recent blobs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include "base/id.hpp"
#include "repo/repo_format.hpp"

namespace cairn::repo::detail {

struct blob_location {
  uint32_t pack = 0;  // number into the index's packs
  uint32_t offset = 0;
  uint32_t length = 0;
  uint32_t raw_length = 0;
  blob_type type = blob_type::data;
  bool operator==(const blob_location&) const = default;
};

// Anonymous memory grown and shrunk with mremap (contents kept up to the
// smaller size). Pages never written are not resident. Throws std::bad_alloc.
class mapped_buffer {
public:
  mapped_buffer() = default;
  mapped_buffer(const mapped_buffer&) = delete;
  mapped_buffer& operator=(const mapped_buffer&) = delete;
  ~mapped_buffer();
  void resize(size_t bytes);
  // Drops the contents (they read as zeros again) and gives the pages back.
  void clear();
  void swap(mapped_buffer& other) noexcept {
    std::swap(ptr_, other.ptr_);
    std::swap(size_, other.size_);
  }
  uint8_t* data() const { return static_cast<uint8_t*>(ptr_); }
  size_t size() const { return size_; }

private:
  void* ptr_ = nullptr;
  size_t size_ = 0;  // mapped, a multiple of the page size
};

// What an entry without a location in its packed bytes is.
enum class mark { none, overflow, known, claimed, unclaimed };

// A location in 14 bytes: pack 28 bits, type 1, offset 30, raw length 27,
// length 26. A length field of all ones is a mark, its kind in the raw length.
struct packed_location {
  uint8_t bytes[14];
  static std::optional<packed_location> pack(const blob_location& loc);  // nullopt: does not fit
  static packed_location marked(mark kind);
  static packed_location overflow() { return marked(mark::overflow); }
  mark kind() const;
  bool is_overflow() const { return kind() == mark::overflow; }
  blob_location unpack() const;
};

class blob_table {
public:
  blob_table();
  blob_table(const blob_table&) = delete;
  blob_table& operator=(const blob_table&) = delete;

  // False (and nothing changes) when the id has a location already; a known,
  // claimed or unclaimed id gets this one. In a bulk load the insert is only
  // queued (true); settle() applies it, and of two locations for one id the
  // lower (pack, offset, length, raw length, type) stays: the first added
  // where packs are numbered in the order they are added, as blob_index does
  // (unless one pack names a blob twice).
  bool insert(const object_id& id, const blob_location& loc);
  // insert_known, claim and unclaim (and insert outside a bulk load) settle
  // queued bulk inserts first.
  // An id stored where this machine cannot read its location: contains() is
  // true, find() nullopt. False when it has a location or is known already.
  bool insert_known(const object_id& id);
  // True when the id is absent (or unclaimed): it is claimed now.
  bool claim(const object_id& id);
  void unclaim(const object_id& id);  // a claimed id only
  // Lookups, counts and for_each do not see queued bulk inserts: settle() first.
  std::optional<blob_location> find(const object_id& id) const;
  bool contains(const object_id& id) const;  // with a location or known
  size_t size() const { return entries() - count(mark::known) - count(mark::claimed) - count(mark::unclaimed); }  // with a location
  size_t count(mark kind) const { return marked_[static_cast<size_t>(kind)]; }  // none: packed locations
  size_t entries() const { return sorted_count_ + recent_count_; }
  // Blobs with a location: sorted ones in id order, then the recent ones in the order added.
  void for_each(const std::function<void(const object_id&, const blob_location&)>& fn) const;
  // How many sit in the sorted array, and how many locations in the side table (for the tests).
  size_t sorted_count() const { return sorted_count_; }
  size_t overflow_count() const { return overflow_.size(); }
  void merge();  // the recent blobs into the sorted array (also done by insert)
  // While many ids arrive at once (loading the index files), inserts are
  // queued and applied together. Turning it off settles them.
  void set_bulk(bool on);
  bool pending() const { return pending_count_ != 0; }
  // Applies the queued bulk inserts. On std::bad_alloc the table and the
  // queue together still hold every insert (settle again later).
  void settle();

  struct sorted_entry {
    uint8_t suffix[object_id::size - 2];
    packed_location where;
  };
  struct recent_entry {
    object_id id;
    packed_location where;
  };
  static_assert(sizeof(sorted_entry) == 44 && alignof(sorted_entry) == 1);
  static_assert(sizeof(recent_entry) == 46 && alignof(recent_entry) == 1);

private:
  static constexpr size_t buckets = 1u << 16;
  const sorted_entry* sorted() const { return reinterpret_cast<const sorted_entry*>(sorted_mem_.data()); }
  const recent_entry* recent() const { return reinterpret_cast<const recent_entry*>(recent_mem_.data()); }
  const uint32_t* slots() const { return reinterpret_cast<const uint32_t*>(slots_mem_.data()); }
  const packed_location* find_packed(const object_id& id) const;
  void make_room();  // merges when the recent array is full (throws before anything changed)
  void append(const object_id& id, const packed_location& where);
  void set(const packed_location* at, const packed_location& where);  // keeps marked_
  const sorted_entry* find_sorted(const object_id& id) const;
  const recent_entry* find_recent(const object_id& id) const;
  uint64_t hash(const object_id& id) const;
  blob_location unpack(const object_id& id, const packed_location& p) const;
  void size_recent();  // capacity and empty slots for the current threshold (the recent array empty)
  void queue(const object_id& id, const blob_location& loc);  // a bulk insert
  // Merges `m` entries sorted by id, none of them in the sorted array; counts
  // them in marked_ when `count_marks` (recent entries were counted when added).
  void merge_in(const recent_entry* fresh, size_t m, bool count_marks);
  // True when a (a queued entry) has the lower of two locations of one id (see insert).
  bool earlier(const recent_entry& a, const recent_entry& b) const;
  // A queued entry that lost to `winner` (same id) leaves no side-table location behind.
  void drop_queued(const recent_entry& loser, const packed_location& winner);

  mapped_buffer sorted_mem_;
  size_t sorted_count_ = 0;
  // starts_[b] = the first sorted entry whose id starts with the two bytes b;
  // starts_[buckets] = sorted_count_. Mapped: no memory until the first merge.
  mapped_buffer starts_mem_;
  mapped_buffer recent_mem_;
  size_t recent_count_ = 0;
  size_t recent_limit_ = 0;  // merge when reached
  bool bulk_ = false;
  mapped_buffer pending_mem_;  // queued bulk inserts, recent_entry each, unsorted
  size_t pending_count_ = 0;
  size_t pending_capacity_ = 0;
  mapped_buffer slots_mem_;  // recent index + 1, 0 = free; at most half full
  size_t slot_mask_ = 0;
  size_t marked_[5] = {};  // entries by mark
  uint64_t seed_[5] = {};
  std::map<object_id, blob_location> overflow_;
};

}  // namespace cairn::repo::detail
