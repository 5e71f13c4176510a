// Where repository bytes live: a flat namespace of immutable objects.
// All implementations are safe for concurrent use by several threads.
// Model: LevelDB include/leveldb/env.h; restic internal/backend.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace cairn::targets {

struct object_info {
  std::string name;
  uint64_t size = 0;
};

struct byte_range {
  uint64_t offset = 0;
  uint64_t length = std::numeric_limits<uint64_t>::max();  // to the end
  bool whole() const { return offset == 0 && length == std::numeric_limits<uint64_t>::max(); }
};

// The bytes of one object, handed over piece by piece before the object's name
// is known (a pack is named by the hash of its bytes). Owned by one thread at a
// time. Destroyed without commit(), it leaves nothing behind.
class object_writer {
public:
  virtual ~object_writer() = default;
  virtual status append(byte_view data) = 0;
  // Makes the bytes appended so far the object `name`, as put() would (atomic,
  // durable, replacing an existing object). Called at most once.
  virtual status commit(std::string_view name) = 0;
};

// Names are relative paths of [A-Za-z0-9._-] segments separated by '/', e.g.
// "data/3f/3f9a...". Errors: not_found when the object is absent; transient for
// failures a retry may cure (timeouts, resets, 5xx); everything else is permanent.
// Messages name the target and the object but never credentials.
class target {
public:
  virtual ~target() = default;

  // Stores `data` under `name`. Atomic: a reader sees the old object, no object or
  // the whole new one, never a prefix, also after a crash at any point. Replaces
  // an existing object. Idempotent. On success the data is durable.
  virtual status put(std::string_view name, byte_view data) = 0;

  // Reads `range` of the object. A range reaching past the end is cut at the end;
  // an offset past the end is invalid_input. Idempotent.
  virtual expected<byte_buffer> get(std::string_view name, byte_range range = {}) = 0;

  // What get() reads, into the caller's buffer kept from call to call (a
  // restore reads thousands of ranges): the bytes hold until the next call
  // with `buffer`. By default it is get() (so a wrapper that changes get()
  // changes this too; target_wrapper does not forward it); a target that
  // can read into memory it is given (local) saves a new zero-filled buffer.
  struct read_buffer {
    byte_buffer owned;  // what get() returned
    scratch_buffer raw; // what a target read into
  };
  virtual expected<std::span<uint8_t>> get_into(std::string_view name, byte_range range, read_buffer& buffer) {
    auto bytes = get(name, range);
    if (!bytes) return fail(bytes.error());
    buffer.owned = std::move(*bytes);
    return std::span<uint8_t>(buffer.owned);
  }

  // Size of the object, or not_found.
  virtual expected<object_info> stat(std::string_view name) = 0;

  // Calls `fn` for every object whose name starts with `prefix`, in no particular
  // order; stops early when `fn` returns false. Objects being written are never
  // listed. unsupported when the target cannot list (callers must cope).
  virtual status list(std::string_view prefix,
                      const std::function<bool(const object_info&)>& fn) = 0;

  // Deletes the object. Removing an absent object succeeds. Idempotent.
  virtual status remove(std::string_view name) = 0;

  // A writer that streams an object onto the target while it is produced, so
  // the caller need not hold it in memory; nullptr when this target has none
  // (the caller then collects the bytes and calls put()).
  virtual expected<std::unique_ptr<object_writer>> open_writer() { return std::unique_ptr<object_writer>{}; }

  // "local:/mnt/usb/cairn", for messages. Never contains credentials.
  virtual std::string describe() const = 0;
};

using target_ptr = std::shared_ptr<target>;

// True for names accepted by every target (see the class comment).
bool valid_object_name(std::string_view name);

}  // namespace cairn::targets
