// The backup walk of a directory source, as a library: it walks the tree
// depth-first, reuses the chunk lists of files whose quick content id (size,
// mtime, ctime, inode) matches the file cache, has a pool of reader threads
// (repo/read_pool.hpp) read and cut the others, and builds one tree per
// directory and target bottom-up. At most `window_bytes` of read buffers and
// chunks are in flight, so memory stays flat however large the tree.
//
// It knows nothing of who seals the chunks or where progress goes: whoever
// runs it (the dir source actor, or a test) implements walk_sink and calls
// pump() on one thread whenever the sink asks for it. Every sink call is made
// from that thread, inside start(), pump(), stop() or a seal callback.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>

#include "backup/detail/walk_state.hpp"
#include "backup/results.hpp"
#include "base/pause_gate.hpp"
#include "base/progress_counters.hpp"
#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"
#include "catalog/file_cache_update.hpp"
#include "config/suite_config.hpp"
#include "fs/directory_tags.hpp"
#include "fs/exclude.hpp"
#include "fs/stat_ahead.hpp"
#include "repo/chunker.hpp"
#include "repo/read_pool.hpp"
#include "repo/repository.hpp"

namespace cairn::backup {

struct walk_options {
  std::string plan;
  config::source_config source;
  std::vector<std::string> target_names;       // index = target number
  // Per target: its index says whether a file cache entry's chunks are still stored.
  std::vector<std::shared_ptr<repo::repository>> repos;
  std::filesystem::path state_dir;             // the file cache is read from here
  bool file_cache = true;
  // The sink has somewhere to write file cache rows (store_cache is called).
  bool write_cache = true;
  // A write-only machine: the file cache is sealed (catalog/cache_seal.hpp),
  // every directory is stored again each walk, and the directories a finished
  // walk did not visit are dropped, so it describes only files there now.
  std::shared_ptr<const catalog::cache_seal> cache_seal;
  repo::chunker_params chunker;
  uint64_t window_bytes = 12u << 20;
  size_t window_chunks = 256;
  size_t readers = 4;                          // files read at once (plans.NAME.readers)
  size_t files_ahead = 64;                     // files handed to the readers and not yet read
  // Set when a scan's count is no longer wanted (the backup finished first).
  std::shared_ptr<const std::atomic<bool>> cancel_scan;
  // Bit i: target i does not encrypt (key mode none); a resource's sensitive
  // paths are neither sealed for it nor named in its trees.
  uint32_t plain_targets = 0;
  // A resource: what its backup command printed, passed through to the result.
  std::string metadata;
  // While it holds, reading waits (the daemon's pause).
  std::shared_ptr<const pause_gate> gate;
  // The walk fails when seals are awaited and none was answered for
  // `seal_timeout`; it looks every `seal_watch`.
  std::chrono::seconds seal_timeout{7200};
  std::chrono::seconds seal_watch{60};
};

// What the walk needs from whoever runs it.
class walk_sink {
public:
  using sealed = std::function<void(expected<seal_result>)>;
  virtual ~walk_sink() = default;
  // Seals one chunk (file data, or an encoded tree) for the targets whose bit
  // is set in `targets`. `done` is called later, on the walk's thread, never
  // from inside seal(); an error fails the walk.
  virtual void seal(chunk_ptr data, uint32_t targets, repo::blob_type type, sealed done) = 0;
  // One directory's file cache rows (only with walk_options::write_cache).
  virtual void store_cache(catalog::file_cache_update update) = 0;
  // The file now being read, for a progress line.
  virtual void reading(const std::string& path) = 0;
  // Counters done since the last call.
  virtual void progress(const progress_counters& done) = 0;
  // Asks for pump() to be called again after `delay` (zero: once pending
  // replies had their turn).
  virtual void resume(std::chrono::milliseconds delay) = 0;
  // A function any thread may call to have pump() called on the walk's thread
  // (the readers call it when they have read something). It must not keep
  // the walk alive.
  virtual std::function<void()> waker() = 0;
  // The end of the walk: the source's root node per target, or why it failed.
  // Called once.
  virtual void finish(expected<source_result> result) = 0;
};


class dir_walk {
public:
  // The sink must outlive the walk.
  dir_walk(walk_sink& sink, walk_options options);

