#include "repo/read_pool.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstring>
#include <iterator>
#include <new>

#include "fs/batch_read.hpp"
#include "fs/io_class.hpp"
#include "fs/file_reader.hpp"

namespace cairn::repo {

namespace {

constexpr size_t min_buffer = 64u << 10;
// Smaller chunks come from malloc's bins, which recycle them well enough.
constexpr size_t min_recycled = 64u << 10;
// Small files read in one submission (fs/batch_read.hpp): at most this many.
constexpr unsigned batch_files = 32;

}  // namespace

struct read_pool::spares {
  std::mutex mutex;
  std::vector<byte_buffer> list;
  std::atomic<uint64_t> bytes{0};  // their capacities; read by trim_spares without this lock
  uint64_t limit = 0;
  bool closed = false;

  // The smallest buffer that holds `n` bytes and is at most twice that, or none.
  byte_buffer take(size_t n) {
    std::lock_guard lock(mutex);
    size_t best = list.size();
    for (size_t i = 0; i < list.size(); ++i) {
      size_t cap = list[i].capacity();
      if (cap >= n && cap / 2 <= n && (best == list.size() || cap < list[best].capacity())) best = i;
    }
    if (best == list.size()) return {};
    byte_buffer b = std::move(list[best]);
    if (best + 1 != list.size()) list[best] = std::move(list.back());
    list.pop_back();
    bytes -= b.capacity();
    return b;
  }

  void put(byte_buffer b) {
    byte_buffer dropped;  // declared first: freed after the lock is released
    std::lock_guard lock(mutex);
    if (closed || b.capacity() < min_recycled || bytes + b.capacity() > limit) {
      dropped = std::move(b);
      return;
    }
    bytes += b.capacity();
    list.push_back(std::move(b));
  }

  // The oldest buffers, until `n` bytes are out (or none is left): the caller frees them.
  std::vector<byte_buffer> evict(uint64_t n) {
    std::lock_guard lock(mutex);
    size_t k = 0;
    uint64_t freed = 0;
    while (k < list.size() && freed < n) freed += list[k++].capacity();
    std::vector<byte_buffer> out(std::make_move_iterator(list.begin()), std::make_move_iterator(list.begin() + k));
    list.erase(list.begin(), list.begin() + k);
    bytes -= freed;
    return out;
  }

  std::vector<byte_buffer> close() {
    std::lock_guard lock(mutex);
    closed = true;
    bytes = 0;
    return std::move(list);
  }
};

read_pool::read_pool(read_pool_options options)
  : options_(std::move(options)), chunker_(options_.chunker),
    // Buffers may hold all but one max-size chunk of the budget, so a reader
    // with a buffer can always hand out its next chunk once the consumer
    // released the others: no reader waits for another forever.
    budget_(std::max<uint64_t>(options_.max_bytes, 3ull * options_.chunker.max_size)),
    batch_bytes_(budget_ / 4), spares_(std::make_shared<spares>()) {
  spares_->limit = budget_ / 2;
  size_t n = std::max<size_t>(1, options_.readers);
  for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
}

read_pool::~read_pool() { stop(); }

void read_pool::submit(read_request request) {
  ++in_flight_;
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(request));
  }
  work_cv_.notify_one();
}

std::vector<read_event> read_pool::take() {
  std::vector<read_event> events;
  {
    std::lock_guard lock(mutex_);
    events.swap(out_);
    wake_sent_ = false;
  }
  for (const auto& e : events) in_flight_ -= e.last ? 1 : 0;
  return events;
}

void read_pool::release(uint64_t bytes) {
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
    chunks_out_ -= bytes;
  }
  budget_cv_.notify_all();
}

void read_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    queue_.clear();
  }
  work_cv_.notify_all();
  budget_cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  spares_->close();  // chunks still held are freed when dropped
}

