// The work of a dir source, separate from its message handlers. Used only by
// dir_source.cpp; runs on the source actor's thread, while a pool of reader
// threads (repo/read_pool.hpp) reads and cuts the files it hands them.
#pragma once

#include <chrono>
#include <optional>
#include <unordered_map>

#include "actors/dir_source.hpp"
#include "catalog/catalog.hpp"
#include "crypto/id_hasher.hpp"
#include "fs/directory_tags.hpp"
#include "fs/exclude.hpp"
#include <map>
#include <utility>

#include "fs/stat_ahead.hpp"
#include "repo/read_pool.hpp"

namespace cairn::actors {

struct pending_dir {
  pending_dir* parent = nullptr;
  size_t slot = 0;                 // our node in the parent
  std::string rel;                 // SOURCE/dir/...: the file cache's key for this directory
  std::string abs;
  fs::metadata meta;
  std::optional<fs::directory> handle;  // open while the walk is inside this directory
  std::vector<std::string> names;  // entries still to visit from `next`
  std::vector<expected<fs::metadata>> stats;  // stat of names[i] made ahead (may be shorter)
  size_t next = 0;
  bool walked = false;
  bool finalizing = false;
  std::vector<repo::node> nodes;
  std::vector<std::vector<std::vector<object_id>>> content;  // [slot][target]
  std::vector<std::vector<object_id>> subtrees;               // [slot][target]
  std::vector<bool> dropped;                                  // could not be read
  std::vector<bool> sensitive;                                // [slot] a resource's sensitive path
  bool is_sensitive = false;       // this directory is (or lies under) a sensitive path
  std::string srel;                // relative to the source's root ("" for the root)
  std::vector<std::unordered_map<std::string, catalog::cache_entry>> cache;  // [target]
  std::vector<std::vector<catalog::cache_entry>> fresh;                     // [target]
  std::vector<object_id> tree_ids;                                          // [target]
  size_t outstanding = 0;          // children, chunks and tree stores not finished
};

struct pending_file {
  pending_dir* dir = nullptr;
  bool sensitive = false;  // sealed only for targets that encrypt
  size_t slot = 0;
  std::string abs;
  fs::metadata before;
  uint64_t id = 0;     // the read pool's handle
  bool reading = true;  // until the pool's last event for it
  size_t emitted = 0;
  size_t done = 0;
  bool failed = false;
  bool leads_links = false;  // other names of its inode wait for its chunks (dir_walk_links.cpp)
  std::vector<std::vector<object_id>> chunks;  // [target][seq]
};

// Names of one inode met in one walk (hard links): the first is read, the
// others take its chunks instead of reading the same bytes again.
struct link_share {
  fs::metadata before;          // the first name's stat: the others must match it
  bool sensitive = false;
  pending_file* leader = nullptr;  // while the first name is read
  bool failed = false;
  bool cacheable = true;        // it did not change while it was read
  std::vector<fs::xattr> xattrs;
  std::vector<std::vector<object_id>> chunks;  // [target], once read
  struct follower {
    pending_dir* dir;
    size_t slot;
    std::string abs;
    fs::metadata meta;
  };
  std::vector<follower> followers;  // waiting for the first name's chunks
  uint64_t seen = 1;                // names met so far
};

class dir_walk {
public:
  dir_walk(source_actor::stateful_pointer<dir_source_state> self, source_options options);

  source_totals count();
  // Starts the run; the promise is delivered when the root's trees are stored.
  void start(caf::typed_response_promise<source_result> promise);
  // Walks and reads while the window has room.
  void pump();
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
  // Takes what the readers have read: chunks go to the sealers.
  void drain();
  void emit(pending_file* file, chunk_ptr data);
  void on_sealed(pending_file* file, size_t seq, const seal_result& r, size_t size);
  void finish_reading(pending_file* file, const repo::read_event& last);
  void complete_file(pending_file* file);
  void maybe_finalize(pending_dir* dir);
  void finalize(pending_dir* dir);
  void dir_done(pending_dir* dir);
  void note_failures(const seal_result& r);
  void skip(const std::string& path, const std::string& reason);
  void fail(const error& e);
  void flush_progress(bool force);
  sealer_actor next_sealer();
  // A seal request of `size` bytes was sent / answered (the window's count).
  void sent_seal(size_t size);
  void answered_seal(size_t size);
  // Fails the run when seals are awaited and none was answered for timeouts::seal.
  void watch_seals();

  source_actor::stateful_pointer<dir_source_state> self_;
  source_options options_;
  size_t targets_;
  repo::chunker chunker_;
  fs::exclude_matcher excludes_;
  fs::directory_tags tags_;  // exclude_caches, exclude_if_present
  uint64_t root_dev_ = 0;  // one_file_system: directories on other devices stay empty
  std::unique_ptr<catalog::catalog> cache_;
  std::vector<crypto::id_hasher> hashers_;

  std::optional<caf::typed_response_promise<source_result>> promise_;
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
  size_t next_sealer_ = 0;
  bool stopped_ = false;
  progress_counters progress_;
  size_t progress_items_ = 0;
};

}  // namespace cairn::actors
