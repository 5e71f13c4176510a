#include "recovery/restore_execution.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "repo/repo_format.hpp"

namespace cairn::recovery {

namespace {

bool has_content(const restore_entry& e) { return e.has_content && e.hardlink_of == no_entry; }

bool all_zero(byte_view b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

}  // namespace

expected<std::shared_ptr<restore_execution>> restore_execution::create(
  std::shared_ptr<const restore_plan> plan, const std::filesystem::path& to, const fs::apply_options& options) {
  CAIRN_ASSIGN(auto dest, fs::destination::open(
      to, options.as_owner ? std::optional<uint32_t>(options.as_owner->uid) : std::nullopt));
  return std::shared_ptr<restore_execution>(new restore_execution(std::move(plan), std::move(dest), options));
}

restore_execution::restore_execution(std::shared_ptr<const restore_plan> plan,
                                     std::shared_ptr<fs::destination> dest, fs::apply_options options)
  : plan_(std::move(plan)), dest_(std::move(dest)), options_(std::move(options)),
    temp_prefix_(".cairn-restore-" + std::to_string(::getpid()) + "-"),
    state_(new std::atomic<uint8_t>[plan_->entries.size()]),
    remaining_(new std::atomic<uint32_t>[plan_->entries.size()]),
    failed_(new std::atomic<uint8_t>[plan_->entries.size()]),
    sized_(new std::atomic<uint8_t>[plan_->entries.size()]), ids_(plan_->entries.size()),
    older_(plan_->entries.size()) {
  for (size_t i = 0; i < plan_->entries.size(); ++i) {
    state_[i] = 0;
    sized_[i] = 0;
    remaining_[i] = plan_->entries[i].chunks;
    failed_[i] = plan_->entries[i].missing_content ? 1 : 0;
  }
}

expected<fs::dir_ptr> restore_execution::parent_dir(size_t entry, bool create) const {
  uint32_t parent = plan_->entries[entry].parent;
  return dest_->directory(parent == no_entry ? std::string() : plan_->path(parent), create);
}

std::string restore_execution::leaf(size_t entry) const { return std::string(plan_->name(entry)); }

std::string restore_execution::temp_name(size_t entry) const { return temp_prefix_ + std::to_string(entry); }

std::vector<entry_problem> restore_execution::create_entries(size_t begin, size_t end) {
  std::vector<entry_problem> problems;
  end = std::min(end, plan_->entries.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& e = plan_->entries[i];
    if (has_content(e) || e.hardlink_of != no_entry) continue;  // fetch_pack, link_hardlinks
    auto st = [&]() -> status {
      CAIRN_ASSIGN(auto parent, parent_dir(i, true));
      std::string name = leaf(i);
      switch (e.type) {
        case fs::file_type::directory: {
          CAIRN_ASSIGN(ids_[i], dest_->make_directory(*parent, name));
          return {};
        }
        case fs::file_type::symlink: {
          CAIRN_ASSIGN(ids_[i], dest_->make_symlink(*parent, name, plan_->link_target(i)));
          return {};
        }
        case fs::file_type::regular: {  // no content: a new empty (or all-hole) file
          CAIRN_ASSIGN(int fd, dest_->create_temp(*parent, temp_name(i), &ids_[i]));
          int r = ::ftruncate(fd, static_cast<off_t>(e.size));
          int err = errno;
          ::close(fd);
          if (r != 0) {
            (void)dest_->remove(*parent, temp_name(i));
            return fail(errc::io, "set size of " + dest_->path_of(plan_->path(i)) + ": " + std::strerror(err));
          }
          return dest_->commit(*parent, temp_name(i), name);
        }
        default: {
          bool device = e.type == fs::file_type::block_device || e.type == fs::file_type::char_device;
          if (device && options_.as_owner)
            return fail(errc::invalid_input, "device node not made: the restore was asked for by uid " +
                                               std::to_string(options_.as_owner->uid) + ", not root");
          CAIRN_ASSIGN(ids_[i], dest_->make_special(*parent, name, plan_->meta(i)));
          return {};
        }
      }
    }();
    if (!st) {
      mark_failed(i);
      problems.push_back({plan_->path(i), st.error().message()});
    }
  }
  return problems;
}

uint64_t restore_execution::reuse_existing(size_t begin, size_t end, const repo::repository& repo) {
  uint64_t kept = 0;
  auto hasher = repo.make_hasher();
  byte_buffer buffer;
  end = std::min(end, plan_->entries.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& e = plan_->entries[i];
    if (!has_content(e) || failed(i)) continue;
    auto parent = parent_dir(i, false);
    if (!parent) continue;
    fs::identity older;
    auto fd = dest_->open_existing(**parent, leaf(i), &older);
    if (!fd) continue;
    struct stat st {};
    ::fstat(*fd, &st);
    uint64_t offset = 0;
    std::vector<range> in_place;
    for (uint32_t b : plan_->content(i)) {
      const auto& blob = plan_->blobs[b].blob;
      const auto& id = blob.id;
      // No blob is larger than the format allows, whatever an index says: bytes
      // from a target do not size our buffers.
      if (blob.raw_length > repo::max_chunk_limit) break;
      uint64_t len = blob.raw_length;
      if (offset + len > static_cast<uint64_t>(st.st_size)) break;
      buffer.resize(len);
      ssize_t got = ::pread(*fd, buffer.data(), len, static_cast<off_t>(offset));
      if (got == static_cast<ssize_t>(len) && hasher.id_of(buffer) == id) {
        in_place.push_back({offset, len});
        kept += len;
      }
      offset += len;
    }
    ::close(*fd);
    if (in_place.empty()) continue;
    remaining_[i] -= static_cast<uint32_t>(in_place.size());
    bool identical = in_place.size() == e.chunks && static_cast<uint64_t>(st.st_size) == e.size;
    older_[i] = std::make_unique<older_copy>(older_copy{identical ? fs::identity{} : older, std::move(in_place)});
    if (identical) {
      ids_[i] = older;
      state_[i] = 4;
    } else {
      state_[i] = 3;
    }
  }
  return kept;
}

bool restore_execution::reused(uint32_t entry, uint64_t offset) const {
  if (!older_[entry]) return false;
  const auto& r = older_[entry]->in_place;
  auto it = std::lower_bound(r.begin(), r.end(), offset, [](const range& a, uint64_t o) { return a.offset < o; });
  return it != r.end() && it->offset == offset;
}

// Makes the entry's temporary file and copies into it the chunks of an older
// copy that are in place; `fd` is then open for writing.
status restore_execution::start_file(uint32_t entry, int& fd) {
  CAIRN_ASSIGN(auto parent, parent_dir(entry, true));
  CAIRN_ASSIGN(int out, dest_->create_temp(*parent, temp_name(entry), &ids_[entry]));
  if (older_[entry] && older_[entry]->id.known()) {
    const auto& older = *older_[entry];
    std::string path = dest_->path_of(plan_->path(entry));
    fs::identity now;
    auto in = dest_->open_existing(*parent, leaf(entry), &now);
    status st = in && now == older.id ? status{} : status(fail(errc::io, path + " changed while restoring"));
    for (const auto& r : older.in_place) {
      if (!st) break;
      st = fs::copy_range(*in, out, r.offset, r.length, path);
    }
    if (in) ::close(*in);
    if (!st) {
      ::close(out);
      (void)dest_->remove(*parent, temp_name(entry));
      return st;
    }
  }
  fd = out;
  return {};
}

expected<int> restore_execution::open_content(uint32_t entry) {
  auto& state = state_[entry];
  uint8_t s = state.load();
  while (s == 0 || s == 3) {
    if (!state.compare_exchange_weak(s, 1)) continue;
    int fd = -1;
    auto st = start_file(entry, fd);
    if (!st) mark_failed(entry);
    state.store(2);
    if (!st) return tl::unexpected(st.error());
    return fd;
  }
  while (state.load() == 1) std::this_thread::yield();  // another thread is making it
  if (failed(entry)) return fail(errc::io, "not restored");
  CAIRN_ASSIGN(auto parent, parent_dir(entry, false));
  return dest_->open_for_write(*parent, temp_name(entry), ids_[entry]);
}

fetch_outcome restore_execution::fetch_pack(const repo::repository& repo, const pack_work& work,
                                            fetch_buffers& buffers) {
  fetch_outcome out;
  auto info = repo.index().pack(work.pack);
  auto name = repo::pack_name(info.id);
  auto cipher = repo.cipher().for_pack(info.salt);
  auto hasher = repo.make_hasher();
  // Coalesce blobs whose gaps are small into one ranged read: large reads for
  // large blobs, few blobs a read for small ones (each costs a file write; a
  // shorter range is as much work and less memory). A range stays under
  // 2 MiB, the buffer every range is read into (kept from range to range,
  // never zero-filled); a range of one larger blob gets a buffer of its own
  // for that range only. The ranges of all fetchers together stay within
  // fetch_budget.
  constexpr uint64_t max_gap = 256 << 10;
  constexpr uint64_t max_range = 2 << 20;
  constexpr size_t max_range_blobs = 512;
  auto lost = [&](const planned_blob& pb, const std::string& why) {
    out.damaged.push_back(pb.blob.id);
    out.errors.push_back("blob " + pb.blob.id.short_hex() + " in " + name + ": " + why);
    for (const auto& t : plan_->targets_of(pb)) mark_failed(t.entry);
  };
  // Only the blobs some target still needs (reuse_existing may have found
  // the rest in place); a pack with none is not read at all.
  std::vector<const planned_blob*> needed;
  for (const auto& pb : plan_->blobs_of(work)) {
    auto targets = plan_->targets_of(pb);
    bool wanted = std::any_of(targets.begin(), targets.end(),
                              [&](const blob_target& t) { return !failed(t.entry) && !reused(t.entry, t.offset); });
    if (!wanted) continue;
    if (pb.blob.length > repo::max_data_blob_bytes || pb.blob.raw_length > repo::max_chunk_limit)
      lost(pb, "the index gives it a size no blob may have");
    else
      needed.push_back(&pb);
  }
  std::unordered_map<uint32_t, int> fds;
  auto& direct = buffers.direct;
  auto& scratch = buffers.scratch;
  auto& fetched = buffers.fetched;
  byte_buffer overlapping;  // a blob the index places over another's bytes
  auto close_all = [&] {
    for (auto& [entry, fd] : fds) ::close(fd);
    fds.clear();
  };
  size_t i = 0;
  while (i < needed.size() && !cancelled()) {
    size_t j = i + 1;
    uint64_t start = needed[i]->blob.offset;
    uint64_t end = start + needed[i]->blob.length;
    while (j < needed.size() && j - i < max_range_blobs && needed[j]->blob.offset <= end + max_gap &&
           needed[j]->blob.offset + needed[j]->blob.length - start <= max_range) {
      end = std::max<uint64_t>(end, needed[j]->blob.offset + needed[j]->blob.length);
      ++j;
    }
    fetch_grant grant(*this, end - start);
    auto data = repo::read_range_into(*repo.target(), name, {start, end - start}, fetched);
    if (data) out.bytes_fetched += data->size();
    uint64_t opened_end = start;  // blobs are decrypted where they lie, up to here
    for (size_t k = i; k < j; ++k) {
      const auto& pb = *needed[k];
      expected<byte_view> plain = fail(errc::io, "");
      if (!data) {
        plain = fail(data.error());
      } else if (data->size() < pb.blob.offset - start + pb.blob.length) {
        plain = fail(errc::corrupt, name + " is shorter than the index says");
      } else {
        std::span<uint8_t> sealed(data->data() + (pb.blob.offset - start), pb.blob.length);
        if (pb.blob.offset < opened_end) {
          // An index whose blobs overlap (written by no Cairn): the bytes were
          // decrypted already, so this blob is opened from a copy of them as
          // sealed, read again.
          auto again = repo::read_range(*repo.target(), name, {pb.blob.offset, pb.blob.length});
          if (!again) {
            lost(pb, again.error().message());
            continue;
          }
          overlapping = std::move(*again);
          sealed = overlapping;
        } else {
          opened_end = pb.blob.offset + pb.blob.length;
        }
        plain = repo::open_blob_into(*cipher, pb.blob, sealed, hasher, scratch);
      }
      if (!plain) {
        lost(pb, plain.error().message());
        continue;
      }
      write_blob(pb, *plain, fds, direct, out);
      // Up to the chunker's default largest chunk stays: the larger blobs,
      // rare, would each come to new memory (a page fault every 4 KiB, ~15 us
      // each in a virtual machine: a tenth of a restore's CPU when freed).
      scratch.trim(repo::default_max_chunk);
    }
    fetched.raw.trim(max_range);  // a range of one large blob does not stay held
    i = j;
  }
  close_all();
  return out;
}

// Waits until `bytes` more fit in the budget, or nothing else is in flight
// (one range larger than the budget still goes, alone).
restore_execution::fetch_grant::fetch_grant(restore_execution& exec, uint64_t bytes) : exec_(exec), bytes_(bytes) {
  std::unique_lock lock(exec_.fetch_mutex_);
  exec_.fetch_cv_.wait(lock, [&] {
    return exec_.fetch_bytes_ == 0 || exec_.fetch_bytes_ + bytes_ <= fetch_budget;
  });
  exec_.fetch_bytes_ += bytes_;
}

restore_execution::fetch_grant::~fetch_grant() {
  {
    std::lock_guard lock(exec_.fetch_mutex_);
    exec_.fetch_bytes_ -= bytes_;
  }
  exec_.fetch_cv_.notify_all();
}

void restore_execution::write_blob(const planned_blob& pb, byte_view plain,
                                   std::unordered_map<uint32_t, int>& fds, fs::direct_writer& direct,
                                   fetch_outcome& out) {
  constexpr size_t max_open = 64;
  // A hole in a new file needs no write (the file is made, and sized, when
  // it is finished).
  bool hole = all_zero(plain);
  for (const auto& t : plan_->targets_of(pb)) {
    if (failed(t.entry) || reused(t.entry, t.offset)) continue;
    if (!hole) {
      auto it = fds.find(t.entry);
      if (it == fds.end()) {
        if (fds.size() >= max_open) {  // stay far below RLIMIT_NOFILE
          for (auto& [entry, fd] : fds) ::close(fd);
          fds.clear();
        }
        auto fd = open_content(t.entry);
        if (!fd) {
          mark_failed(t.entry);
          out.problems.push_back({plan_->path(t.entry), fd.error().message()});
          continue;
        }
        it = fds.emplace(t.entry, *fd).first;
      }
      const auto& e = plan_->entries[t.entry];
      std::string path = dest_->path_of(plan_->path(t.entry));
      // Large new files go around the page cache (fs/direct_write.hpp).
      bool large = e.size >= fs::direct_writer::worth_from && !older_[t.entry];
      auto st = large ? direct.write(it->second, t.offset, plain, path) : fs::write_sparse(it->second, t.offset, plain, path);
      if (!st) {
        mark_failed(t.entry);
        out.problems.push_back({plan_->path(t.entry), st.error().message()});
        continue;
      }
      out.bytes_written += plain.size();
      // write_sparse wrote the block holding a non-zero last byte.
      if (t.offset + plain.size() == e.size && plain.back() != 0) sized_[t.entry] = 1;
    }
    if (remaining_[t.entry].fetch_sub(1) == 1) finish_now(t.entry, fds, out);
  }
}

void restore_execution::finish_now(uint32_t entry, std::unordered_map<uint32_t, int>& fds, fetch_outcome& out) {
  int fd = -1;
  if (auto it = fds.find(entry); it != fds.end()) {
    fd = it->second;
    fds.erase(it);
  } else {
    auto opened = open_content(entry);  // made now if all were holes
    if (!opened) {
      mark_failed(entry);
      out.problems.push_back({plan_->path(entry), opened.error().message()});
      return;
    }
    fd = *opened;
  }
  std::string path = dest_->path_of(plan_->path(entry));
  auto parent = parent_dir(entry, false);
  auto st = [&]() -> status {
    if (!sized_[entry].load() && ::ftruncate(fd, static_cast<off_t>(plan_->entries[entry].size)) != 0)
      return fail(errc::io, "set size of " + path + ": " + std::strerror(errno));
    CAIRN_TRY(fs::apply_file_metadata(fd, path, plan_->meta(entry), options_));
    if (!parent) return tl::unexpected(parent.error());
    return dest_->commit(**parent, temp_name(entry), leaf(entry));
  }();
  ::close(fd);
  if (!st) {
    mark_failed(entry);
    out.problems.push_back({plan_->path(entry), st.error().message()});
    if (parent) (void)dest_->remove(**parent, temp_name(entry));
    return;
  }
  state_[entry].store(5);
}

fetch_outcome restore_execution::deliver_pack(const pack_work& work, const blob_reader& read) {
  fetch_outcome out;
  std::unordered_map<uint32_t, int> fds;
  fs::direct_writer direct;
  for (const auto& pb : plan_->blobs_of(work)) {
    auto targets = plan_->targets_of(pb);
    bool wanted = std::any_of(targets.begin(), targets.end(),
                              [&](const blob_target& t) { return !failed(t.entry) && !reused(t.entry, t.offset); });
    if (!wanted) continue;
    auto plain = read(pb);
    if (!plain) {
      out.damaged.push_back(pb.blob.id);
      out.errors.push_back("blob " + pb.blob.id.short_hex() + ": " + plain.error().message());
      for (const auto& t : targets) mark_failed(t.entry);
      continue;
    }
    out.bytes_fetched += plain->size();
    write_blob(pb, *plain, fds, direct, out);
  }
  for (auto& [entry, fd] : fds) ::close(fd);
  return out;
}

void restore_execution::lose_pack(size_t pack) {
  for (const auto& pb : plan_->blobs_of(plan_->packs[pack]))
    for (const auto& t : plan_->targets_of(pb)) mark_failed(t.entry);
}

std::vector<entry_problem> restore_execution::finish_files(size_t begin, size_t end) {
  std::vector<entry_problem> problems;
  end = std::min(end, plan_->entries.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& e = plan_->entries[i];
    auto state = state_[i].load();
    if (!has_content(e) || state == 4 || state == 5) continue;  // identical copy in place, or finished
    if (failed(i)) {  // named already; leave nothing, or the older copy
      if (state_[i].load() == 2)
        if (auto parent = parent_dir(i, false)) (void)dest_->remove(**parent, temp_name(i));
      continue;
    }
    auto st = [&]() -> status {
      if (state_[i].load() == 2 && sized_[i].load()) {  // written to its end: nothing to truncate
        CAIRN_ASSIGN(auto parent, parent_dir(i, false));
        return dest_->commit(*parent, temp_name(i), leaf(i));
      }
      CAIRN_ASSIGN(int fd, open_content(static_cast<uint32_t>(i)));  // made now if all were holes
      int r = ::ftruncate(fd, static_cast<off_t>(e.size));
      int err = errno;
      ::close(fd);
      if (r != 0) return fail(errc::io, "set size of " + dest_->path_of(plan_->path(i)) + ": " + std::strerror(err));
      CAIRN_ASSIGN(auto parent, parent_dir(i, false));
      return dest_->commit(*parent, temp_name(i), leaf(i));
    }();
    if (!st) {
      mark_failed(i);
      problems.push_back({plan_->path(i), st.error().message()});
      if (auto parent = parent_dir(i, false)) (void)dest_->remove(**parent, temp_name(i));
    }
  }
  return problems;
}

void restore_execution::discard_unfinished() {
  for (size_t i = 0; i < plan_->entries.size(); ++i) {
    auto state = state_[i].load();
    if (!has_content(plan_->entries[i]) || state == 0 || state == 4 || state == 5) continue;
    // Renamed into place already: the temporary name is gone and this is a no-op.
    if (auto parent = parent_dir(i, false)) (void)dest_->remove(**parent, temp_name(i));
  }
}

std::vector<entry_problem> restore_execution::link_hardlinks() {
  std::vector<entry_problem> problems;
  for (size_t i = 0; i < plan_->entries.size(); ++i) {
    const auto& e = plan_->entries[i];
    if (e.hardlink_of == no_entry) continue;
    size_t first = e.hardlink_of;
    auto st = [&]() -> status {
      if (failed(first))
        return fail(errc::io, "its content (shared with " + plan_->path(first) + ") was not restored");
      CAIRN_ASSIGN(auto from, parent_dir(first, false));
      CAIRN_ASSIGN(auto to, parent_dir(i, true));
      CAIRN_TRY(dest_->make_hardlink(*from, leaf(first), ids_[first], *to, leaf(i)));
      ids_[i] = ids_[first];
      return {};
    }();
    if (!st) {
      mark_failed(i);
      problems.push_back({plan_->path(i), st.error().message()});
    }
  }
  return problems;
}

std::vector<entry_problem> restore_execution::apply_metadata(size_t begin, size_t end) {
  std::vector<entry_problem> problems;
  const auto& options = options_;
  end = std::min(end, plan_->entries.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& e = plan_->entries[i];
    if (e.hardlink_of != no_entry || e.type == fs::file_type::directory || failed(i)) continue;
    if (has_content(e) && state_[i].load() == 5) continue;  // finish_now gave it its metadata
    auto parent = parent_dir(i, false);
    auto st = parent ? dest_->apply_metadata(**parent, leaf(i), ids_[i], plan_->meta(i), options)
                     : status(tl::unexpected(parent.error()));
    if (!st) problems.push_back({plan_->path(i), st.error().message()});
  }
  return problems;
}

std::vector<entry_problem> restore_execution::apply_directory_metadata() {
  std::vector<entry_problem> problems;
  const auto& options = options_;
  for (size_t k = plan_->entries.size(); k-- > 0;) {  // parents come before children
    const auto& e = plan_->entries[k];
    if (e.type != fs::file_type::directory || failed(k)) continue;
    auto parent = parent_dir(k, false);
    auto st = parent ? dest_->apply_metadata(**parent, leaf(k), ids_[k], plan_->meta(k), options)
                     : status(tl::unexpected(parent.error()));
    if (!st) problems.push_back({plan_->path(k), st.error().message()});
  }
  return problems;
}

std::vector<std::string> restore_execution::files_using(const std::vector<object_id>& damaged) const {
  std::unordered_set<object_id> bad(damaged.begin(), damaged.end());
  std::vector<std::string> out;
  if (bad.empty()) return out;
  for (size_t i = 0; i < plan_->entries.size(); ++i) {
    if (!has_content(plan_->entries[i])) continue;
    for (uint32_t b : plan_->content(i)) {
      const auto& id = plan_->blobs[b].blob.id;
      if (bad.count(id)) {
        out.push_back(plan_->path(i) + ": content damaged in the repository (blob " + id.short_hex() + ")");
        break;
      }
    }
  }
  return out;
}

uint64_t restore_execution::files_not_restored() const {
  uint64_t n = 0;
  for (size_t i = 0; i < plan_->entries.size(); ++i)
    if (plan_->entries[i].type == fs::file_type::regular && failed(i)) ++n;
  return n;
}

}  // namespace cairn::recovery
