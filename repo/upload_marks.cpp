#include "repo/upload_marks.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <system_error>

namespace cairn::repo {

namespace {

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  for (auto& c : id)
    if (c == '-') c = '_';
  return id;
}

// Field 22 of /proc/PID/stat: when the process started, in clock ticks since
// boot. "" when there is no such process.
std::string start_time(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  auto close = line.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return {};
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    if (!(fields >> field)) return {};
  return field;
}

// One a run: a daemon runs several plans at once.
std::string self_name(const std::string& repository_id) {
  static std::atomic<uint64_t> runs{0};
  pid_t pid = ::getpid();
  return repository_id + "." + boot_id() + "." + std::to_string(pid) + "." + start_time(pid) + "." +
         std::to_string(++runs);
}

// A mark's run is alive: this boot, and its pid started when the mark says.
bool alive(const std::string& name, const std::string& repository_id, const std::string& boot) {
  std::istringstream parts(name.substr(repository_id.size() + 1));
  std::string mark_boot, pid_text, started;
  if (!std::getline(parts, mark_boot, '.') || !std::getline(parts, pid_text, '.') ||
      !std::getline(parts, started, '.'))
    return false;
  if (mark_boot != boot || pid_text.empty() || pid_text.size() > 9 ||
      pid_text.find_first_not_of("0123456789") != std::string::npos)
    return false;
  return start_time(static_cast<pid_t>(std::stoi(pid_text))) == started;
}

template <class F>
bool each_dead_mark(const std::filesystem::path& dir, const std::string& repository_id, F&& f) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec), end;
  if (ec) return ec != std::errc::no_such_file_or_directory;  // unreadable: say yes
  auto boot = boot_id();
  bool found = false;
  for (; it != end; it.increment(ec)) {
    if (ec) return true;
    auto name = it->path().filename().string();
    if (name.size() <= repository_id.size() || name.compare(0, repository_id.size(), repository_id) != 0 ||
        name[repository_id.size()] != '.')
      continue;
    if (alive(name, repository_id, boot)) continue;  // a run under way: it indexes its own packs
    found = true;
    f(it->path());
  }
  return found;
}

}  // namespace

expected<upload_mark> upload_mark::make(const std::filesystem::path& dir, const std::string& repository_id) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(errc::io, "cannot create " + dir.string() + ": " + ec.message());
  auto file = dir / self_name(repository_id);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  auto failed = [&](int err) {
    return fail(errc::io, "cannot create " + file.string() + ": " + std::error_code(err, std::generic_category()).message());
  };
  if (fd < 0) return failed(errno);
  bool ok = ::fsync(fd) == 0;
  int saved = errno;
  ::close(fd);
  if (!ok) return failed(saved);
  if (int d = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); d >= 0) {
    (void)::fsync(d);  // the name itself: a crash right after must find it
    ::close(d);
  }
  return upload_mark(std::move(file), repository_id);
}

upload_mark::~upload_mark() {
  if (file_.empty()) return;
  // The run ended without indexing everything (it failed), in a process that
  // may live on (the daemon): the mark must now read as a run not alive.
  static std::atomic<uint64_t> ended{0};
  auto dead = file_.parent_path() /
              (repository_id_ + ".ended." + std::to_string(::getpid()) + "." + std::to_string(++ended));
  std::error_code ec;
  std::filesystem::rename(file_, dead, ec);
}

void upload_mark::drop() {
  if (file_.empty()) return;
  std::error_code ec;
  std::filesystem::remove(file_, ec);
  file_.clear();
}

bool interrupted_uploads(const std::filesystem::path& dir, const std::string& repository_id) {
  return each_dead_mark(dir, repository_id, [](const std::filesystem::path&) {});
}

void clear_interrupted_uploads(const std::filesystem::path& dir, const std::string& repository_id) {
  each_dead_mark(dir, repository_id, [](const std::filesystem::path& p) {
    std::error_code ec;
    std::filesystem::remove(p, ec);
  });
}

}  // namespace cairn::repo
