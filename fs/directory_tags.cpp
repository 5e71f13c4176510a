#include "fs/directory_tags.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

namespace cairn::fs {

directory_tags::directory_tags(bool exclude_caches, std::vector<std::string> if_present)
  : exclude_caches_(exclude_caches), if_present_(std::move(if_present)) {}

bool is_cachedir_tag(const directory& dir, const std::string& name) {
  auto m = dir.stat(name);
  if (!m || m->type != file_type::regular || m->size < cachedir_signature.size()) return false;
  // O_NOFOLLOW and O_NONBLOCK: a symlink or a FIFO swapped in since the stat
  // neither redirects nor blocks the walk.
  int fd = ::open(join_path(dir.path(), name).c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[cachedir_signature.size()];
  size_t got = 0;
  while (got < sizeof buffer) {
    ssize_t n = ::read(fd, buffer + got, sizeof buffer - got);
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return got == sizeof buffer && std::string_view(buffer, got) == cachedir_signature;
}

std::optional<std::vector<std::string>> directory_tags::kept(const directory& dir,
                                                             const std::vector<std::string>& names) const {
  if (empty()) return std::nullopt;
  auto present = [&](const std::string& name) { return std::binary_search(names.begin(), names.end(), name); };
  std::vector<std::string> keep;
  bool tagged = false;
  for (const auto& marker : if_present_) {
    if (!present(marker)) continue;
    tagged = true;
    auto m = dir.stat(marker);
    if (m && m->type == file_type::regular) keep.push_back(marker);
  }
  if (exclude_caches_ && present("CACHEDIR.TAG") && is_cachedir_tag(dir, "CACHEDIR.TAG")) {
    tagged = true;
    keep.push_back("CACHEDIR.TAG");
  }
  if (!tagged) return std::nullopt;
  std::sort(keep.begin(), keep.end());
  keep.erase(std::unique(keep.begin(), keep.end()), keep.end());
  return keep;
}

}  // namespace cairn::fs
