// Measures chunker parameters on a directory of real files: chunks per GiB
// (index size), deduplication within the corpus, and how many bytes an edit
// re-uploads (100 bytes inserted at one random place in every file >= 1 MiB).
//   build/bench/chunk_sizes DIR [DIR...]
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <unordered_set>

#include "crypto/id_hasher.hpp"
#include "repo/chunker.hpp"

using namespace cairn;

namespace {

struct result {
  uint64_t bytes = 0, unique = 0, chunks = 0, edited = 0, reuploaded = 0;
};

byte_buffer slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return byte_buffer(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::pair<object_id, size_t>> cut(const repo::chunker& c, const byte_buffer& data) {
  std::vector<std::pair<object_id, size_t>> out;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t n = c.next_cut(byte_view(data).subspan(pos), true);
    out.emplace_back(crypto::sha256_of(byte_view(data).subspan(pos, n)), n);
    pos += n;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i)
    for (auto& e : std::filesystem::recursive_directory_iterator(
           argv[i], std::filesystem::directory_options::skip_permission_denied))
      if (e.is_regular_file() && !e.is_symlink()) files.push_back(e.path());
  std::printf("| min | avg | max | chunks per GiB | dedup within corpus | re-uploaded per edit (files >= 1 MiB) |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (uint32_t avg : {256u << 10, 512u << 10, 1u << 20, 2u << 20, 4u << 20}) {
    repo::chunker c({avg / 2, avg, avg * 8, 42});
    std::unordered_set<object_id> seen;
    result r;
    std::mt19937_64 rng(7);
    for (const auto& f : files) {
      auto data = slurp(f);
      r.bytes += data.size();
      auto chunks = cut(c, data);
      std::unordered_set<object_id> mine;
      for (auto& [id, n] : chunks) {
        ++r.chunks;
        mine.insert(id);
        if (seen.insert(id).second) r.unique += n;
      }
      if (data.size() < (1u << 20)) continue;
      size_t at = rng() % data.size();
      byte_buffer changed(data.begin(), data.begin() + at);
      for (int k = 0; k < 100; ++k) changed.push_back(static_cast<uint8_t>(rng()));
      changed.insert(changed.end(), data.begin() + at, data.end());
      r.edited += 1;
      for (auto& [id, n] : cut(c, changed))
        if (!mine.count(id)) r.reuploaded += n;
    }
    double gib = static_cast<double>(r.bytes) / (1u << 30);
    std::printf("| %u KiB | %u KiB | %u KiB | %.0f | %.1f%% | %.0f KiB |\n", avg / 2048, avg / 1024,
                avg * 8 / 1024, r.chunks / gib, 100.0 * (1.0 - static_cast<double>(r.unique) / r.bytes),
                r.edited ? static_cast<double>(r.reuploaded) / r.edited / 1024 : 0.0);
  }
}
