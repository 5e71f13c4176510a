#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <vector>

#include "fs/file_reader.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;
using cairn::testing::make_cold;
using cairn::testing::write_file;

namespace {

std::vector<uint8_t> pattern(size_t n) {
  std::vector<uint8_t> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>((i * 7919) >> 3);
  return data;
}

// How many of the file's pages are in the page cache.
size_t cached_pages(const std::filesystem::path& p, size_t size) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  long page = ::sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> in((size + page - 1) / page);
  ::mincore(map, size, in.data());
  ::munmap(map, size);
  return static_cast<size_t>(std::count_if(in.begin(), in.end(), [](unsigned char c) { return c & 1; }));
}

// Reads it all in odd-sized pieces, as the read pool's buffer refills do.
std::vector<uint8_t> read_all(const std::filesystem::path& p, uint64_t size) {
  auto r = file_reader::open(p.string(), {size, -1});
  REQUIRE(r);
  std::vector<uint8_t> out;
  std::vector<uint8_t> piece(300'007);
  for (;;) {
    auto n = r->read(piece.data(), piece.size());
    REQUIRE(n);
    if (*n == 0) break;
    out.insert(out.end(), piece.begin(), piece.begin() + static_cast<long>(*n));
  }
  return out;
}

}  // namespace

TEST_CASE("file_reader: a large file that is not cached is read around the page cache, and is whole") {
  testing::temp_dir dir;
  auto p = dir / "cold.bin";
  auto data = pattern((5 << 20) + 4321);  // not a whole number of blocks
  write_file(p, data);
  make_cold(p);
  if (cached_pages(p, data.size()) != 0) return;  // this file system keeps it cached anyway
  CHECK(read_all(p, data.size()) == data);
  // O_DIRECT where the file system takes it: almost nothing of the file came
  // into the cache (asking whether its first block is cached may start a
  // small read-ahead).
  int probe = ::open(p.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  if (probe >= 0) {
    ::close(probe);
    CHECK(cached_pages(p, data.size()) <= 32);  // of 1282
  }
}

TEST_CASE("file_reader: a cached large file and a small file are read through the cache") {
  testing::temp_dir dir;
  auto big = dir / "warm.bin";
  auto data = pattern(3 << 20);
  write_file(big, data);  // just written: in the cache
  CHECK(read_all(big, data.size()) == data);
  CHECK(cached_pages(big, data.size()) == (data.size() + 4095) / 4096);

  auto small = dir / "small.bin";
  auto few = pattern(100'000);
  write_file(small, few);
  make_cold(small);
  CHECK(read_all(small, few.size()) == few);
  CHECK(cached_pages(small, few.size()) > 0);
}

TEST_CASE("file_reader: a file that grows while it is read direct is read to its new end") {
  testing::temp_dir dir;
  auto p = dir / "growing.bin";
  auto data = pattern((2 << 20) + 100);
  write_file(p, data);
  make_cold(p);
  auto r = file_reader::open(p.string(), {data.size(), -1});
  REQUIRE(r);
  std::vector<uint8_t> out(data.size() + 10'000);
  size_t got = 0;
  for (;;) {  // to the end as it was
    auto n = r->read(out.data() + got, out.size() - got);
    REQUIRE(n);
    got += *n;
    if (*n == 0 || got == data.size()) break;
  }
  REQUIRE(got == data.size());
  auto more = pattern(5000);
  std::ofstream(p, std::ios::binary | std::ios::app).write(reinterpret_cast<const char*>(more.data()), 5000);
  for (;;) {  // from an offset that is not aligned any more
    auto n = r->read(out.data() + got, out.size() - got);
    REQUIRE(n);
    if (*n == 0) break;
    got += *n;
  }
  CHECK(got == data.size() + 5000);
  CHECK(std::equal(more.begin(), more.end(), out.begin() + static_cast<long>(data.size())));
}
