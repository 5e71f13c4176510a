#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <thread>
#include <vector>

#include "fs/batch_read.hpp"
#include "fs/io_class.hpp"
#include "fs/file_reader.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::fs;
using cairn::testing::make_cold;
using cairn::testing::write_file;

namespace {

std::vector<uint8_t> pattern(size_t n, unsigned seed) {
  std::vector<uint8_t> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<uint8_t>((i * 7919 + seed * 31) >> 2);
  return data;
}

}  // namespace

TEST_CASE("batch_reader: cold and cached files are read whole, a short file and a bad descriptor say so") {
  auto batch = batch_reader::create(16);
  if (!batch) {
    MESSAGE("io_uring is not available here: the read pool reads one file at a time");
    return;
  }
  testing::temp_dir dir;
  std::vector<std::vector<uint8_t>> contents;
  std::vector<file_reader> readers;
  for (unsigned i = 0; i < 12; ++i) {
    contents.push_back(pattern(1 + i * 40000, i));
    auto p = dir / ("f" + std::to_string(i));
    write_file(p, contents.back());
    if (i % 2 == 0) make_cold(p);
    auto r = file_reader::open(p.string(), {contents.back().size(), -1});
    REQUIRE(r);
    auto st = r->prepare_for_batch();
    REQUIRE(st);
    CHECK(st->size == contents.back().size());
    readers.push_back(std::move(*r));
  }
  std::vector<std::vector<uint8_t>> out(contents.size() + 2);
  std::vector<batch_read_item> items;
  for (size_t i = 0; i < contents.size(); ++i) {
    out[i].assign(contents[i].size(), 0);
    items.push_back({readers[i].native_handle(), out[i].data(), out[i].size(), 0});
  }
  // Asked for more than the file has: the read stops at its end.
  out[contents.size()].assign(contents[3].size() + 5000, 0);
  items.push_back({readers[3].native_handle(), out[contents.size()].data(), out[contents.size()].size(), 0});
  out[contents.size() + 1].assign(10, 0);
  items.push_back({-1, out[contents.size() + 1].data(), 10, 0});
  batch->read_all(items);
  for (size_t i = 0; i < contents.size(); ++i) {
    CAPTURE(i);
    CHECK(items[i].result == static_cast<int64_t>(contents[i].size()));
    CHECK(out[i] == contents[i]);
  }
  CHECK(items[contents.size()].result == static_cast<int64_t>(contents[3].size()));
  CHECK(items[contents.size() + 1].result == -EBADF);

  // More items than the ring holds: the rest are not read, and say so.
  std::vector<batch_read_item> many(20, batch_read_item{readers[0].native_handle(), out[0].data(), out[0].size(), 0});
  batch->read_all(many);
  CHECK(many[0].result == static_cast<int64_t>(contents[0].size()));
  CHECK(many[19].result == -ECANCELED);
}

TEST_CASE("io_class: a thread put in the idle I/O class is told so, as the threads it starts") {
  CHECK_FALSE(io_class_is_idle());
  bool idle = false, child = false;
  std::thread t([&] {
    REQUIRE(set_idle_io_class(0));
    idle = io_class_is_idle();
    std::thread([&] { child = io_class_is_idle(); }).join();  // the read pool's readers start so
  });
  t.join();
  CHECK(idle);
  CHECK(child);
  CHECK_FALSE(io_class_is_idle());  // this thread's class is its own
}
