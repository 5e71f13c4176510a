#include "fs/stat_ahead.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace cairn::fs {

namespace {

// Entries of one directory statted ahead; the rest of a huge directory is
// statted by the walk itself, so memory stays bounded.
constexpr size_t max_stats_per_dir = 4096;

// Directories released before a thread is woken to close them: one wake-up
// costs about what a close does.
constexpr size_t close_batch = 16;

bool under(const std::string& path, const std::string& prefix) {
  return path.size() > prefix.size() && path.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

listing list_and_stat(const std::string& path) {
  listing out;
  auto dir = directory::open(path);
  if (!dir) {
    out.failed = dir.error();
    return out;
  }
  auto names = dir->names();
  if (!names) {
    out.failed = names.error();
    return out;
  }
  out.names = std::move(*names);
  size_t n = std::min(out.names.size(), max_stats_per_dir);
  out.stats.reserve(n);
  out.completed.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    out.stats.push_back(dir->stat(out.names[i]));
    auto& m = out.stats.back();
    out.completed.push_back(m ? dir->complete(*m, out.names[i], m->type != file_type::regular) : status{});
  }
  out.handle.emplace(std::move(*dir));
  return out;
}

bool walk_before(const std::string& a, const std::string& b) {
  static_assert(std::endian::native == std::endian::little);
  // Only the first byte that differs decides (equal bytes map equally), so
  // the common prefix is skipped eight bytes at a time: paths in one queue
  // share long prefixes, and the walk's thread compares them ~100 times a
  // directory (7% of its time, byte by byte).
  size_t n = std::min(a.size(), b.size()), i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) {
      i += static_cast<size_t>(std::countr_zero(x ^ y)) / 8;  // little-endian: the first differing byte
      break;
    }
  }
  for (; i < n; ++i)
    if (a[i] != b[i]) break;
  if (i == n) return a.size() < b.size();
  unsigned ca = a[i] == '/' ? 0u : static_cast<unsigned char>(a[i]);
  unsigned cb = b[i] == '/' ? 0u : static_cast<unsigned char>(b[i]);
  return ca < cb;
}

bool stat_ahead::walk_order::operator()(const std::string& a, const std::string& b) const { return walk_before(a, b); }

stat_ahead::stat_ahead(stat_ahead_options options) : options_(std::move(options)) {
  for (size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { run(); });
}

stat_ahead::~stat_ahead() { stop(); }

void stat_ahead::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  work_.notify_all();
  ready_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

namespace {

std::vector<std::string> subdirectories(const std::string& path, const listing& l,
                                        const stat_ahead_options& o) {
  std::vector<std::string> out;
  for (size_t i = 0; i < l.stats.size(); ++i) {
    if (!l.stats[i] || l.stats[i]->type != file_type::directory) continue;
    auto child = join_path(path, l.names[i]);
    if (!o.descend || o.descend(child, *l.stats[i])) out.push_back(std::move(child));
  }
  return out;
}

}  // namespace

void stat_ahead::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    work_.wait(lock, [&] {
      return stopping_ || to_close_.size() >= close_batch ||
             (!queue_.empty() && slots_.size() < options_.max_dirs && held_entries_ < options_.max_entries);
    });
    if (stopping_) return;
    if (!to_close_.empty()) {
      auto closing = std::move(to_close_);
      to_close_.clear();
      lock.unlock();
      closing.clear();
      lock.lock();
      continue;
    }
    auto path = *queue_.begin();
    queue_.erase(queue_.begin());
    auto s = std::make_shared<slot>();
    slots_[path] = s;
    lock.unlock();
    auto l = list_and_stat(path);
    auto children = threads_.empty() || l.failed ? std::vector<std::string>{} : subdirectories(path, l, options_);
    lock.lock();
    auto it = slots_.find(path);
    if (it != slots_.end() && it->second == s) {  // not forgotten meanwhile
      held_entries_ += l.names.size();
      s->result = std::move(l);
      s->done = true;
      if (!stopping_) queue_.insert(children.begin(), children.end());
      // Wake only as many threads as there is new work (this one goes on by itself):
      // waking them all for every directory costs more than a warm stat.
      for (size_t k = 1; k < children.size() && k < threads_.size(); ++k) work_.notify_one();
      if (waiting_ == path) ready_.notify_all();
    }
  }
}

listing stat_ahead::take(const std::string& path) {
  std::unique_lock lock(mutex_);
  queue_.erase(path);
  auto it = slots_.find(path);
  if (it != slots_.end()) {
    auto s = it->second;
    waiting_ = path;
    ready_.wait(lock, [&] { return s->done || stopping_; });
    waiting_.clear();
    if (s->done) {
      size_t dirs_before = slots_.size(), entries_before = held_entries_;
      slots_.erase(path);
      held_entries_ -= s->result.names.size();
      // Threads held back by the limits go on once there is room for a
      // quarter more: a wake-up for every directory taken cost the walk's
      // thread more (warm, ~10% of it) than listing in bursts does.
      auto crossed = [](size_t before, size_t after, size_t mark) { return before > mark && after <= mark; };
      if (crossed(dirs_before, slots_.size(), options_.max_dirs * 3 / 4) ||
          crossed(entries_before, held_entries_, options_.max_entries * 3 / 4))
        work_.notify_all();
      return std::move(s->result);
    }
  }
  lock.unlock();
  auto l = list_and_stat(path);
  if (threads_.empty() || l.failed) return l;
  auto children = subdirectories(path, l, options_);
  lock.lock();
  if (!stopping_) queue_.insert(children.begin(), children.end());
  lock.unlock();
  for (size_t k = 0; k < children.size() && k < threads_.size(); ++k) work_.notify_one();
  return l;
}

void stat_ahead::forget_under(const std::string& path) {
  std::string prefix = path.empty() || path.back() != '/' ? path + "/" : path;
  std::lock_guard lock(mutex_);
  for (auto it = queue_.lower_bound(prefix); it != queue_.end() && under(*it, prefix);) it = queue_.erase(it);
  bool freed = false;
  for (auto it = slots_.lower_bound(prefix); it != slots_.end() && under(it->first, prefix);) {
    if (it->second->done) held_entries_ -= it->second->result.names.size();
    it = slots_.erase(it);
    freed = true;
  }
  if (freed) work_.notify_all();
}

void stat_ahead::release(directory d) {
  if (threads_.empty()) return;  // closed here, as `d` goes
  std::unique_lock lock(mutex_);
  // Stopped, or the threads are stuck (a hung network file system): closed
  // here, so that descriptors do not pile up.
  if (stopping_ || to_close_.size() >= 4 * close_batch) return;
  to_close_.push_back(std::move(d));
  bool wake = to_close_.size() == close_batch;
  lock.unlock();
  if (wake) work_.notify_one();
}

}  // namespace cairn::fs
