// Whole small files read in one submission to the kernel (io_uring). Read one
// by one, each cold file is its own request and its own notification of the
// device (on a virtual machine an exit to the host each); submitted together,
// the kernel merges the requests of neighbouring files and notifies once.
// Measured on 60k files of /usr/share (2 cores, cold): 4.5 s and 2.5 s of
// system time one by one, 2.0 s and 1.2 s in batches of 32.
// One instance per thread; not synchronized.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

namespace cairn::fs {

struct batch_read_item {
  int fd = -1;             // a blocking descriptor of a regular file
  uint8_t* out = nullptr;  // room for `size` bytes
  size_t size = 0;         // read from offset 0
  int64_t result = 0;      // after read_all: the bytes read, or -errno
};

class batch_reader {
public:
  // Null where the kernel does not offer io_uring (or refuses it to us): the
  // caller reads its files one by one.
  static std::unique_ptr<batch_reader> create(unsigned depth);
  ~batch_reader();
  batch_reader(const batch_reader&) = delete;
  batch_reader& operator=(const batch_reader&) = delete;

  // Reads every item (at most `depth` of them; the rest say -ECANCELED) and
  // waits for all: each item's buffer is the kernel's until this returns.
  // After a submission the kernel refused, every later call reads nothing.
  void read_all(std::span<batch_read_item> items);

private:
  struct ring;
  batch_reader(std::unique_ptr<ring> r, unsigned depth);
  std::unique_ptr<ring> ring_;
  unsigned depth_;
  bool broken_ = false;
};

}  // namespace cairn::fs
