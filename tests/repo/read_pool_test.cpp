#include <doctest/doctest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "repo/read_pool.hpp"
#include "support/files.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::repo;
using namespace std::chrono_literals;

namespace {

const chunker_params params{4 << 10, 16 << 10, 64 << 10, 7};

byte_buffer noise(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  byte_buffer b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

void write(const std::filesystem::path& p, const byte_buffer& data) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(data.data()), data.size());
}

std::vector<size_t> reference_cuts(const byte_buffer& data, const chunker_params& with = params) {
  chunker c(with);
  std::vector<size_t> cuts;
  for (size_t pos = 0; pos < data.size();) {
    size_t cut = c.next_cut(byte_view(data).subspan(pos), true);
    cuts.push_back(cut);
    pos += cut;
  }
  return cuts;
}

read_request request_for(uint64_t id, const std::filesystem::path& p) {
  auto meta = fs::stat_only(p.string());
  REQUIRE(meta);
  return {id, p.string(), *meta};
}

struct file_result {
  std::vector<size_t> cuts;
  byte_buffer bytes;
  bool done = false;
  std::optional<error> failed;
  bool changed = false;
};

// Takes events until every file is done; releases each chunk at once.
std::map<uint64_t, file_result> consume(read_pool& pool, size_t files) {
  std::map<uint64_t, file_result> out;
  size_t done = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (done < files) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    auto events = pool.take();
    if (events.empty()) std::this_thread::sleep_for(1ms);
    for (auto& e : events) {
      auto& r = out[e.id];
      REQUIRE_FALSE(r.done);
      if (e.last) {
        r.done = true, r.failed = e.failed, r.changed = e.changed, ++done;
        continue;
      }
      r.cuts.push_back(e.data->size());
      r.bytes.insert(r.bytes.end(), e.data->view().begin(), e.data->view().end());
      pool.release(e.data->size());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("read_pool: chunks and their order do not depend on the number of readers") {
  testing::temp_dir dir;
  std::vector<byte_buffer> contents;
  contents.push_back({});
  contents.push_back(noise(1, 1));
  contents.push_back(noise(100 << 10, 2));
  contents.push_back(noise(700 << 10, 3));
  auto mixed = noise(300 << 10, 4);
  mixed.resize(mixed.size() + (400 << 10), 0);  // zeros: cut at max_size
  contents.push_back(mixed);
  for (int i = 0; i < 40; ++i) contents.push_back(noise(200 + i * 97, 10 + i));
  for (size_t i = 0; i < contents.size(); ++i) write(dir / ("f" + std::to_string(i)), contents[i]);

  for (size_t readers : {1, 3, 8}) {
    CAPTURE(readers);
    read_pool pool({readers, 24u << 20, params, nullptr, nullptr});
    for (size_t i = 0; i < contents.size(); ++i) pool.submit(request_for(i, dir / ("f" + std::to_string(i))));
    auto results = consume(pool, contents.size());
    CHECK(pool.files_in_flight() == 0);
    for (size_t i = 0; i < contents.size(); ++i) {
      CAPTURE(i);
      CHECK_FALSE(results[i].failed);
      CHECK_FALSE(results[i].changed);
      CHECK(results[i].bytes == contents[i]);
      CHECK(results[i].cuts == reference_cuts(contents[i]));
    }
  }
}

TEST_CASE("read_pool: a chunk cut into a recycled buffer holds its own bytes only") {
  // Chunks of 64 KiB and more are cut into buffers taken back from dropped
  // chunks (consume drops each one after copying it), often larger than them.
  const chunker_params big{64 << 10, 128 << 10, 512 << 10, 3};
  testing::temp_dir dir;
  std::vector<byte_buffer> contents;
  for (int i = 0; i < 12; ++i) {
    auto data = noise((1 << 20) + i * 77777, 100 + i);
    if (i % 3 == 0) data.resize(data.size() + (600 << 10), 0xAA);  // max-size cuts, then smaller ones
    contents.push_back(std::move(data));
  }
  for (size_t i = 0; i < contents.size(); ++i) write(dir / ("r" + std::to_string(i)), contents[i]);
  for (size_t readers : {1, 4}) {
    CAPTURE(readers);
    read_pool pool({readers, 3 * big.max_size, big, nullptr, nullptr});
    for (size_t i = 0; i < contents.size(); ++i) pool.submit(request_for(i, dir / ("r" + std::to_string(i))));
    auto results = consume(pool, contents.size());
    for (size_t i = 0; i < contents.size(); ++i) {
      CAPTURE(i);
      CHECK_FALSE(results[i].failed);
      CHECK(results[i].cuts == reference_cuts(contents[i], big));
      CHECK(results[i].bytes == contents[i]);
    }
  }
}

TEST_CASE("read_pool: chunks not released stay within the budget, then reading goes on") {
  testing::temp_dir dir;
  auto data = noise(4 << 20, 5);
  write(dir / "big", data);
  write(dir / "big2", data);
  const uint64_t budget = 3 * params.max_size;
  read_pool pool({4, budget, params, nullptr, nullptr});
  pool.submit(request_for(0, dir / "big"));
  pool.submit(request_for(1, dir / "big2"));
  std::this_thread::sleep_for(200ms);
  uint64_t held = 0;
  std::vector<read_event> kept;
  for (auto& e : pool.take()) {
    if (e.data) held += e.data->size();
    kept.push_back(std::move(e));
  }
  CHECK(held > 0);
  CHECK(held <= budget);
  pool.release(held);
  auto rest = consume(pool, 2);
  CHECK(rest.size() == 2);
}

TEST_CASE("read_pool: stop ends readers that wait for the budget") {
  testing::temp_dir dir;
  write(dir / "big", noise(4 << 20, 6));
  read_pool pool({2, 0, params, nullptr, nullptr});
  pool.submit(request_for(0, dir / "big"));
  std::this_thread::sleep_for(50ms);  // the reader now waits: nothing is released
  auto start = std::chrono::steady_clock::now();
  pool.stop();
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  pool.take();  // nothing after stop
  CHECK(pool.take().empty());
}

TEST_CASE("read_pool: readers wait while the pause gate holds") {
  testing::temp_dir dir;
  write(dir / "f", noise(50 << 10, 7));
  auto gate = std::make_shared<pause_gate>();
  gate->hold("test");
  std::atomic<int> wakes{0};
  read_pool pool({2, 24u << 20, params, gate, [&] { ++wakes; }});
  pool.submit(request_for(0, dir / "f"));
  std::this_thread::sleep_for(300ms);
  CHECK(pool.take().empty());
  CHECK(wakes == 0);
  gate->release("test");
  auto results = consume(pool, 1);
  CHECK(results[0].bytes.size() == 50u << 10);
  CHECK(wakes >= 1);
}

TEST_CASE("read_pool: a file that vanished fails alone and one that changed says so") {
  testing::temp_dir dir;
  write(dir / "gone", noise(10, 8));
  write(dir / "grew", noise(1000, 9));
  write(dir / "ok", noise(1000, 10));
  auto gone = request_for(0, dir / "gone");
  auto grew = request_for(1, dir / "grew");
  std::filesystem::remove(dir / "gone");
  grew.before.size = 500;  // as if it grew after the walk saw it
  read_pool pool({2, 24u << 20, params, nullptr, nullptr});
  pool.submit(gone);
  pool.submit(grew);
  pool.submit(request_for(2, dir / "ok"));
  auto results = consume(pool, 3);
  REQUIRE(results[0].failed);
  CHECK(results[0].failed->code() == errc::not_found);
  CHECK(results[0].failed->message().find("gone") != std::string::npos);
  CHECK_FALSE(results[1].failed);
  CHECK(results[1].changed);
  CHECK(results[1].bytes.size() == 1000);  // read to its real end
  CHECK_FALSE(results[2].failed);
  CHECK_FALSE(results[2].changed);
}

TEST_CASE("read_pool: small files read together each arrive whole, and what replaced one fails alone") {
  // Files no larger than the chunker's minimum go to the kernel in batches
  // (fs::batch_reader); anything that is not what the walk saw goes the long way.
  testing::temp_dir dir;
  std::vector<byte_buffer> contents;
  for (int i = 0; i < 150; ++i) contents.push_back(noise(1 + (i * 131) % params.min_size, 300 + i));
  for (size_t i = 0; i < contents.size(); ++i) write(dir / ("s" + std::to_string(i)), contents[i]);
  for (size_t readers : {1, 4}) {
    CAPTURE(readers);
    std::vector<read_request> requests;
    for (size_t i = 0; i < contents.size(); ++i) requests.push_back(request_for(i, dir / ("s" + std::to_string(i))));
    // After the walk's stat: one shrinks, one becomes a FIFO (no writer: a
    // blocking read would wait forever), one a directory, one a symlink.
    const std::string tag = std::to_string(readers);
    write(dir / ("shrunk" + tag), noise(100, 1));
    requests.push_back(request_for(1000, dir / ("shrunk" + tag)));
    write(dir / ("shrunk" + tag), noise(40, 2));
    write(dir / ("fifo" + tag), noise(10, 3));
    requests.push_back(request_for(1001, dir / ("fifo" + tag)));
    std::filesystem::remove(dir / ("fifo" + tag));
    REQUIRE(::mkfifo((dir / ("fifo" + tag)).c_str(), 0600) == 0);
    write(dir / ("dir" + tag), noise(10, 4));
    requests.push_back(request_for(1002, dir / ("dir" + tag)));
    std::filesystem::remove(dir / ("dir" + tag));
    std::filesystem::create_directory(dir / ("dir" + tag));
    write(dir / ("link" + tag), noise(10, 5));
    requests.push_back(request_for(1003, dir / ("link" + tag)));
    std::filesystem::remove(dir / ("link" + tag));
    std::filesystem::create_symlink(dir / "s0", dir / ("link" + tag));

    read_pool pool({readers, 24u << 20, params, nullptr, nullptr});
    for (auto& r : requests) pool.submit(r);
    auto results = consume(pool, requests.size());
    for (size_t i = 0; i < contents.size(); ++i) {
      CAPTURE(i);
      CHECK_FALSE(results[i].failed);
      CHECK_FALSE(results[i].changed);
      CHECK(results[i].bytes == contents[i]);
    }
    CHECK_FALSE(results[1000].failed);
    CHECK(results[1000].changed);
    CHECK(results[1000].bytes == noise(40, 2));
    for (uint64_t id : {1001, 1002, 1003}) {
      CAPTURE(id);
      CHECK((results[id].failed || results[id].changed));
      CHECK(results[id].bytes.empty());
    }
  }
}

TEST_CASE("read_pool: cold large files read straight from the device into the buffer are cut as from the cache") {
  // Not in the page cache: read with O_DIRECT, into the reader's own buffer
  // (the rest of each read is moved to end at an aligned offset). The cuts
  // and bytes must be those of a cached read.
  const chunker_params big{64 << 10, 128 << 10, 512 << 10, 3};
  testing::temp_dir dir;
  std::vector<byte_buffer> contents;
  for (int i = 0; i < 6; ++i) {
    auto data = noise((3 << 20) + i * 12345 + (i % 2) * 4096, 700 + i);
    if (i % 3 == 1) data.resize(data.size() + (700 << 10), 0x55);  // max-size cuts in the middle
    contents.push_back(std::move(data));
  }
  for (size_t i = 0; i < contents.size(); ++i) write(dir / ("c" + std::to_string(i)), contents[i]);
  for (size_t readers : {1, 3}) {
    CAPTURE(readers);
    for (size_t i = 0; i < contents.size(); ++i) testing::make_cold(dir / ("c" + std::to_string(i)));
    read_pool pool({readers, 3 * big.max_size, big, nullptr, nullptr});
    for (size_t i = 0; i < contents.size(); ++i) pool.submit(request_for(i, dir / ("c" + std::to_string(i))));
    auto results = consume(pool, contents.size());
    for (size_t i = 0; i < contents.size(); ++i) {
      CAPTURE(i);
      CHECK_FALSE(results[i].failed);
      CHECK_FALSE(results[i].changed);
      CHECK(results[i].cuts == reference_cuts(contents[i], big));
      CHECK(results[i].bytes == contents[i]);
    }
  }
}
