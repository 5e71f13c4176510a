#include "repo/detail/blob_table.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <random>
#include <stdexcept>
#include <tuple>

namespace cairn::repo::detail {

static_assert(std::endian::native == std::endian::little, "packed_location copies the low 14 bytes of an integer");

// ---- mapped_buffer ----

namespace {

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

size_t round_to_pages(size_t bytes) { return (bytes + page_size() - 1) / page_size() * page_size(); }

}  // namespace

mapped_buffer::~mapped_buffer() {
  if (ptr_) munmap(ptr_, size_);
}

void mapped_buffer::resize(size_t bytes) {
  size_t want = round_to_pages(bytes);
  if (want == size_) return;
  if (want == 0) {
    munmap(ptr_, size_);
    ptr_ = nullptr;
    size_ = 0;
    return;
  }
  void* p = ptr_ ? mremap(ptr_, size_, want, MREMAP_MAYMOVE)
                 : mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  ptr_ = p;
  size_ = want;
}

void mapped_buffer::clear() {
  // Private anonymous pages read as zeros after MADV_DONTNEED.
  if (ptr_ && madvise(ptr_, size_, MADV_DONTNEED) != 0) std::memset(ptr_, 0, size_);
}

// ---- packed_location ----

namespace {

using u128 = unsigned __int128;
constexpr unsigned pack_bits = 28, type_bits = 1, offset_bits = 30, raw_bits = 27, length_bits = 26;
constexpr unsigned type_shift = pack_bits, offset_shift = type_shift + type_bits,
                   raw_shift = offset_shift + offset_bits, length_shift = raw_shift + raw_bits;
static_assert(length_shift + length_bits == 14 * 8);
constexpr uint64_t field_mask(unsigned bits) { return (uint64_t{1} << bits) - 1; }
constexpr uint64_t overflow_length = field_mask(length_bits);

u128 load(const packed_location& p) {
  u128 v = 0;
  std::memcpy(&v, p.bytes, sizeof p.bytes);
  return v;
}

uint64_t field(u128 v, unsigned shift, unsigned bits) { return static_cast<uint64_t>(v >> shift) & field_mask(bits); }

}  // namespace

std::optional<packed_location> packed_location::pack(const blob_location& loc) {
  auto type = static_cast<uint64_t>(loc.type);
  if (loc.pack > field_mask(pack_bits) || type > field_mask(type_bits) || loc.offset > field_mask(offset_bits) ||
      loc.raw_length > field_mask(raw_bits) || loc.length >= overflow_length)
    return std::nullopt;
  u128 v = u128{loc.pack} | u128{type} << type_shift | u128{loc.offset} << offset_shift |
           u128{loc.raw_length} << raw_shift | u128{loc.length} << length_shift;
  packed_location p;
  std::memcpy(p.bytes, &v, sizeof p.bytes);
  return p;
}

packed_location packed_location::marked(mark kind) {
  // The raw length field says which: overflow 0, known 1, claimed 2, unclaimed 3.
  u128 v = u128{overflow_length} << length_shift | u128{static_cast<uint64_t>(kind) - 1} << raw_shift;
  packed_location p;
  std::memcpy(p.bytes, &v, sizeof p.bytes);
  return p;
}

mark packed_location::kind() const {
  u128 v = load(*this);
  if (field(v, length_shift, length_bits) != overflow_length) return mark::none;
  uint64_t which = field(v, raw_shift, raw_bits);
  return which <= 3 ? static_cast<mark>(which + 1) : mark::none;
}

blob_location packed_location::unpack() const {
  u128 v = load(*this);
  return blob_location{static_cast<uint32_t>(field(v, 0, pack_bits)),
                       static_cast<uint32_t>(field(v, offset_shift, offset_bits)),
                       static_cast<uint32_t>(field(v, length_shift, length_bits)),
                       static_cast<uint32_t>(field(v, raw_shift, raw_bits)),
                       static_cast<blob_type>(field(v, type_shift, type_bits))};
}

// ---- blob_table ----

namespace {

constexpr size_t suffix_size = object_id::size - 2;

size_t bucket_of(const uint8_t* id) { return size_t{id[0]} << 8 | id[1]; }

// memcmp of two 30-byte id suffixes, the first 8 bytes as one comparison.
int compare_suffix(const uint8_t* a, const uint8_t* b) {
  uint64_t x, y;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, b, 8);
  if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  return std::memcmp(a + 8, b + 8, suffix_size - 8);
}

// The order in which a bulk load keeps the first of two locations of one id.
auto order_of(const blob_location& l) { return std::tuple(l.pack, l.offset, l.length, l.raw_length, l.type); }

int compare_ids(const object_id& a, const object_id& b) {
  size_t ba = bucket_of(a.bytes.data()), bb = bucket_of(b.bytes.data());
  if (ba != bb) return ba < bb ? -1 : 1;
  return compare_suffix(a.bytes.data() + 2, b.bytes.data() + 2);
}

uint64_t mix(uint64_t a, uint64_t b) {
  u128 p = u128{a} * b;
  return static_cast<uint64_t>(p) ^ static_cast<uint64_t>(p >> 64);
}

}  // namespace

