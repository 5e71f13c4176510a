#include "fs/exclude.hpp"

#include <fnmatch.h>

namespace cairn::fs {

namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

bool match_parts(const std::vector<std::string>& pat, size_t pi,
                 const std::vector<std::string>& path, size_t si) {
  while (pi < pat.size()) {
    if (pat[pi] == "**") {
      for (size_t k = si; k <= path.size(); ++k)
        if (match_parts(pat, pi + 1, path, k)) return true;
      return false;
    }
    if (si >= path.size()) return false;
    if (::fnmatch(pat[pi].c_str(), path[si].c_str(), 0) != 0) return false;
    ++pi;
    ++si;
  }
  return si == path.size();
}

}  // namespace

exclude_matcher::exclude_matcher(const std::vector<std::string>& patterns) {
  for (std::string text : patterns) {
    if (text.empty()) continue;
    pattern p;
    if (text.size() > 1 && text.back() == '/') {
      p.directories_only = true;
      while (text.size() > 1 && text.back() == '/') text.pop_back();
    }
    bool anchored = text.front() == '/';
    p.parts = split(text);
    if (!anchored && (p.parts.empty() || p.parts.front() != "**"))
      p.parts.insert(p.parts.begin(), "**");
    patterns_.push_back(std::move(p));
  }
}

bool exclude_matcher::excluded(const std::string& absolute_path, bool is_directory) const {
  if (patterns_.empty()) return false;
  auto parts = split(absolute_path);
  for (const auto& p : patterns_) {
    if (p.directories_only && !is_directory) continue;
    if (match_parts(p.parts, 0, parts, 0)) return true;
  }
  return false;
}

}  // namespace cairn::fs
