// Memory per blob of the in-memory blob index (repo/index.hpp) at ~10 million
// blobs, and its lookup time: builds a blob_index through its public API the
// way opening a repository does (one pack_record at a time, as decoded from
// index files), with random ids, and reports the resident memory it grew by
// (RSS delta, /proc/self/statm) per blob, the peak on the way (VmHWM: the
// merges of new blobs into the sorted array count), and the time of find() for
// ids present and absent. Then, in a fresh index, the same through real index
// file bytes: encode_index_file, then decode_index_file + add for each file
// inside bulk_load(true/false) (the parse a repository open does, without the
// decryption), with its own peak (VmHWM reset through /proc/self/clear_refs).
//   build/bench/index_memory [--blobs N] [--per-pack K] [--file-blobs M] [--lookups L]
// Defaults: 10,000,000 blobs, 1,000 a pack (small files: many chunks a pack),
// 1,000,000 blobs through index files (8 packs a file), 1,000,000 lookups.
// Issue 15's goal: <= 48 bytes a blob.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "repo/index.hpp"

using namespace cairn;
using clock_type = std::chrono::steady_clock;

namespace {

uint64_t rss_bytes() {
  std::ifstream f("/proc/self/statm");
  uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t hwm_bytes() {  // peak RSS so far
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

struct id_source {
  std::mt19937_64 rng;
  explicit id_source(uint64_t seed) : rng(seed) {}
  object_id next() {
    object_id id;
    for (size_t i = 0; i < object_id::size; i += 8) {
      uint64_t v = rng();
      std::memcpy(id.bytes.data() + i, &v, 8);
    }
    return id;
  }
};

// A pack of `count` blobs of 1-3 KB (compressed small files), positions valid for the format.
repo::pack_record make_pack(id_source& ids, size_t count, std::vector<object_id>* sample, size_t sample_every,
                            uint64_t& serial) {
  repo::pack_record p;
  p.id = ids.next();
  auto salt = ids.next();
  std::memcpy(p.salt.data(), salt.bytes.data(), p.salt.size());
  p.blobs.reserve(count);
  uint32_t offset = repo::pack_salt_size;
  for (size_t i = 0; i < count; ++i, ++serial) {
    repo::blob_entry b;
    b.id = ids.next();
    b.type = serial % 50 == 0 ? repo::blob_type::tree : repo::blob_type::data;
    b.raw_length = 1000 + static_cast<uint32_t>(serial % 2000);
    b.length = b.raw_length + 40;
    b.offset = offset;
    offset += b.length;
    if (sample && serial % sample_every == 0) sample->push_back(b.id);
    p.blobs.push_back(b);
  }
  p.size = offset + repo::pack_trailer_size + 512;  // + the sealed table of contents
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  size_t blobs = 10'000'000, per_pack = 1000, file_blobs = 1'000'000, lookups = 1'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    size_t v = std::strtoull(argv[i + 1], nullptr, 10);
    if (a == "--blobs") blobs = v;
    else if (a == "--per-pack") per_pack = v;
    else if (a == "--file-blobs") file_blobs = v;
    else if (a == "--lookups") lookups = v;
    else {
      std::fprintf(stderr, "usage: %s [--blobs N] [--per-pack K] [--file-blobs M] [--lookups L]\n", argv[0]);
      return 2;
    }
  }
  if ((argc - 1) % 2 || per_pack == 0 || blobs < per_pack || lookups == 0) {
    std::fprintf(stderr, "usage: %s [--blobs N] [--per-pack K] [--file-blobs M] [--lookups L]\n", argv[0]);
    return 2;
  }

  // 1. Through the API, one pack record at a time.
  std::vector<object_id> present(lookups + 1);  // touched now: its pages are not the index's
  present.clear();
  std::vector<object_id> absent;
  absent.reserve(lookups);
  id_source other(99);
  for (size_t i = 0; i < lookups; ++i) absent.push_back(other.next());
  size_t packs = blobs / per_pack;
  blobs = packs * per_pack;
  std::printf("| path | blobs | build time | RSS growth (bytes a blob) | after malloc_trim | peak RSS growth | "
              "find() hit / miss (ns) | goal <= 48 bytes a blob |\n|---|---|---:|---:|---:|---:|---:|---|\n");
  double build_s = 0, hit_ns = 0, miss_ns = 0;
  uint64_t rss0 = rss_bytes(), rss1 = 0, rss_trimmed = 0, hwm = 0;
  {
    auto index = std::make_unique<repo::blob_index>();
    id_source ids(15);
    uint64_t serial = 0;
    auto t = clock_type::now();
    for (size_t p = 0; p < packs; ++p) index->add(make_pack(ids, per_pack, &present, blobs / lookups, serial));
    build_s = seconds_since(t);
    rss1 = rss_bytes();
    hwm = hwm_bytes();
    malloc_trim(0);  // whatever the heap holds free goes back to the system
    rss_trimmed = rss_bytes();
    if (index->blob_count() != blobs) {
      std::fprintf(stderr, "index_memory: %zu blobs indexed, not %zu\n", index->blob_count(), blobs);
      return 1;
    }
    size_t found = 0;
    t = clock_type::now();
    for (const auto& id : present) found += index->find(id).has_value();
    hit_ns = seconds_since(t) * 1e9 / static_cast<double>(present.size());
    t = clock_type::now();
    for (const auto& id : absent) found += index->contains(id);
    miss_ns = seconds_since(t) * 1e9 / static_cast<double>(absent.size());
    if (found != present.size()) {
      std::fprintf(stderr, "index_memory: %zu of %zu ids found\n", found, present.size());
      return 1;
    }
  }
  double per_blob = static_cast<double>(rss1 - rss0) / static_cast<double>(blobs);
  std::printf("| through the API | %zu blobs, %zu packs (%zu blobs a pack) | %.1f s (%.0f ns a blob) | %.1f | %.1f | %.1f "
              "| %.0f / %.0f | %s |\n",
              blobs, packs, per_pack, build_s, build_s * 1e9 / static_cast<double>(blobs), per_blob,
              static_cast<double>(rss_trimmed - rss0) / static_cast<double>(blobs),
              static_cast<double>(hwm - rss0) / static_cast<double>(blobs), hit_ns, miss_ns,
              per_blob <= 48 ? "met" : "**missed**");

  // 2. Through index files: 8 packs a file, as the writer stores them.
  if (file_blobs >= per_pack) {
    std::vector<byte_buffer> files;
    size_t file_packs = file_blobs / per_pack;
    file_blobs = file_packs * per_pack;
    uint64_t encoded = 0, serial = 0;
    id_source ids(16);
    for (size_t p = 0; p < file_packs; p += 8) {
      std::vector<repo::pack_record> batch;
      for (size_t q = p; q < std::min(file_packs, p + 8); ++q) batch.push_back(make_pack(ids, per_pack, nullptr, 1, serial));
      files.push_back(repo::encode_index_file(batch));
      encoded += files.back().size();
    }
    uint64_t before = rss_bytes();
    std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := the current RSS
    repo::blob_index index;
    auto t = clock_type::now();
    index.bulk_load(true);
    for (const auto& f : files) {
      auto decoded = repo::decode_index_file(f);
      if (!decoded) {
        std::fprintf(stderr, "index_memory: %s\n", decoded.error().message().c_str());
        return 1;
      }
      for (const auto& p : *decoded) index.add(p);
    }
    index.bulk_load(false);
    double load_s = seconds_since(t);
    double file_peak = static_cast<double>(hwm_bytes() - before) / static_cast<double>(file_blobs);
    double file_per_blob = static_cast<double>(rss_bytes() - before) / static_cast<double>(file_blobs);
    malloc_trim(0);
    double file_trimmed = static_cast<double>(rss_bytes() - before) / static_cast<double>(file_blobs);
    std::printf("| through index files | %zu blobs in %zu files (%.1f MiB, %.1f bytes a blob) | %.2f s (%.0f ns a blob) "
                "| %.1f | %.1f | %.1f | | %s |\n",
                file_blobs, files.size(), static_cast<double>(encoded) / 1048576.0,
                static_cast<double>(encoded) / static_cast<double>(file_blobs), load_s,
                load_s * 1e9 / static_cast<double>(file_blobs), file_per_blob, file_trimmed, file_peak, file_per_blob <= 48 ? "met" : "**missed**");
  }
  return 0;
}
