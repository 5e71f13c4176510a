// Carrying out a restore plan into a destination, split so an actor can run
// it on several threads. Everything goes through fs::destination: no step
// follows a symlink or writes through a hard link that was in the
// destination, and metadata goes only to inodes this restore created or
// verified. A file's content is written under a temporary name and renamed
// into place only when all of it was restored: a file that could not be
// restored leaves nothing behind, or the older copy that was there.
//
// Order of use (each step may run on several threads at once, on distinct
// ranges of entries):
//   create_entries and fetch_pack, in any order, in parallel
//   -> finish_files -> link_hardlinks -> apply_metadata -> apply_directory_metadata
// Into a destination that holds an older copy, only what differs is fetched:
//   create_entries (all) -> reuse_existing -> fetch_pack -> finish_files -> ...
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fs/destination.hpp"
#include "fs/direct_write.hpp"
#include "recovery/restore_plan.hpp"
#include "repo/pack.hpp"
#include "targets/target.hpp"

namespace cairn::recovery {

struct entry_problem {
  std::string path;
  std::string reason;
};

// The memory fetch_pack reads ranges into, opens blobs in and writes files
// through. One per fetching thread, kept from pack to pack: memory new to a
// process is zeroed page by page by the kernel as it is first touched, and
// buffers made afresh for every pack (and given back between packs) cost a
// restore more page faults than it writes files.
struct fetch_buffers {
  targets::target::read_buffer fetched;  // each range's bytes
  repo::blob_scratch scratch;            // each blob's plaintext
  fs::direct_writer direct;
};

struct fetch_outcome {
  uint64_t bytes_written = 0;
  uint64_t bytes_reused = 0;   // already in place in the destination (reuse_existing)
  uint64_t bytes_fetched = 0;
  std::vector<object_id> damaged;
  std::vector<std::string> errors;
  std::vector<entry_problem> problems;  // entries not restored (create, write, finish)
};

class restore_execution {
public:
  // Opens (creating it when missing) the destination.
  static expected<std::shared_ptr<restore_execution>> create(std::shared_ptr<const restore_plan> plan,
                                                             const std::filesystem::path& to,
                                                             const fs::apply_options& options);

  const restore_plan& plan() const { return *plan_; }

  // Directories, symlinks, special files and empty files of entries
  // [begin, end). Missing parents are created on the way.
  std::vector<entry_problem> create_entries(size_t begin, size_t end);

  // For the files of entries [begin, end) that exist in the destination
  // already (regular, one link): reads each chunk's range there and keeps the
  // chunks whose content has the right id, so fetch_pack fetches only the
  // others. Returns the bytes kept.
  uint64_t reuse_existing(size_t begin, size_t end, const repo::repository& repo);

  // Reads the blobs of one pack (coalescing neighbours into one ranged read),
  // verifies each against its id and writes it into the temporary files of
  // the entries that use it; all-zero 4 KiB blocks stay holes.
  fetch_outcome fetch_pack(const repo::repository& repo, const pack_work& work, fetch_buffers& buffers);

  // Like fetch_pack, for blobs that come from elsewhere (a single-file
  // archive): `read` gives each needed blob's verified plaintext, or why not
  // (the files using it are then not restored, and the blob is named damaged).
  using blob_reader = std::function<expected<byte_buffer>(const planned_blob&)>;
  fetch_outcome deliver_pack(const pack_work& work, const blob_reader& read);
  // When a pack's job failed as a whole: the files it feeds are not restored.
  void lose_pack(size_t pack);

  // Files of entries [begin, end) with content: those restored entirely get
  // their size and are renamed into place; the others are removed.
  std::vector<entry_problem> finish_files(size_t begin, size_t end);

  std::vector<entry_problem> link_hardlinks();

  // Owner, xattrs, mode and mtime of the non-directory entries [begin, end).
  std::vector<entry_problem> apply_metadata(size_t begin, size_t end);

  // Directories last, deepest first: their mtimes and read-only modes must
  // come after everything inside them was written.
  std::vector<entry_problem> apply_directory_metadata();

