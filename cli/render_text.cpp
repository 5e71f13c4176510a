#include "cli/render_text.hpp"

#include <ctime>
#include <iostream>

namespace cairn::cli {

using json = nlohmann::json;

void emit(const json& j) {
  std::cout << j.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
}

std::string local_time(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm {};
  localtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string with_commas(uint64_t n) {
  auto s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

json stats_json(const repo::checkpoint_stats& s) {
  auto j = json::parse(repo::encode_stats(s));
  j["duration_seconds"] = static_cast<double>(s.duration_ns) / 1e9;
  j.erase("duration_ns");
  return j;
}

std::string mode_string(const fs::metadata& m) {
  std::string s(10, '-');
  switch (m.type) {
    case fs::file_type::directory: s[0] = 'd'; break;
    case fs::file_type::symlink: s[0] = 'l'; break;
    case fs::file_type::fifo: s[0] = 'p'; break;
    case fs::file_type::char_device: s[0] = 'c'; break;
    case fs::file_type::block_device: s[0] = 'b'; break;
    case fs::file_type::socket: s[0] = 's'; break;
    default: break;
  }
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (m.mode & (1u << (8 - i))) s[1 + i] = rwx[i];
  if (m.mode & 04000) s[3] = (m.mode & 0100) ? 's' : 'S';
  if (m.mode & 02000) s[6] = (m.mode & 0010) ? 's' : 'S';
  if (m.mode & 01000) s[9] = (m.mode & 0001) ? 't' : 'T';
  return s;
}

}  // namespace cairn::cli
