// Lists directories and stats their entries ahead of a walk, on a few threads,
// so a walk over a cold page cache waits on several disk requests at once
// instead of one stat at a time. The walk asks for each directory it enters
// with take(); what it gets is what it would have read itself (same names,
// same stat results), only earlier, so the walk's output does not depend on
// the number of threads.
//
// Directories are prefetched in the walk's order (depth first, entries sorted
// bytewise), starting below every directory taken. At most `max_dirs`
// listings (each holding an open directory) and `max_entries` entries wait
// to be taken; a directory the threads have not reached is listed by take()
// itself. Thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fs/metadata.hpp"

namespace cairn::fs {

struct listing {
  std::optional<directory> handle;              // open, when listing worked
  std::vector<std::string> names;               // sorted bytewise
  std::vector<expected<metadata>> stats;        // directory::stat of names[i]
  // directory::complete of stats[i] (owner names, a symlink's target and, for
  // all but regular files, the xattrs by path), done ahead as well: the walk's
  // own thread is what a walk with few changes waits for. Kept apart from
  // stats[i], so that the walk reports a failure only for an entry it does
  // not exclude.
  std::vector<status> completed;
  std::optional<error> failed;                  // opening or reading the directory
};

// Lists `path`, stats and completes every entry, on the calling thread.
listing list_and_stat(const std::string& path);

// The order a walk visits paths in: depth first, names bytewise ('/' sorts
// before every other byte, so a directory's descendants follow it at once).
bool walk_before(const std::string& a, const std::string& b);

struct stat_ahead_options {
  size_t threads = 2;  // 0: take() lists every directory itself
  size_t max_dirs = 64;
  size_t max_entries = 1 << 15;
  // Whether the walk will enter the subdirectory `path` (not excluded, same
  // file system...). Called on the pool's threads; must be thread-safe.
  std::function<bool(const std::string& path, const metadata& m)> descend;
};

class stat_ahead {
public:
  explicit stat_ahead(stat_ahead_options options);
  ~stat_ahead();
  stat_ahead(const stat_ahead&) = delete;
  stat_ahead& operator=(const stat_ahead&) = delete;

  // The listing of `path`: the prefetched one (waiting for it when a thread
  // is listing it), or listed now. Its subdirectories are queued.
  listing take(const std::string& path);
  // The walk has left `path`: drops what waits or is queued below it.
  void forget_under(const std::string& path);
  // Closes a directory the walk is done with on one of the threads (a close
  // frees the kernel's directory-reading state, a few microseconds of the
  // walk's time per directory on ext4), or now when there are none.
  void release(directory d);
  void stop();

private:
  struct slot {
    bool done = false;
    listing result;
  };
  // Depth-first order of paths: '/' sorts before every other byte.
  struct walk_order {
    bool operator()(const std::string& a, const std::string& b) const;
  };
  void run();
  void queue_children(const std::string& path, const listing& l);  // with mutex_ held

  stat_ahead_options options_;
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable ready_;
  std::set<std::string, walk_order> queue_;
  std::map<std::string, std::shared_ptr<slot>, walk_order> slots_;  // being listed or waiting to be taken
  std::vector<directory> to_close_;
  size_t held_entries_ = 0;
  size_t held_dirs_ = 0;
  std::string waiting_;  // the path take() waits for, if any
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cairn::fs
