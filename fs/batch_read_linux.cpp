#include <liburing.h>

#include <cerrno>

#include "base/assert.hpp"
#include "fs/batch_read.hpp"

namespace cairn::fs {

struct batch_reader::ring {
  io_uring r{};
  ~ring() { io_uring_queue_exit(&r); }
};

std::unique_ptr<batch_reader> batch_reader::create(unsigned depth) {
  auto r = std::make_unique<ring>();
  if (io_uring_queue_init(depth, &r->r, 0) != 0) return nullptr;
  return std::unique_ptr<batch_reader>(new batch_reader(std::move(r), depth));
}

batch_reader::batch_reader(std::unique_ptr<ring> r, unsigned depth) : ring_(std::move(r)), depth_(depth) {}

batch_reader::~batch_reader() = default;

void batch_reader::read_all(std::span<batch_read_item> items) {
  for (auto& item : items) item.result = -ECANCELED;
  if (broken_) return;
  io_uring* r = &ring_->r;
  size_t queued = 0;
  for (size_t i = 0; i < items.size() && i < depth_; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(r);
    if (!sqe) break;
    // One read each: io_uring goes on by itself after a short read of a regular file.
    io_uring_prep_read(sqe, items[i].fd, items[i].out, static_cast<unsigned>(items[i].size), 0);
    io_uring_sqe_set_data64(sqe, i);
    ++queued;
  }
  size_t submitted = 0;
  while (submitted < queued) {
    int n = io_uring_submit(r);
    if (n == -EINTR) continue;
    if (n <= 0) {
      // Requests left in the ring point into buffers the caller frees once
      // this returns: the ring is never submitted again (the files left
      // unread say -ECANCELED, and the caller reads them one by one).
      broken_ = true;
      break;
    }
    submitted += static_cast<size_t>(n);
  }
  // Every submitted read is waited for, whatever happens: its buffer is written until it completes.
  for (size_t done = 0; done < submitted;) {
    io_uring_cqe* cqe = nullptr;
    int rc = io_uring_wait_cqe(r, &cqe);
    if (rc == -EINTR || rc == -EAGAIN || rc == -EBUSY) continue;
    // Anything else means the ring itself is gone while the kernel may still
    // write into the caller's buffers: no way on is safe.
    CAIRN_ASSERT(rc == 0);
    uint64_t i = io_uring_cqe_get_data64(cqe);
    if (i < items.size()) items[i].result = cqe->res;
    io_uring_cqe_seen(r, cqe);
    ++done;
  }
}

}  // namespace cairn::fs
