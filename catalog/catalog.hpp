// The local SQLite state under state_dir: suite settings, targets, checkpoints
// per target, the file cache (quick content ids) and run history. WAL mode.
// One catalog object per connection; not synchronized: the catalog actor is
// the single writer, and readers open their own read-only catalog.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/id.hpp"
#include "catalog/run_status.hpp"

namespace cairn::catalog {

class cache_seal;

struct checkpoint_row {
  std::string id;      // 64 hex
  std::string target;
  std::string plan;
  int64_t time_ns = 0;
  std::string host;
  std::string parent;  // empty when none
  std::string tree;
  uint64_t files = 0;
  uint64_t bytes = 0;
  std::string stats_json;
  std::string sources_json;
  // `cairn check` found the catalog lists it but the target no longer holds
  // it (kept in the vanished_checkpoints table until check sees it again or
  // it is forgotten).
  bool vanished = false;
};

// What a file looked like when its content was last stored for a target.
struct cache_entry {
  std::string name;    // in its directory
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  uint64_t inode = 0;
  std::vector<object_id> chunks;
  byte_buffer xattrs;  // encoded (fs::encode_xattrs); an xattr change also changes ctime
};

struct run_row {
  int64_t id = 0;
  std::string plan;
  int64_t started_ns = 0;
  int64_t finished_ns = 0;
  run_status status = run_status::running;
  std::string stats_json;
  std::string error;
};

class catalog {
public:
  // Opens or creates state_dir/catalog.db (the folder is created 0700).
  static expected<std::unique_ptr<catalog>> open(const std::filesystem::path& state_dir,
                                                 bool read_only = false);
  ~catalog();

  static std::filesystem::path file_of(const std::filesystem::path& state_dir);

  // Suite-wide settings: "suite_id", "chunker_seed", ...
  expected<std::optional<std::string>> setting(const std::string& key);
  status set_setting(const std::string& key, const std::string& value);

  status record_target(const std::string& name, const std::string& description,
                       const std::string& repository_id);
  expected<std::optional<std::string>> target_repository(const std::string& name);

  status record_checkpoint(const checkpoint_row& row);
  // Newest first. Empty filters match everything.
  expected<std::vector<checkpoint_row>> checkpoints(const std::string& plan,
                                                    const std::string& target);
  status forget_checkpoint(const std::string& target, const std::string& id);
  // Marks (or unmarks) a checkpoint that check found missing on its target.
  status set_vanished(const std::string& target, const std::string& id, bool vanished, int64_t now_ns);

  // Until end_snapshot(), this connection's reads see the catalog as it was
  // at the first of them: one read transaction instead of one a query (each
  // takes and drops SQLite's file locks; a walk asks once a directory). A
  // snapshot held keeps the WAL from being emptied: end it when done.
  void begin_snapshot();
  void end_snapshot();
  // The file cache of one directory of one source, for one target.
  expected<std::vector<cache_entry>> cached_directory(const std::string& plan,
                                                      const std::string& target,
                                                      const std::string& directory);
  // Replaces a directory's cached entries by `entries` (names not in it are dropped).
  // With a seal (argument, else the one in use_cache_seal) the entries go to
  // the sealed file cache instead (catalog/cache_seal.hpp).
  status store_directory(const std::string& plan, const std::string& target,
                         const std::string& directory, const std::vector<cache_entry>& entries,
                         const cache_seal* seal = nullptr);
  // A write-only machine: this connection reads and writes the sealed file
  // cache (nullptr: the plain one again). `seal` must outlive its use.
  void use_cache_seal(std::shared_ptr<const cache_seal> seal);
  // The end of a walk of `source` with `seal`: drops the sealed rows of that
  // source not stored in this generation (directories no longer there), then
  // truncates the WAL, so that nothing describes files that are gone.
  status drop_unvisited(const std::string& plan, const std::string& target, const std::string& source,
                        const cache_seal& seal);

  expected<int64_t> begin_run(const std::string& plan, int64_t started_ns);
  status finish_run(const run_row& row);
  expected<std::vector<run_row>> runs(const std::string& plan, int limit);

  // Groups writes; nested calls are not supported.
  status begin();
  status commit();

  // A consistent copy of the whole catalog while it stays writable (SQLite's
  // online backup API), for the suite-state backup.
  status snapshot_to(const std::filesystem::path& file);
  // The same without the file cache (it describes this machine's inodes and
  // can be large): what the suite-state backup carries.
  // `finishing`: the run writing this snapshot, recorded in the copy as it
  // ends (its row in the catalog still says running until then).
  expected<byte_buffer> snapshot_for_backup(const std::filesystem::path& scratch,
                                            const run_row* finishing = nullptr);

private:
  struct impl;
  explicit catalog(std::unique_ptr<impl> p);
  expected<std::vector<cache_entry>> sealed_directory(const std::string& plan, const std::string& target,
                                                      const std::string& directory);
  status store_sealed(const std::string& plan, const std::string& target, const std::string& directory,
                      const std::vector<cache_entry>& entries, const cache_seal& seal);
  std::unique_ptr<impl> impl_;
};

}  // namespace cairn::catalog
