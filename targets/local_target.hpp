// A repository in a local directory (a USB disk, a NAS mount). Objects are files;
// put writes a temporary file, fsyncs it, renames it into place and fsyncs the
// directory, so a crash leaves the old state or the new one. Thread-safe.
#pragma once

#include <filesystem>

#include "targets/target.hpp"

namespace cairn::targets {

class local_target : public target {
public:
  explicit local_target(std::filesystem::path root);

  status put(std::string_view name, byte_view data) override;
  // Like put, but never replaces: exists when the name is taken, decided in
  // one step with the creation (no window for a second writer).
  status put_new(std::string_view name, byte_view data);
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  expected<std::span<uint8_t>> get_into(std::string_view name, byte_range range, read_buffer& buffer) override;
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;
  std::string describe() const override { return "local:" + root_.string(); }
  // Streams into an unnamed file in the repository's directory (O_TMPFILE,
  // else a temporary name) that commit() links into place: a pack is never
  // held in memory, and a killed writer leaves nothing behind.
  expected<std::unique_ptr<object_writer>> open_writer() override;

  // Removes temporary files older than `max_age_seconds` left by killed writers.
  void remove_stale_temporaries(int64_t max_age_seconds);

private:
  struct open_range {
    int fd;
    uint64_t offset, length;
  };
  expected<open_range> open_for_read(std::string_view name, byte_range range) const;
  status read_range(std::string_view name, const open_range& r, uint8_t* out) const;  // closes r.fd
  std::filesystem::path path_of(std::string_view name) const { return root_ / name; }
  error io_error(std::string_view what, std::string_view name, int err) const;
  status ensure_dir(const std::filesystem::path& dir);
  status store(std::string_view name, byte_view data, bool replace);
  friend class local_writer;
  // commit() of a local_writer: the file open as `fd` (unnamed when `named`
  // is empty) becomes the object `name`.
  status place(int fd, const std::filesystem::path& named, std::string_view name);

  std::filesystem::path root_;
};

}  // namespace cairn::targets
