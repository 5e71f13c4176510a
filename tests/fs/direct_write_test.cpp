#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "fs/destination.hpp"
#include "fs/direct_write.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;

namespace {

struct piece {
  uint64_t offset;
  size_t length;
};

}  // namespace

TEST_CASE("direct_writer: chunks at any offset, in any order, from two threads, make the same file") {
  testing::temp_dir dir;
  auto path = dir / "big";
  // 6 MiB of content with zero runs (holes) and a tail that is not a whole block.
  std::mt19937_64 rng(7);
  std::string expected(6 * 1024 * 1024 + 1234, '\0');
  for (size_t i = 0; i < expected.size(); ++i) expected[i] = static_cast<char>(rng() % 255 + 1);
  std::fill(expected.begin() + 1'000'000, expected.begin() + 1'300'000, '\0');  // whole blocks of zeros
  std::fill(expected.begin() + 4'000'001, expected.begin() + 4'000'100, '\0');  // a few zeros inside a block
  // Content-defined chunks: boundaries anywhere.
  std::vector<piece> pieces;
  for (uint64_t at = 0; at < expected.size();) {
    size_t len = std::min<size_t>(expected.size() - at, 1 + rng() % (700 * 1024));
    pieces.push_back({at, len});
    at += len;
  }
  std::shuffle(pieces.begin(), pieces.end(), rng);

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  ::close(fd);
  auto write_half = [&](size_t first) {
    int out = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    direct_writer writer;
    for (size_t k = first; k < pieces.size(); k += 2) {
      auto data = byte_view(reinterpret_cast<const uint8_t*>(expected.data()) + pieces[k].offset, pieces[k].length);
      auto st = writer.write(out, pieces[k].offset, data, path.string());
      if (!st) FAIL(st.error().message());
    }
    ::close(out);
  };
  std::thread other(write_half, 1);
  write_half(0);
  other.join();
  // Zeros at the end are holes too: the size comes from the caller, as restore does.
  REQUIRE(::truncate(path.c_str(), static_cast<off_t>(expected.size())) == 0);
  CHECK(testing::read_all(path) == expected);

  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 < expected.size() - 250'000);  // the zero run stayed a hole
}

TEST_CASE("direct_writer: whole blocks bypass the page cache") {
  testing::temp_dir dir;
  auto path = dir / "cold";
  std::vector<uint8_t> data(4 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 1);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  direct_writer writer;
  REQUIRE(writer.write(fd, 100, data, path.string()));  // starts inside the first block
  ::close(fd);

  // mincore: which pages of the file are in the page cache.
  int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(in >= 0);
  size_t size = data.size() + 100;
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, in, 0);
  REQUIRE(map != MAP_FAILED);
  long page = ::sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> resident((size + page - 1) / page);
  REQUIRE(::mincore(map, size, resident.data()) == 0);
  size_t cached = std::count_if(resident.begin(), resident.end(), [](unsigned char c) { return c & 1; });
  // The file system may not take O_DIRECT (then everything is cached, and correct).
  int probe = ::open(path.c_str(), O_RDONLY | O_DIRECT | O_CLOEXEC);
  bool direct_here = probe >= 0;
  if (direct_here) ::close(probe);
  if (direct_here) CHECK(cached <= 2);  // only the partial blocks at both ends
  CHECK(std::equal(data.begin(), data.end(), static_cast<const uint8_t*>(map) + 100));
  ::munmap(map, size);
  ::close(in);
}