blob_table::blob_table() {
  std::random_device random;
  for (auto& s : seed_) s = uint64_t{random()} << 32 | random();
  seed_[4] |= 1;
  size_recent();
}

uint64_t blob_table::hash(const object_id& id) const {
  uint64_t w[4];
  std::memcpy(w, id.bytes.data(), sizeof w);
  return mix(mix(w[0] ^ seed_[0], w[1] ^ seed_[1]) ^ mix(w[2] ^ seed_[2], w[3] ^ seed_[3]), seed_[4]);
}

void blob_table::size_recent() {
  recent_limit_ = std::max<size_t>(1024, sorted_count_ / 32);
  recent_mem_.resize(recent_limit_ * sizeof(recent_entry));
  size_t slot_count = std::bit_ceil(recent_limit_ * 2);
  slots_mem_.resize(slot_count * sizeof(uint32_t));
  slot_mask_ = slot_count - 1;
  // Zeroed in place rather than dropped: the pages would only be faulted in again.
  std::memset(slots_mem_.data(), 0, slots_mem_.size());
}

const blob_table::sorted_entry* blob_table::find_sorted(const object_id& id) const {
  if (sorted_count_ == 0) return nullptr;
  auto* starts = reinterpret_cast<const uint32_t*>(starts_mem_.data());
  size_t b = bucket_of(id.bytes.data());
  size_t lo = starts[b], hi = starts[b + 1];
  const uint8_t* key = id.bytes.data() + 2;
  const sorted_entry* entries = sorted();
  if (hi - lo > 16) {
    // Ids are uniform: the next 8 bytes say about where in the bucket the id
    // is. Step from there a few entries; a bucket crowded on purpose only
    // falls back to the binary search below.
    uint64_t next;
    std::memcpy(&next, key, 8);
    size_t at = lo + static_cast<size_t>((u128{__builtin_bswap64(next)} * (hi - lo)) >> 64);
    int c = compare_suffix(entries[at].suffix, key);
    if (c == 0) return &entries[at];
    if (c < 0) {
      for (size_t step = 0; step < 8 && ++at < hi; ++step) {
        c = compare_suffix(entries[at].suffix, key);
        if (c == 0) return &entries[at];
        if (c > 0) return nullptr;  // between at - 1 and at
      }
      lo = at;
    } else {
      hi = at;
      for (size_t step = 0; step < 8 && at > lo; ++step) {
        c = compare_suffix(entries[--at].suffix, key);
        if (c == 0) return &entries[at];
        if (c < 0) return nullptr;  // between at and at + 1
        hi = at;
      }
    }
  }
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = compare_suffix(entries[mid].suffix, key);
    if (c == 0) return &entries[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return nullptr;
}

const blob_table::recent_entry* blob_table::find_recent(const object_id& id) const {
  if (recent_count_ == 0) return nullptr;
  const uint32_t* s = slots();
  for (size_t i = hash(id) & slot_mask_;; i = (i + 1) & slot_mask_) {
    uint32_t v = s[i];
    if (v == 0) return nullptr;
    const recent_entry& e = recent()[v - 1];
    if (e.id == id) return &e;
  }
}

const packed_location* blob_table::find_packed(const object_id& id) const {
  if (auto* e = find_sorted(id)) return &e->where;
  if (auto* e = find_recent(id)) return &e->where;
  return nullptr;
}

blob_location blob_table::unpack(const object_id& id, const packed_location& p) const {
  return p.is_overflow() ? overflow_.at(id) : p.unpack();
}

std::optional<blob_location> blob_table::find(const object_id& id) const {
  auto* p = find_packed(id);
  if (!p) return std::nullopt;
  auto kind = p->kind();
  if (kind != mark::none && kind != mark::overflow) return std::nullopt;
  return unpack(id, *p);
}

bool blob_table::contains(const object_id& id) const {
  auto* p = find_packed(id);
  if (!p) return false;
  auto kind = p->kind();
  return kind != mark::claimed && kind != mark::unclaimed;
}

bool blob_table::insert(const object_id& id, const blob_location& loc) {
  if (bulk_) {
    queue(id, loc);
    return true;
  }
  settle();
  auto* present = find_packed(id);
  if (present && (present->kind() == mark::none || present->kind() == mark::overflow)) return false;
  if (!present) make_room();  // first: a merge that fails (no memory) leaves no trace in the side table
  auto packed = packed_location::pack(loc);
  if (!packed) {
    overflow_.emplace(id, loc);
    packed = packed_location::overflow();
  }
  if (present) set(present, *packed);  // known, claimed or unclaimed until now: the location in place
  else append(id, *packed);
  return true;
}

bool blob_table::insert_known(const object_id& id) {
  settle();
  auto* present = find_packed(id);
  if (!present) {
    append(id, packed_location::marked(mark::known));
    return true;
  }
  if (present->kind() != mark::claimed && present->kind() != mark::unclaimed) return false;
  set(present, packed_location::marked(mark::known));
  return true;
}

bool blob_table::claim(const object_id& id) {
  settle();
  auto* present = find_packed(id);
  if (!present) {
    append(id, packed_location::marked(mark::claimed));
    return true;
  }
  if (present->kind() != mark::unclaimed) return false;
  set(present, packed_location::marked(mark::claimed));
  return true;
}

void blob_table::unclaim(const object_id& id) {
  // The entry stays, marked absent: removing it from the sorted array would
  // cost a move of the array (failed stores are rare).
  settle();
  auto* present = find_packed(id);
  if (present && present->kind() == mark::claimed) set(present, packed_location::marked(mark::unclaimed));
}

void blob_table::set(const packed_location* at, const packed_location& where) {
  --marked_[static_cast<size_t>(at->kind())];
  ++marked_[static_cast<size_t>(where.kind())];
  *const_cast<packed_location*>(at) = where;  // an entry of this table's own (non-const) memory
}

void blob_table::make_room() {
  if (recent_count_ >= recent_limit_) merge();
}

void blob_table::append(const object_id& id, const packed_location& where) {
  make_room();
  auto* entry = reinterpret_cast<recent_entry*>(recent_mem_.data()) + recent_count_;
  entry->id = id;
  entry->where = where;
  ++marked_[static_cast<size_t>(where.kind())];
  auto* s = reinterpret_cast<uint32_t*>(slots_mem_.data());
  size_t i = hash(id) & slot_mask_;
  while (s[i] != 0) i = (i + 1) & slot_mask_;
  s[i] = static_cast<uint32_t>(recent_count_ + 1);
  ++recent_count_;
}

void blob_table::merge() {
  const size_t m = recent_count_;
  if (m == 0) return;
  auto* fresh = reinterpret_cast<recent_entry*>(recent_mem_.data());
  std::sort(fresh, fresh + m, [](const recent_entry& a, const recent_entry& b) { return compare_ids(a.id, b.id) < 0; });
  merge_in(fresh, m, false);
  recent_count_ = 0;
  // The recent array is overwritten, not dropped: its pages would only be
  // faulted in again.
  size_recent();
}

void blob_table::merge_in(const recent_entry* fresh, size_t m, bool count_marks) {
  const size_t n = sorted_count_;
  if (n + m > UINT32_MAX) throw std::length_error("blob index: more than 2^32 blobs");
  // Grow first: if that fails nothing has changed.
  if (starts_mem_.size() == 0) starts_mem_.resize((buckets + 1) * sizeof(uint32_t));  // zeros
  sorted_mem_.resize((n + m) * sizeof(sorted_entry));
  // From the back: the largest of what is left goes to the last free place.
  auto* out = reinterpret_cast<sorted_entry*>(sorted_mem_.data());
  auto* starts = reinterpret_cast<uint32_t*>(starts_mem_.data());
  size_t i = n, j = m, k = n + m;
  size_t b = buckets - 1;  // the bucket of out[i - 1]
  while (j > 0) {
    const recent_entry& f = fresh[j - 1];
    bool old_is_larger = false;
    if (i > 0) {
      while (starts[b] > i - 1) --b;
      size_t fb = bucket_of(f.id.bytes.data());
      old_is_larger = b > fb || (b == fb && compare_suffix(out[i - 1].suffix, f.id.bytes.data() + 2) > 0);
    }
    --k;
    if (old_is_larger) {
      out[k] = out[--i];  // k > i: never the same entry
    } else {
      std::memcpy(out[k].suffix, f.id.bytes.data() + 2, suffix_size);
      out[k].where = f.where;
      if (count_marks) ++marked_[static_cast<size_t>(f.where.kind())];
      --j;
    }
  }
  // Each bucket now starts later by the fresh ids of the buckets before it.
  size_t before = 0;
  for (size_t bucket = 0; bucket <= buckets; ++bucket) {
    while (before < m && bucket_of(fresh[before].id.bytes.data()) < bucket) ++before;
    starts[bucket] += static_cast<uint32_t>(before);
  }
  sorted_count_ = n + m;
}

void blob_table::queue(const object_id& id, const blob_location& loc) {
  // Into an empty table the whole load is queued (46 bytes a blob, less than
  // a table of 44 and a recent array beside it); otherwise as often as the
  // recent array of a bulk load would merge.
  if (sorted_count_ > 0 && pending_count_ >= std::max<size_t>(1024, sorted_count_ / 8)) settle();
  if (pending_count_ == pending_capacity_) {
    size_t capacity = std::max<size_t>(4096, pending_capacity_ * 2);  // address space: pages are touched as filled
    pending_mem_.resize(capacity * sizeof(recent_entry));
    pending_capacity_ = capacity;
  }
  auto packed = packed_location::pack(loc);
  if (!packed) {
    // The side table keeps the earliest queued location (settle() erases it
    // when a packed one wins), unless the table has this id whole already.
    auto [it, added] = overflow_.try_emplace(id, loc);
    if (!added) {
      auto* present = find_packed(id);
      bool table_owns = present && present->is_overflow();
      if (!table_owns && order_of(loc) < order_of(it->second)) it->second = loc;
    }
    packed = packed_location::overflow();
  }
  auto* entry = reinterpret_cast<recent_entry*>(pending_mem_.data()) + pending_count_;
  entry->id = id;
  entry->where = *packed;
  ++pending_count_;
}

bool blob_table::earlier(const recent_entry& a, const recent_entry& b) const {
  return order_of(unpack(a.id, a.where)) < order_of(unpack(b.id, b.where));
}

void blob_table::drop_queued(const recent_entry& loser, const packed_location& winner) {
  if (loser.where.is_overflow() && !winner.is_overflow()) overflow_.erase(loser.id);
}

void blob_table::settle() {
  if (pending_count_ == 0) return;
  merge();  // the recent blobs first: the queued ones are checked against the sorted array alone
  auto* q = reinterpret_cast<recent_entry*>(pending_mem_.data());
  std::sort(q, q + pending_count_, [this](const recent_entry& a, const recent_entry& b) {
    int c = compare_ids(a.id, b.id);
    return c != 0 ? c < 0 : earlier(a, b);
  });
  // Of each id the first; then what the sorted array holds already: its
  // location stays, its mark (known, claimed, unclaimed) takes the queued one.
  size_t kept = 0;
  for (size_t i = 0; i < pending_count_; ++i) {
    const recent_entry e = q[i];
    if (kept > 0 && q[kept - 1].id == e.id) {
      drop_queued(e, q[kept - 1].where);
      continue;
    }
    if (auto* s = find_sorted(e.id)) {
      auto kind = s->where.kind();
      if (kind == mark::none || kind == mark::overflow) drop_queued(e, s->where);
      else set(&s->where, e.where);
      continue;
    }
    q[kept++] = e;
  }
  pending_count_ = kept;  // the rest is applied: table and queue still hold every insert
  if (kept == 0) return;
  if (sorted_count_ > 0) {
    merge_in(q, kept, true);
    pending_count_ = 0;
    size_recent();  // for the larger sorted array (the recent one is empty)
    return;
  }
  // An empty table: the queue becomes the sorted array where it lies. Entry
  // i moves from byte 46i to 44i, never over an entry not yet moved.
  if (kept > UINT32_MAX) throw std::length_error("blob index: more than 2^32 blobs");
  if (starts_mem_.size() == 0) starts_mem_.resize((buckets + 1) * sizeof(uint32_t));  // zeros
  auto* starts = reinterpret_cast<uint32_t*>(starts_mem_.data());
  auto* out = reinterpret_cast<sorted_entry*>(pending_mem_.data());
  for (size_t i = 0; i < kept; ++i) {
    const recent_entry e = q[i];
    std::memcpy(out[i].suffix, e.id.bytes.data() + 2, suffix_size);
    out[i].where = e.where;
    ++marked_[static_cast<size_t>(e.where.kind())];
    ++starts[bucket_of(e.id.bytes.data()) + 1];
  }
  for (size_t bucket = 1; bucket <= buckets; ++bucket) starts[bucket] += starts[bucket - 1];
  sorted_mem_.swap(pending_mem_);
  sorted_count_ = kept;
  pending_count_ = 0;
  pending_capacity_ = 0;
  pending_mem_.resize(0);
  try {
    sorted_mem_.resize(kept * sizeof(sorted_entry));  // gives the tail back
  } catch (const std::bad_alloc&) {  // the mapping stays larger; nothing is lost
  }
  size_recent();
}

void blob_table::set_bulk(bool on) {
  if (bulk_ == on) return;
  if (on) {
    merge();  // the queue is checked against the sorted array alone
    bulk_ = true;
    return;
  }
  bulk_ = false;
  settle();
  pending_mem_.resize(0);
  pending_capacity_ = 0;
}

void blob_table::for_each(const std::function<void(const object_id&, const blob_location&)>& fn) const {
  object_id id;
  if (sorted_count_ > 0) {
    auto* starts = reinterpret_cast<const uint32_t*>(starts_mem_.data());
    for (size_t b = 0; b < buckets; ++b) {
      id.bytes[0] = static_cast<uint8_t>(b >> 8);
      id.bytes[1] = static_cast<uint8_t>(b);
      for (size_t i = starts[b]; i < starts[b + 1]; ++i) {
        auto kind = sorted()[i].where.kind();
        if (kind != mark::none && kind != mark::overflow) continue;
        std::memcpy(id.bytes.data() + 2, sorted()[i].suffix, suffix_size);
        fn(id, unpack(id, sorted()[i].where));
      }
    }
  }
  for (size_t i = 0; i < recent_count_; ++i) {
    auto kind = recent()[i].where.kind();
    if (kind == mark::none || kind == mark::overflow) fn(recent()[i].id, unpack(recent()[i].id, recent()[i].where));
  }
}

}  // namespace cairn::repo::detail
