// The backup walk alone (backup/dir_walk.hpp), without actors, targets or
// packs: how fast the walk, the readers and the chunker go over a tree, and
// what sealing costs on top. The sink seals on `--sealers` threads the way the
// sealer actors do (keyed id, then zstd of the chunks not seen before) and
// stores nothing. With --twice, a second walk runs with the file cache the
// first one wrote (a no-change backup's walk). Drop the page cache first for
// cold figures (as root: sync; echo 3 > /proc/sys/vm/drop_caches).
// With --list N, only the listing runs: fs::stat_ahead on N threads, taken in
// the walk's order (the floor of a no-change walk; N = 0 lists on one thread).
//   build/bench/walk DIR [--readers N] [--sealers N] [--no-seal] [--twice] [--list N]
// Prints per walk: wall time, files, bytes read, MB/s, user and system CPU,
// peak RSS.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>

#include "backup/dir_walk.hpp"
#include "fs/stat_ahead.hpp"
#include "repo/compression.hpp"
#include "repo/repo_format.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using clock_type = std::chrono::steady_clock;

namespace {

struct settings {
  std::filesystem::path dir;
  size_t readers = 4;
  size_t sealers = 2;
  bool seal = true;
  bool twice = false;
};

// Seal jobs run on worker threads; their answers come back to the walk's
// thread through `answers`, as actor replies would.
class bench_sink final : public backup::walk_sink {
public:
  bench_sink(std::shared_ptr<repo::repository> repo, std::unique_ptr<catalog::catalog> db, const settings& s)
    : repo_(std::move(repo)), db_(std::move(db)), seal_(s.seal) {
    for (size_t i = 0; i < s.sealers; ++i) workers_.emplace_back([this] { work(); });
  }
  ~bench_sink() override {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    jobs_cv_.notify_all();
    for (auto& w : workers_) w.join();
  }

  void seal(chunk_ptr data, uint32_t, repo::blob_type, sealed done) override {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back({std::move(data), std::move(done)});
    }
    jobs_cv_.notify_one();
  }
  void store_cache(catalog::file_cache_update u) override {
    (void)db_->store_directory(u.plan, u.target, u.directory, u.entries, u.seal.get());
  }
  void reading(const std::string&) override {}
  void progress(const progress_counters&) override {}
  void resume(std::chrono::milliseconds) override { wake(); }
  std::function<void()> waker() override { return [this] { wake(); }; }
  void finish(expected<backup::source_result> r) override { result_ = std::move(r); }

  // Drives the walk on this thread until it ends.
  expected<backup::source_result> run(backup::dir_walk& walk) {
    result_.reset();
    walk.start();
    while (!result_) {
      std::deque<std::function<void()>> answers;
      {
        std::unique_lock lock(mutex_);
        answers_cv_.wait_for(lock, std::chrono::milliseconds(5), [&] { return woken_ || !answers_.empty(); });
        woken_ = false;
        answers.swap(answers_);
      }
      for (auto& a : answers) a();
      if (!result_) walk.pump();
    }
    return std::move(*result_);
  }

private:
  struct job {
    chunk_ptr data;
    sealed done;
  };

  void wake() {
    {
      std::lock_guard lock(mutex_);
      woken_ = true;
    }
    answers_cv_.notify_one();
  }

  void work() {
    auto hasher = repo_->make_hasher();
    while (true) {
      job j;
      {
        std::unique_lock lock(mutex_);
        jobs_cv_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        j = std::move(jobs_.front());
        jobs_.pop_front();
      }
      backup::seal_result r;
      r.ids.resize(1);
      r.errors.resize(1);
      if (seal_) {
        r.ids[0] = hasher.id_of(j.data->view());
        if (repo_->index().claim(r.ids[0])) {
          auto encoded = repo::encode_blob(j.data->view(), repo::default_zstd_level);
          r.bytes_new = j.data->size();
          r.bytes_stored = encoded.size();
          new_bytes_ += j.data->size();
          stored_bytes_ += encoded.size();
          if (!encoded.empty() && encoded[0] == static_cast<uint8_t>(repo::blob_encoding::raw))
            raw_bytes_ += j.data->size();
          repo_->index().add_known({r.ids[0]});
        }
      }
      {
        std::lock_guard lock(mutex_);
        answers_.push_back([done = std::move(j.done), r = std::move(r)]() mutable { done(std::move(r)); });
      }
      answers_cv_.notify_one();
    }
  }

public:
  std::atomic<uint64_t> new_bytes_{0}, stored_bytes_{0}, raw_bytes_{0};  // what sealing found new, stored, left raw

private:
  std::shared_ptr<repo::repository> repo_;
  std::unique_ptr<catalog::catalog> db_;
  bool seal_;
  std::mutex mutex_;
  std::condition_variable jobs_cv_, answers_cv_;
  std::deque<job> jobs_;
  std::deque<std::function<void()>> answers_;
  bool woken_ = false;
  bool closing_ = false;
  std::vector<std::thread> workers_;
  std::optional<expected<backup::source_result>> result_;
};

double seconds_of(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; }