  // Files that use any of `damaged` blobs: "path: reason".
  std::vector<std::string> files_using(const std::vector<object_id>& damaged) const;

  // Regular files that were not restored.
  uint64_t files_not_restored() const;

  // Cancelling: once `flag` is set (from any thread), fetch_pack stops
  // before its next read. Set the flag before the steps start.
  void watch_cancel(std::shared_ptr<const std::atomic<bool>> flag) { cancel_ = std::move(flag); }
  bool cancelled() const { return cancel_ && cancel_->load(); }
  // After a cancel, once no step runs: removes every temporary file this
  // restore made that was not renamed into place, so the destination holds
  // only whole files (those restored before the cancel) and directories.
  void discard_unfinished();

  // Bytes of pack ranges all fetchers together hold at once (a range larger
  // than this is read alone).
  static constexpr uint64_t fetch_budget = 16u << 20;

private:
  // Holds `bytes` of the fetch budget while it lives.
  class fetch_grant {
  public:
    fetch_grant(restore_execution& exec, uint64_t bytes);
    ~fetch_grant();
    fetch_grant(const fetch_grant&) = delete;
    fetch_grant& operator=(const fetch_grant&) = delete;

  private:
    restore_execution& exec_;
    uint64_t bytes_;
  };

  restore_execution(std::shared_ptr<const restore_plan> plan, std::shared_ptr<fs::destination> dest,
                    fs::apply_options options);
  struct range {
    uint64_t offset, length;
  };
  // What reuse_existing found of an older copy.
  struct older_copy {
    fs::identity id;               // the older copy (unknown when it is identical and stays)
    std::vector<range> in_place;   // its chunks that are in place (sorted)
  };
  expected<fs::dir_ptr> parent_dir(size_t entry, bool create) const;
  std::string leaf(size_t entry) const;
  std::string temp_name(size_t entry) const;
  expected<int> open_content(uint32_t entry);
  status start_file(uint32_t entry, int& fd);
  bool reused(uint32_t entry, uint64_t offset) const;
  // Writes one blob's plaintext into the temporary files of the entries
  // that use it (`fds`: files open so far, closed by the caller), and
  // finishes each file it completes.
  void write_blob(const planned_blob& pb, byte_view plain, std::unordered_map<uint32_t, int>& fds,
                  fs::direct_writer& direct, fetch_outcome& out);
  // A file whose last chunk was just written: sized, given its metadata
  // through the descriptor it was written through, and renamed into place
  // (state 5), instead of being opened again twice by later steps.
  void finish_now(uint32_t entry, std::unordered_map<uint32_t, int>& fds, fetch_outcome& out);
  void mark_failed(size_t entry) { failed_[entry].store(1); }
  bool failed(size_t entry) const { return failed_[entry].load() != 0; }

  std::shared_ptr<const restore_plan> plan_;
  std::shared_ptr<fs::destination> dest_;
  fs::apply_options options_;
  std::string temp_prefix_;

  // Per content entry: 0 nothing yet, 1 its temporary file is being made,
  // 2 made, 3 an older copy is partly in place, 4 the older copy is identical,
  // 5 finished by the fetch that wrote its last chunk (in place, with its
  // metadata).
  std::unique_ptr<std::atomic<uint8_t>[]> state_;
  // Per content entry: its chunks not written yet (nor in place).
  std::unique_ptr<std::atomic<uint32_t>[]> remaining_;
  std::unique_ptr<std::atomic<uint8_t>[]> failed_;
  // 1: fetch_pack wrote the file's last byte, so its size is right already
  // (finish_files then neither reopens nor truncates it).
  std::unique_ptr<std::atomic<uint8_t>[]> sized_;
  // The inode each entry is (set by the one thread that creates it, read
  // after the phase that created it, or after state_ says 2).
  std::vector<fs::identity> ids_;
  std::vector<std::unique_ptr<older_copy>> older_;  // states 3 and 4
  std::shared_ptr<const std::atomic<bool>> cancel_;
  std::mutex fetch_mutex_;
  std::condition_variable fetch_cv_;
  uint64_t fetch_bytes_ = 0;  // of ranges in flight (fetch_grant)
};

}  // namespace cairn::recovery