bool read_pool::acquire(uint64_t bytes, bool is_buffer) {
  std::unique_lock lock(mutex_);
  budget_cv_.wait(lock, [&] {
    if (stopped_) return true;
    if (is_buffer) return buffers_ + bytes <= budget_ - options_.chunker.max_size && used_ + bytes <= budget_;
    return used_ + bytes <= budget_ || chunks_out_ == 0;
  });
  if (stopped_) return false;
  used_ += bytes;
  (is_buffer ? buffers_ : chunks_out_) += bytes;
  return true;
}

void read_pool::give_back(uint64_t bytes, bool is_buffer) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mutex_);
    used_ -= bytes;
    (is_buffer ? buffers_ : chunks_out_) -= bytes;
  }
  budget_cv_.notify_all();
}

// Recycled buffers live in the budget's free room: what does not fit is freed.
void read_pool::trim_spares() {
  uint64_t spare = spares_->bytes;
  if (spare == 0) return;  // the common case for small files: no lock taken
  uint64_t used = 0;
  {
    std::lock_guard lock(mutex_);
    used = used_;
  }
  if (used + spare > budget_) spares_->evict(used + spare - budget_);  // freed here, outside every lock
}

bool read_pool::wait_while_paused() {
  if (!options_.gate) return true;
  std::unique_lock lock(mutex_);
  while (!stopped_ && options_.gate->paused())
    budget_cv_.wait_for(lock, std::chrono::milliseconds(250));
  return !stopped_;
}

void read_pool::push(read_event event) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    out_.push_back(std::move(event));
    wake = !wake_sent_;
    wake_sent_ = true;
  }
  if (wake && options_.wake) options_.wake();
}