int walk_once(const settings& s, std::shared_ptr<repo::repository> repo, const std::filesystem::path& state,
              const char* label) {
  auto db = catalog::catalog::open(state);
  if (!db) {
    std::fprintf(stderr, "walk: %s\n", db.error().message().c_str());
    return 1;
  }
  bench_sink sink(repo, std::move(*db), s);
  backup::walk_options o;
  o.plan = "bench";
  o.source.type = config::source_type::dir;
  o.source.name = "src";
  o.source.path = s.dir;
  o.target_names = {"t"};
  o.repos = {repo};
  o.state_dir = state;
  o.chunker = repo->header().chunker;
  o.readers = s.readers;
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = clock_type::now();
  backup::dir_walk walk(sink, o);
  auto r = sink.run(walk);
  double wall = std::chrono::duration<double>(clock_type::now() - start).count();
  getrusage(RUSAGE_SELF, &after);
  if (!r) {
    std::fprintf(stderr, "walk: %s\n", r.error().message().c_str());
    return 1;
  }
  double mb = static_cast<double>(r->stats.bytes_read) / 1e6;
  std::printf("%-8s wall %.2f s  files %llu (%llu read)  read %.1f MB  %.1f MB/s  user %.2f s  sys %.2f s  "
              "peak RSS %ld MiB\n",
              label, wall, static_cast<unsigned long long>(r->stats.files),
              static_cast<unsigned long long>(r->stats.files_new + r->stats.files_changed), mb, mb / wall,
              seconds_of(after.ru_utime) - seconds_of(before.ru_utime),
              seconds_of(after.ru_stime) - seconds_of(before.ru_stime), after.ru_maxrss / 1024);
  if (s.seal && sink.new_bytes_ > 0)
    std::printf("         sealed: %.1f MB new -> %.1f MB encoded (%.1f MB of it left uncompressed)\n",
                static_cast<double>(sink.new_bytes_) / 1e6, static_cast<double>(sink.stored_bytes_) / 1e6,
                static_cast<double>(sink.raw_bytes_) / 1e6);
  return 0;
}

// Lists and stats the tree the way the walk does, and nothing else.
int list_only(const settings& s, size_t threads) {
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  auto start = clock_type::now();
  fs::stat_ahead_options o;
  o.threads = threads;
  fs::stat_ahead lister(std::move(o));
  uint64_t dirs = 0, entries = 0;
  std::function<void(const std::string&)> visit = [&](const std::string& path) {
    auto l = lister.take(path);
    ++dirs;
    entries += l.names.size();
    for (size_t i = 0; i < l.stats.size(); ++i)
      if (l.stats[i] && l.stats[i]->type == fs::file_type::directory) visit(fs::join_path(path, l.names[i]));
    lister.forget_under(path);
    if (l.handle) lister.release(std::move(*l.handle));
  };
  visit(s.dir);
  lister.stop();
  double wall = std::chrono::duration<double>(clock_type::now() - start).count();
  getrusage(RUSAGE_SELF, &after);
  std::printf("list     wall %.2f s  %llu directories  %llu entries  %zu threads  user %.2f s  sys %.2f s\n", wall,
              static_cast<unsigned long long>(dirs), static_cast<unsigned long long>(entries), threads,
              seconds_of(after.ru_utime) - seconds_of(before.ru_utime),
              seconds_of(after.ru_stime) - seconds_of(before.ru_stime));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  settings s;
  std::optional<size_t> list_threads;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> size_t {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "walk: %s needs a number\n", a.c_str());
        std::exit(2);
      }
      return std::strtoul(argv[++i], nullptr, 10);
    };
    if (a == "--readers") s.readers = std::max<size_t>(1, value());
    else if (a == "--sealers") s.sealers = std::max<size_t>(1, value());
    else if (a == "--no-seal") s.seal = false;
    else if (a == "--twice") s.twice = true;
    else if (a == "--list") list_threads = value();
    else if (!a.empty() && a[0] != '-' && s.dir.empty()) s.dir = a;
    else {
      std::fprintf(stderr, "usage: walk DIR [--readers N] [--sealers N] [--no-seal] [--twice] [--list N]\n");
      return 2;
    }
  }
  if (s.dir.empty()) {
    std::fprintf(stderr, "usage: walk DIR [--readers N] [--sealers N] [--no-seal] [--twice] [--list N]\n");
    return 2;
  }
  if (list_threads) return list_only(s, *list_threads);
  repo::create_options co;
  co.encryption = crypto::encryption::none;
  auto repo = repo::repository::create(std::make_shared<targets::memory_target>(), co, nullptr, {});
  if (!repo) {
    std::fprintf(stderr, "walk: %s\n", repo.error().message().c_str());
    return 1;
  }
  auto tmpl = (std::filesystem::temp_directory_path() / "cairn-walk-XXXXXX").string();  // honours TMPDIR
  if (!::mkdtemp(tmpl.data())) {
    std::fprintf(stderr, "walk: cannot create a state directory %s: %s\n", tmpl.c_str(), std::strerror(errno));
    return 1;
  }
  std::filesystem::path state = tmpl;
  int rc = walk_once(s, *repo, state, "first");
  if (rc == 0 && s.twice) rc = walk_once(s, *repo, state, "again");
  std::error_code ec;
  std::filesystem::remove_all(state, ec);
  return rc;
}