  // The counting walk (backup/source_scan.hpp) over the same file cache.
  source_totals count();
  // Starts the walk; the sink's finish() is called when the root's trees are sealed.
  void start();
  // Walks and reads while the window has room.
  void pump();
  // Stops early: finish() gets cancelled (if it was not called yet).
  void stop();
  ~dir_walk();

private:
  void start_readers();
  bool window_full() const;
  void visit(pending_dir* dir, size_t index);
  // Takes the listing of a directory the walk enters; false when it could not be read.
  std::optional<error> enter(pending_dir* dir, const std::string& abs);
  bool other_file_system(const fs::metadata& m) const;
  void load_cache(pending_dir* dir);
  bool reusable(pending_dir* dir, const std::string& name, const fs::metadata& meta,
                std::vector<std::vector<object_id>>& out) const;
  const byte_buffer& cached_xattrs(pending_dir* dir, const std::string& name) const;
  pending_file* start_file(pending_dir* dir, size_t slot, const std::string& abs, const fs::metadata& meta);
  // Hard links (dir_walk_links.cpp): true when this name of an inode met
  // before takes (or will take) that name's chunks instead of being read.
  bool follow_link(pending_dir* dir, size_t slot, const std::string& abs, const fs::metadata& meta);
  void lead_links(pending_file* file);
  void take_link(const link_share& share, pending_dir* dir, size_t slot, const fs::metadata& meta);
  // The first name was read (or failed): its followers get its chunks (or are read).
  void resolve_links(pending_file* file);
  // Takes what the readers have read: chunks go to the sink to be sealed.
  void drain();
  void emit(pending_file* file, chunk_ptr data);
  void on_sealed(pending_file* file, size_t seq, const seal_result& r, size_t size);
  void finish_reading(pending_file* file, const repo::read_event& last);
  void complete_file(pending_file* file);
  void maybe_finalize(pending_dir* dir);
  void finalize(pending_dir* dir);
  void dir_done(pending_dir* dir);
  // Writes directory `dir`'s file cache rows for target t, unless they are unchanged.
  void store_cache_of(pending_dir* dir, size_t t);
  void note_failures(const seal_result& r);
  void skip(const std::string& path, const std::string& reason);
  void fail(const error& e);
  void flush_progress(bool force);
  // The id of a tree target t stores already (in its index, not merely
  // claimed by a writer of this run): the walk needs no seal for it.
  std::optional<object_id> stored_tree(size_t t, byte_view tree);
  // A seal request of `size` bytes was sent / answered (the window's count).
  void sent_seal(size_t size);
  void answered_seal(size_t size);
  // Fails the run when seals are awaited and none was answered for timeouts::seal.
  void watch_seals();

  walk_sink& sink_;
  walk_options options_;
  size_t targets_;
  repo::chunker chunker_;
  fs::exclude_matcher excludes_;
  fs::directory_tags tags_;  // exclude_caches, exclude_if_present
  uint64_t root_dev_ = 0;  // one_file_system: directories on other devices stay empty
  std::unique_ptr<catalog::catalog> cache_;
  size_t cache_reads_ = 0;  // directories whose file cache was read (for its snapshots)
  std::vector<std::vector<object_id>> reuse_scratch_;  // visit(): an unchanged file's chunks, per target

  bool running_ = false;  // started, and finish() not called yet
  source_result result_;
  uint32_t active_ = 0;
  // Targets that may hold a path: all active ones, or only those that encrypt.
  uint32_t mask_for(bool sensitive) const { return sensitive ? active_ & ~options_.plain_targets : active_; }
  std::unordered_map<pending_dir*, std::unique_ptr<pending_dir>> dirs_;
  std::unordered_map<pending_file*, std::unique_ptr<pending_file>> files_;
  std::unordered_map<uint64_t, pending_file*> reading_;  // by read pool id
  std::map<std::pair<uint64_t, uint64_t>, link_share> links_;  // by (device, inode)
  uint64_t next_file_id_ = 0;
  std::vector<pending_dir*> stack_;
  std::unique_ptr<fs::stat_ahead> lister_;  // lists and stats directories ahead of the walk
  std::unique_ptr<repo::read_pool> pool_;  // started with the run; stopped with it
  uint64_t inflight_bytes_ = 0;
  size_t inflight_chunks_ = 0;
  std::chrono::steady_clock::time_point last_answer_{};  // of a seal, or the first sent after none
  std::optional<std::chrono::steady_clock::time_point> watch_due_;  // a watch timer is pending
  bool stopped_ = false;
  bool pumping_ = false;  // inside pump(): a directory done on its way does not pump again
  std::vector<crypto::id_hasher> hashers_;  // per target, for stored_tree()
  progress_counters progress_;
  size_t progress_items_ = 0;
};

}  // namespace cairn::backup
