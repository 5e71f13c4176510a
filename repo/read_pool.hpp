// A pool of reader threads that open, read and cut files into chunks ahead of
// one consumer, so a cold disk serves several files at once. Each file is read
// by one thread and its chunks come out in order, so what is stored does not
// depend on the number of readers. Chunks handed out and read buffers together
// stay under `max_bytes` until the consumer releases them.
// Files no larger than the chunker's minimum (one chunk each) that wait in
// the queue together are read together, in one submission to the kernel
// (fs/batch_read.hpp), each into the buffer that becomes its chunk; not in
// the idle I/O class, where batches would get in the way of everyone else.
// The buffers of chunks the consumer dropped come back to the pool and are
// filled again (while they wait they count against `max_bytes`): a fresh
// buffer for every chunk is memory the kernel must zero and fault in again.
// Thread-safe: submit, take, release and stop come from one consumer thread;
// `wake` is called from reader threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/pause_gate.hpp"
#include "fs/metadata.hpp"
#include "repo/chunker.hpp"

namespace cairn::fs {
class batch_reader;
}

namespace cairn::repo {

struct read_request {
  uint64_t id = 0;      // the consumer's handle for the file
  std::string path;
  fs::metadata before;  // the walk's stat: size (a hint), mtime and inode (compared after reading)
  bool xattrs = false;  // read its extended attributes too (from the open file)
};

// One chunk of a file, or its end (`last`). A file's events arrive in order.
struct read_event {
  uint64_t id = 0;
  chunk_ptr data;                // the next chunk; null when `last`
  bool last = false;
  std::optional<error> failed;   // on `last`: it could not be read (its chunks are void)
  bool changed = false;          // on `last`: size, mtime or inode differ after reading
  std::vector<fs::xattr> xattrs; // on `last`, when asked for
};

struct read_pool_options {
  size_t readers = 4;
  uint64_t max_bytes = 24u << 20;  // at least twice the chunker's max_size is used
  chunker_params chunker;
  std::shared_ptr<const pause_gate> gate;  // while it holds, readers wait between reads
  std::function<void()> wake;  // events wait to be taken (called once until the next take)
};

class read_pool {
public:
  explicit read_pool(read_pool_options options);
  ~read_pool();  // stop()
  read_pool(const read_pool&) = delete;
  read_pool& operator=(const read_pool&) = delete;

  // Queues a file; never blocks.
  void submit(read_request request);
  // Files submitted whose `last` event was not taken yet.
  size_t files_in_flight() const { return in_flight_; }
  // Everything read since the last call, in order per file.
  std::vector<read_event> take();
  // `bytes` of chunks taken earlier are no longer held by the consumer.
  void release(uint64_t bytes);
  // Readers finish their current read and end; later events are dropped. Joins.
  void stop();

private:
  struct spares;  // the recycled buffers; shared with the chunks' deleters
  void run();
  bool batchable(const read_request& r) const;
  bool read_one(const read_request& request, std::unique_ptr<uint8_t[]>& buffer, size_t& cap);  // false when stopped
  bool read_together(std::vector<read_request>& group, fs::batch_reader& batch, std::unique_ptr<uint8_t[]>& buffer,
                     size_t& cap);  // false when stopped
  chunk_ptr make_chunk_of(byte_view bytes);
  chunk_ptr recycled_when_dropped(byte_buffer b);  // its buffer goes back to the spares
  void read_file(const read_request& request, std::unique_ptr<uint8_t[]>& buffer, size_t& cap);
  bool acquire(uint64_t bytes, bool is_buffer);  // false when stopped
  void give_back(uint64_t bytes, bool is_buffer);
  void trim_spares();
  bool wait_while_paused();                      // false when stopped
  void push(read_event event);

  read_pool_options options_;
  chunker chunker_;
  uint64_t budget_;
  uint64_t batch_bytes_;  // the most a batch of small files reads at once
  size_t in_flight_ = 0;  // consumer thread only
  std::mutex mutex_;
  std::condition_variable work_cv_, budget_cv_;
  std::deque<read_request> queue_;
  std::vector<read_event> out_;
  bool wake_sent_ = false;
  bool stopped_ = false;
  uint64_t used_ = 0, buffers_ = 0, chunks_out_ = 0;
  std::shared_ptr<spares> spares_;
  std::vector<std::thread> threads_;
};

}  // namespace cairn::repo