void read_pool::run() {
  std::unique_ptr<uint8_t[]> buffer;
  size_t cap = 0;
  // In the idle I/O class (the daemon's default) each reader reads one file
  // at a time: a batch puts its requests ahead of everyone else's in the
  // device's queue, where no I/O class reorders them any more; batches of 32
  // made a foreground workload's cold reads take 8.2 s instead of 6.5 s beside
  // a daemon backup (bench/impact.sh).
  auto batch = fs::io_class_is_idle() ? nullptr : fs::batch_reader::create(batch_files);
  for (;;) {
    std::vector<read_request> group;
    bool together = false;
    {
      std::unique_lock lock(mutex_);
      if (queue_.empty() && cap > 0) {  // idle: a big buffer would shrink the others' budget
        used_ -= cap;
        buffers_ -= cap;
        cap = 0;
        buffer.reset();
        budget_cv_.notify_all();
      }
      work_cv_.wait(lock, [&] { return stopped_ || !queue_.empty(); });
      if (stopped_) break;
      group.push_back(std::move(queue_.front()));
      queue_.pop_front();
      // Small files waiting behind it go with it, read in one submission.
      together = batch && batchable(group.front());
      if (together) {
        uint64_t bytes = group.front().before.size;
        while (group.size() < batch_files && !queue_.empty() && batchable(queue_.front()) &&
               bytes + queue_.front().before.size <= batch_bytes_) {
          bytes += queue_.front().before.size;
          group.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
    }
    if (!(together ? read_together(group, *batch, buffer, cap) : read_one(group.front(), buffer, cap))) break;
  }
  give_back(cap, true);
}

bool read_pool::batchable(const read_request& r) const {
  return r.before.size > 0 && r.before.size <= options_.chunker.min_size && r.before.size <= batch_bytes_;
}

bool read_pool::read_one(const read_request& request, std::unique_ptr<uint8_t[]>& buffer, size_t& cap) {
  const size_t max = options_.chunker.max_size;
  // Room for the whole file (and the read that sees its end), up to one max-size chunk.
  size_t need = std::clamp<size_t>(std::bit_ceil(request.before.size + 1), min_buffer, max);
  if (need != cap) {
    give_back(cap, true);
    buffer.reset();
    cap = 0;
    if (!acquire(need, true)) return false;
    trim_spares();
    buffer.reset(new uint8_t[need]);  // never zero-filled
    cap = need;
  }
  try {
    read_file(request, buffer, cap);
  } catch (const std::bad_alloc&) {  // nothing else throws here; the file fails alone
    push({request.id, nullptr, true, error{errc::io, "read " + request.path + ": out of memory"}, false, {}});
  }
  return true;
}

// Files no larger than the chunker's minimum are one chunk each: each is read
// whole into its own buffer, which becomes the chunk (no copy), and all of
// them in one submission. Anything unexpected (an error, a file that is not
// what the walk saw, a short read) sends that file the long way, read_one,
// which says what went wrong or reads what the file has become.
bool read_pool::read_together(std::vector<read_request>& group, fs::batch_reader& batch,
                              std::unique_ptr<uint8_t[]>& buffer, size_t& cap) {
  if (!wait_while_paused()) return false;
  uint64_t total = 0;
  for (const auto& r : group) total += r.before.size;
  if (!acquire(total, false)) return false;
  struct pending {
    const read_request* request;
    std::optional<fs::file_reader> reader;
    std::vector<fs::xattr> xattrs;
    std::unique_ptr<uint8_t[]> data;  // a small file's chunk
    byte_buffer recycled;             // a larger one's (a spare buffer when one fits)
  };
  std::vector<pending> files;
  std::vector<fs::batch_read_item> items;
  std::vector<const read_request*> long_way;
  files.reserve(group.size());
  items.reserve(group.size());
  for (const auto& r : group) {
    const auto& before = r.before;
    auto reader = fs::file_reader::open(r.path, {before.size, static_cast<int64_t>(before.uid)});
    if (!reader) {
      long_way.push_back(&r);
      continue;
    }
    pending p{&r, std::move(*reader), {}, nullptr, {}};
    if (r.xattrs) {
      auto x = p.reader->xattrs();
      if (!x) {
        long_way.push_back(&r);
        continue;
      }
      p.xattrs = std::move(*x);
    }
    auto st = p.reader->prepare_for_batch();
    if (!st || st->type != fs::file_type::regular || st->size != before.size || st->mtime_ns != before.mtime_ns) {
      long_way.push_back(&r);
      continue;
    }
    uint8_t* out = nullptr;
    try {
      if (before.size < min_recycled) {
        p.data.reset(new uint8_t[before.size]);  // never zero-filled
        out = p.data.get();
      } else {
        p.recycled = spares_->take(before.size);
        trim_spares();
        p.recycled.resize(before.size);  // zeros written over memory already ours when a spare fitted
        out = p.recycled.data();
      }
    } catch (const std::bad_alloc&) {
      long_way.push_back(&r);
      continue;
    }
    items.push_back({p.reader->native_handle(), out, static_cast<size_t>(before.size), 0});
    files.push_back(std::move(p));
  }
  batch.read_all(items);
  for (size_t i = 0; i < files.size(); ++i) {
    auto& p = files[i];
    const auto& before = p.request->before;
    if (items[i].result != static_cast<int64_t>(before.size)) {
      long_way.push_back(p.request);
      continue;
    }
    auto after = p.reader->stat();
    bool changed = !after || after->size != before.size || after->mtime_ns != before.mtime_ns ||
                   after->inode != before.inode || after->type != fs::file_type::regular;
    p.reader.reset();  // closed before the chunk is out
    chunk_ptr data;
    try {
      data = p.data ? std::make_shared<const chunk>(std::move(p.data), before.size)
                    : recycled_when_dropped(std::move(p.recycled));
    } catch (const std::bad_alloc&) {
      give_back(before.size, false);
      push({p.request->id, nullptr, true, error{errc::io, "read " + p.request->path + ": out of memory"}, false, {}});
      continue;
    }
    push({p.request->id, std::move(data), false, std::nullopt, false, {}});
    push({p.request->id, nullptr, true, std::nullopt, changed, std::move(p.xattrs)});
  }
  files.clear();
  for (const auto* r : long_way) {
    give_back(r->before.size, false);
    if (!read_one(*r, buffer, cap)) return false;
  }
  return true;
}

// Called once the budget holds the chunk. A spare buffer is taken when one
// fits; often none does: a consumer drops its chunk before the walk gives the
// chunk's room back, and trim_spares frees a spare that the budget cannot hold
// beside the room still counted (measured: about 60% of large chunks hit).
chunk_ptr read_pool::make_chunk_of(byte_view bytes) {
  if (bytes.size() < min_recycled) {
    trim_spares();
    return make_chunk(byte_buffer(bytes.begin(), bytes.end()));
  }
  byte_buffer b = spares_->take(bytes.size());
  trim_spares();
  b.assign(bytes.begin(), bytes.end());  // within its capacity: no allocation, no zeroing
  return recycled_when_dropped(std::move(b));
}

chunk_ptr read_pool::recycled_when_dropped(byte_buffer b) {
  std::weak_ptr<spares> home = spares_;
  return chunk_ptr(new chunk(std::move(b)), [home](const chunk* c) {
    auto* owned = const_cast<chunk*>(c);  // made non-const above; the last owner is here
    if (auto s = home.lock()) s->put(owned->release());
    delete owned;
  });
}

// Cuts as soon as a cut point is in the buffer (a cut depends only on the
// bytes before it), and reads more only when none is: the rest moved to the
// front is then shorter than a chunk, and the buffer never needs to exceed max_size.
void read_pool::read_file(const read_request& request, std::unique_ptr<uint8_t[]>& buffer, size_t& cap) {
  const auto& before = request.before;
  auto reader = fs::file_reader::open(request.path, {before.size, static_cast<int64_t>(before.uid)});
  if (!reader) return push({request.id, nullptr, true, reader.error(), false, {}});
  std::vector<fs::xattr> xattrs;
  if (request.xattrs) {
    auto x = reader->xattrs();
    if (!x) return push({request.id, nullptr, true, x.error(), false, {}});
    xattrs = std::move(*x);
  }
  size_t start = 0, end = 0;
  uint64_t total = 0;
  bool eof = false;
  std::optional<fs::metadata> after;
  for (;;) {
    byte_view rest(buffer.get() + start, end - start);
    size_t cut = rest.empty() ? 0 : chunker_.next_cut(rest, eof);
    if (cut > 0) {
      if (!acquire(cut, false)) return;
      read_event e;
      e.id = request.id;
      try {
        e.data = make_chunk_of(rest.first(cut));
      } catch (const std::bad_alloc&) {
        give_back(cut, false);
        throw;
      }
      push(std::move(e));
      start += cut;
      continue;
    }
    if (eof) break;
    if (start > 0) {
      std::memmove(buffer.get(), buffer.get() + start, end - start);
      end -= start;
      start = 0;
    }
    if (end == cap) {  // it grew past its size: a rare case, held outside the budget's wait
      size_t bigger = std::min<size_t>(cap * 2, options_.chunker.max_size);
      std::unique_ptr<uint8_t[]> grown(new uint8_t[bigger]);
      std::memcpy(grown.get(), buffer.get(), end);
      {
        std::lock_guard lock(mutex_);
        used_ += bigger - cap;
        buffers_ += bigger - cap;
      }
      buffer = std::move(grown);
      cap = bigger;
    }
    if (!wait_while_paused()) return;
    auto n = reader->read(buffer.get() + end, cap - end);
    if (!n) return push({request.id, nullptr, true, n.error(), false, {}});
    if (*n == 0) {
      eof = true;
      continue;
    }
    end += *n;
    total += *n;
    if (total == before.size) {  // probably the end: a stat confirms it and saves a read
      auto st = reader->stat();
      if (st && st->size == total && st->mtime_ns == before.mtime_ns) eof = true, after = std::move(*st);
    }
  }
  if (!after) {
    auto st = reader->stat();
    if (st) after = std::move(*st);
  }
  bool changed = !after || after->size != before.size || after->mtime_ns != before.mtime_ns ||
                 after->inode != before.inode || after->type != fs::file_type::regular;
  push({request.id, nullptr, true, std::nullopt, changed, std::move(xattrs)});
}

}  // namespace cairn::repo
