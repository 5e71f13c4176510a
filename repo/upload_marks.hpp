// A machine's record that a run of its own may have left packs without an
// index file in a repository. A run marks the repository before its first
// pack goes up and drops the mark once an index file names every pack it
// uploaded (its commit, or its abort). A backup that opens the repository
// lists every pack (to index the ones a killed run left, so that their blobs
// are not stored again) only when a mark of a run that is no longer alive
// remains: on a remote target that listing costs a request per directory
// of packs, on every backup. Packs that another machine's killed run left
// are found by the next prune (which always lists), as before.
//
// A mark is a file `<dir>/<repository id>.<boot id>.<pid>.<start time>.<n>`;
// its run is alive when this boot's process `pid` started at `start time` (a
// reused pid or a reboot does not look alive) and has not ended it. Linux (/proc).
#pragma once

#include <filesystem>
#include <string>
#include <utility>

#include "base/error.hpp"

namespace cairn::repo {

inline std::filesystem::path upload_marks_dir(const std::filesystem::path& state_dir) {
  return state_dir / "uploads";
}

class upload_mark {
public:
  // Creates this process's mark for `repository_id` (0600, fsynced).
  static expected<upload_mark> make(const std::filesystem::path& dir, const std::string& repository_id);
  upload_mark(upload_mark&& other) noexcept
    : file_(std::exchange(other.file_, {})), repository_id_(std::move(other.repository_id_)) {}
  upload_mark& operator=(upload_mark&&) = delete;
  upload_mark(const upload_mark&) = delete;
  // Not dropped: the run failed in a process that may go on (the daemon);
  // the mark is renamed so that it reads as a run no longer alive.
  ~upload_mark();
  // Every pack this run uploaded is indexed.
  void drop();

private:
  upload_mark(std::filesystem::path file, std::string repository_id)
    : file_(std::move(file)), repository_id_(std::move(repository_id)) {}
  std::filesystem::path file_;
  std::string repository_id_;
};

// Whether a mark of a run that is not alive remains for `repository_id`
// (then its packs may lack an index file). A directory that cannot be read
// answers yes: listing the packs is the safe side.
bool interrupted_uploads(const std::filesystem::path& dir, const std::string& repository_id);

// After a listing indexed every pack: removes the marks of runs not alive.
void clear_interrupted_uploads(const std::filesystem::path& dir, const std::string& repository_id);

}  // namespace cairn::repo
