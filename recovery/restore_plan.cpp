#include "recovery/restore_plan.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>
#include <unordered_set>

#include "fs/writer.hpp"

namespace cairn::recovery {

namespace {

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    if (end > start) parts.push_back(p.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

struct planner {
  const repo::repository& repo;
  restore_plan plan;
  std::map<std::pair<uint64_t, uint64_t>, size_t> inodes;  // (dev, inode) -> first entry
  std::map<uint32_t, std::map<object_id, planned_blob>> by_pack;

  status add_node(const std::string& path, const repo::node& n) {
    restore_entry e{path, n, no_link};
    e.node.subtree = n.subtree;
    if (n.meta.type == fs::file_type::regular && n.meta.nlink > 1) {
      auto key = std::make_pair(n.meta.dev, n.meta.inode);
      auto [it, fresh] = inodes.emplace(key, plan.entries.size());
      if (!fresh) e.hardlink_of = it->second;
    }
    size_t index = plan.entries.size();
    plan.entries.push_back(std::move(e));
    const auto& node = plan.entries.back().node;
    switch (node.meta.type) {
      case fs::file_type::directory:
        ++plan.dirs;
        return add_tree(path, node.subtree);
      case fs::file_type::regular:
        ++plan.files;
        if (plan.entries.back().hardlink_of == no_link) add_content(index, path, node);
        return {};
      default:
        ++plan.links;
        return {};
    }
  }

  void add_content(size_t index, const std::string& path, const repo::node& n) {
    uint64_t offset = 0;
    bool missing = false;
    for (const auto& id : n.content) {
      auto loc = repo.index().find(id);
      if (!loc) {
        missing = true;
        break;
      }
      auto& slot = by_pack[loc->pack][id];
      slot.blob = {id, loc->type, loc->offset, loc->length, loc->raw_length};
      slot.targets.push_back({static_cast<uint32_t>(index), offset});
      offset += loc->raw_length;
    }
    if (missing) plan.missing.push_back(path + ": a content blob is missing from the repository");
    plan.bytes += n.meta.size;
  }

  status add_tree(const std::string& path, const object_id& id) {
    CAIRN_ASSIGN(auto t, repo.read_tree(id));
    for (const auto& n : t.nodes) CAIRN_TRY(add_node(path + "/" + n.name, n));
    return {};
  }

  // Walks from the root to `path`, adding the missing parent directories.
  status add_path(const object_id& root, const std::string& path,
                  std::unordered_set<std::string>& parents) {
    auto parts = split_path(path);
    if (parts.empty()) return add_root(root);
    object_id tree_id = root;
    std::string prefix;
    for (size_t i = 0; i < parts.size(); ++i) {
      CAIRN_ASSIGN(auto t, repo.read_tree(tree_id));
      auto it = std::find_if(t.nodes.begin(), t.nodes.end(),
                             [&](const repo::node& n) { return n.name == parts[i]; });
      if (it == t.nodes.end())
        return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
      std::string here = prefix.empty() ? parts[i] : prefix + "/" + parts[i];
      if (i + 1 == parts.size()) return add_node(here, *it);
      if (it->meta.type != fs::file_type::directory)
        return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
      if (parents.insert(here).second) {
        restore_entry e{here, *it, no_link};
        plan.entries.push_back(std::move(e));
        ++plan.dirs;
      }
      tree_id = it->subtree;
      prefix = here;
    }
    return {};
  }

  status add_root(const object_id& root) {
    CAIRN_ASSIGN(auto t, repo.read_tree(root));
    for (const auto& n : t.nodes) CAIRN_TRY(add_node(n.name, n));
    return {};
  }
};

bool all_zero(const byte_buffer& b) {
  return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; });
}

}  // namespace

expected<restore_plan> plan_restore(const repo::repository& repo, const object_id& root_tree,
                                    const std::vector<std::string>& paths) {
  planner p{repo, {}, {}, {}};
  std::unordered_set<std::string> parents;
  if (paths.empty()) {
    CAIRN_TRY(p.add_root(root_tree));
  } else {
    for (const auto& path : paths) CAIRN_TRY(p.add_path(root_tree, path, parents));
  }
  for (auto& [pack, blobs] : p.by_pack) {
    pack_work w;
    w.pack = pack;
    for (auto& [id, b] : blobs) w.blobs.push_back(std::move(b));
    std::sort(w.blobs.begin(), w.blobs.end(), [](const planned_blob& a, const planned_blob& b) {
      return a.blob.offset < b.blob.offset;
    });
    p.plan.packs.push_back(std::move(w));
  }
  return std::move(p.plan);
}

namespace {

// The directory part of an entry's relative path ("" for a top-level entry).
std::string parent_of(const std::string& relative) {
  auto slash = relative.rfind('/');
  return slash == std::string::npos ? std::string() : relative.substr(0, slash);
}

bool has_content(const restore_entry& e) {
  return e.node.meta.type == fs::file_type::regular && e.hardlink_of == no_link &&
         !e.node.content.empty();
}

}  // namespace

restore_execution::restore_execution(std::shared_ptr<const restore_plan> plan,
                                     std::filesystem::path to, bool owners)
  : plan_(std::move(plan)), to_(std::move(to)), owners_(owners),
    state_(new std::atomic<uint8_t>[plan_->entries.size()]), reused_(plan_->entries.size()) {
  for (size_t i = 0; i < plan_->entries.size(); ++i) state_[i] = 0;
  std::error_code ec;
  std::filesystem::create_directories(to_, ec);
}

std::string restore_execution::path_of(size_t entry) const {
  return (to_ / plan_->entries[entry].path).string();
}

// Runs `make` for entry `i`; when its directory is missing, creates it (never
// through a symlink: see make_directories_below) and tries once more.
template <class F>
status restore_execution::with_parents(size_t i, F&& make) {
  auto st = make();
  if (st || st.error().code() != errc::not_found) return st;
  CAIRN_TRY(fs::make_directories_below(to_.string(), parent_of(plan_->entries[i].path)));
  return make();
}

std::vector<entry_problem> restore_execution::create_entries(size_t begin, size_t end) {
  std::vector<entry_problem> problems;
  end = std::min(end, plan_->entries.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& e = plan_->entries[i];
    const auto& m = e.node.meta;
    if (has_content(e) || e.hardlink_of != no_link) continue;  // fetch_pack, link_hardlinks
    std::string path = path_of(i);
    status st;
    switch (m.type) {
      case fs::file_type::directory:
        st = with_parents(i, [&] { return fs::make_directory(path); });
        break;
      case fs::file_type::symlink:
        st = with_parents(i, [&] { return fs::make_symlink(m.link_target, path); });
        break;
      case fs::file_type::regular:
        st = with_parents(i, [&]() -> status {
          CAIRN_ASSIGN(int fd, fs::create_file(path));
          return fs::finish_file(fd, 0, path);
        });
        break;
      default:
        st = with_parents(i, [&] { return fs::make_special(path, m); });
        break;
    }
    if (!st) problems.push_back({e.path, st.error().message()});
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
    if (!has_content(e) || e.hardlink_of != no_link) continue;
    int fd = ::open(path_of(i).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st {};
    // Never through a hard link: writing into it would change the other name.
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
      ::close(fd);
      continue;
    }
    uint64_t offset = 0;
    std::vector<uint64_t> in_place;
    for (const auto& id : e.node.content) {
      auto loc = repo.index().find(id);
      if (!loc) break;
      uint64_t len = loc->raw_length;
      if (offset + len > static_cast<uint64_t>(st.st_size)) break;
      buffer.resize(len);
      ssize_t got = ::pread(fd, buffer.data(), len, static_cast<off_t>(offset));
      if (got == static_cast<ssize_t>(len) && hasher.id_of(buffer) == id) {
        in_place.push_back(offset);
        kept += len;
      }
      offset += len;
    }
    ::close(fd);
    if (in_place.empty()) continue;
    reused_[i] = std::move(in_place);
    state_[i] = 3;
  }
  return kept;
}

bool restore_execution::reused(uint32_t entry, uint64_t offset) const {
  const auto& r = reused_[entry];
  return !r.empty() && std::binary_search(r.begin(), r.end(), offset);
}

expected<int> restore_execution::open_content(uint32_t entry) {
  std::string path = path_of(entry);
  auto& state = state_[entry];
  if (state.load() == 3) {  // an existing file whose other chunks stay: no truncation
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == EACCES && ::chmod(path.c_str(), 0600) == 0)  // read-only: its mode comes last
      fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return fail(errc::io, "open " + path + ": " + std::strerror(errno));
    return fd;
  }
  uint8_t expected_state = 0;
  if (state.compare_exchange_strong(expected_state, 1)) {
    // First writer: create it, replacing whatever an earlier restore left.
    // Its directory is made safe first: a symlink there must not lead the
    // write elsewhere (create_file opens with O_NOFOLLOW for the last part).
    auto parents = fs::make_directories_below(to_.string(), parent_of(plan_->entries[entry].path));
    auto fd = parents ? fs::create_file(path) : expected<int>(cairn::fail(parents.error()));
    state = 2;
    return fd;
  }
  while (state.load() == 1) std::this_thread::yield();  // another thread is creating it
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return fail(errc::io, "open " + path + ": " + std::strerror(errno));
  return fd;
}

fetch_outcome restore_execution::fetch_pack(const repo::repository& repo, const pack_work& work) {
  fetch_outcome out;
  auto info = repo.index().pack(work.pack);
  auto name = repo::pack_name(info.id);
  auto cipher = repo.cipher().for_pack(info.salt);
  auto hasher = repo.make_hasher();
  // Coalesce blobs whose gaps are small into one ranged read of at most 8 MiB
  // (several fetchers each hold one range in memory).
  constexpr uint64_t max_gap = 1 << 20;
  constexpr uint64_t max_range = 8 << 20;
  constexpr size_t max_open = 64;
  // Only the blobs some target still needs (reuse_existing may have found
  // the rest in place); a pack with none is not read at all.
  std::vector<const planned_blob*> needed;
  for (const auto& pb : work.blobs)
    if (std::any_of(pb.targets.begin(), pb.targets.end(), [&](const blob_target& t) { return !reused(t.entry, t.offset); }))
      needed.push_back(&pb);
  std::unordered_map<uint32_t, int> fds;
  std::unordered_set<uint32_t> failed;  // entries that could not be written: reported once
  auto close_all = [&] {
    for (auto& [entry, fd] : fds) ::close(fd);
    fds.clear();
  };
  size_t i = 0;
  while (i < needed.size()) {
    size_t j = i + 1;
    uint64_t start = needed[i]->blob.offset;
    uint64_t end = start + needed[i]->blob.length;
    while (j < needed.size() && needed[j]->blob.offset <= end + max_gap &&
           needed[j]->blob.offset + needed[j]->blob.length - start <= max_range) {
      end = std::max<uint64_t>(end, needed[j]->blob.offset + needed[j]->blob.length);
      ++j;
    }
    auto range = repo.target()->get(name, {start, end - start});
    if (range) out.bytes_fetched += range->size();
    for (size_t k = i; k < j; ++k) {
      const auto& pb = *needed[k];
      expected<byte_buffer> plain = fail(errc::io, "");
      if (!range) {
        plain = fail(range.error());
      } else if (range->size() < pb.blob.offset - start + pb.blob.length) {
        plain = fail(errc::corrupt, name + " is shorter than the index says");
      } else {
        plain = repo::open_blob(
          *cipher, pb.blob, byte_view(*range).subspan(pb.blob.offset - start, pb.blob.length), hasher);
      }
      if (!plain) {
        out.damaged.push_back(pb.blob.id);
        out.errors.push_back("blob " + pb.blob.id.short_hex() + " in " + name + ": " +
                             plain.error().message());
        continue;
      }
      bool zero = all_zero(*plain);
      for (const auto& t : pb.targets) {
        if (failed.count(t.entry) || reused(t.entry, t.offset)) continue;
        // A hole in a new file needs no write (apply_metadata sets the size);
        // in a kept file, old bytes there must be overwritten.
        bool kept_file = state_[t.entry].load() == 3;
        if (zero && !kept_file) continue;
        auto it = fds.find(t.entry);
        if (it == fds.end()) {
          if (fds.size() >= max_open) close_all();  // stay far below RLIMIT_NOFILE
          auto fd = open_content(t.entry);
          if (!fd) {
            failed.insert(t.entry);
            out.problems.push_back({plan_->entries[t.entry].path, fd.error().message()});
            continue;
          }
          it = fds.emplace(t.entry, *fd).first;
        }
        auto st = kept_file ? fs::write_all(it->second, t.offset, *plain, path_of(t.entry))
                            : fs::write_sparse(it->second, t.offset, *plain, path_of(t.entry));
        if (!st) {
          failed.insert(t.entry);
          out.problems.push_back({plan_->entries[t.entry].path, st.error().message()});
          continue;
        }
        out.bytes_written += plain->size();
      }
    }
    i = j;
  }
  close_all();
  return out;
}

std::vector<entry_problem> restore_execution::link_hardlinks() {
  std::vector<entry_problem> problems;
  for (size_t i = 0; i < plan_->entries.size(); ++i) {
    const auto& e = plan_->entries[i];
    if (e.hardlink_of == no_link) continue;
    std::string first = path_of(e.hardlink_of), path = path_of(i);
    // The first name may have had only holes: make sure it exists.
    if (state_[e.hardlink_of] == 0 && ::access(first.c_str(), F_OK) != 0)
      if (auto fd = open_content(static_cast<uint32_t>(e.hardlink_of))) ::close(*fd);
    auto st = with_parents(i, [&] { return fs::make_hardlink(first, path); });
    if (!st) problems.push_back({e.path, st.error().message()});
  }
  return problems;
}

std::vector<entry_problem> restore_execution::apply_metadata(size_t begin, size_t end) {
  std::vector<entry_problem> problems;
  fs::apply_options options{owners_};
  end = std::min(end, plan_->entries.size());
  for (size_t i = begin; i < end; ++i) {
    const auto& e = plan_->entries[i];
    if (e.hardlink_of != no_link || e.node.meta.type == fs::file_type::directory) continue;
    std::string path = path_of(i);
    if (has_content(e)) {
      // Files whose blobs were all holes were never opened: create them now.
      if (state_[i] == 0)
        if (auto fd = open_content(static_cast<uint32_t>(i))) ::close(*fd);
      if (::truncate(path.c_str(), static_cast<off_t>(e.node.meta.size)) != 0) {
        problems.push_back({e.path, std::string("set size: ") + std::strerror(errno)});
        continue;
      }
    }
    auto st = fs::apply_metadata(path, e.node.meta, options);
    if (!st) problems.push_back({e.path, st.error().message()});
  }
  return problems;
}

std::vector<entry_problem> restore_execution::apply_directory_metadata() {
  std::vector<entry_problem> problems;
  fs::apply_options options{owners_};
  for (size_t k = plan_->entries.size(); k-- > 0;) {  // parents come before children
    const auto& e = plan_->entries[k];
    if (e.node.meta.type != fs::file_type::directory) continue;
    auto st = fs::apply_metadata(path_of(k), e.node.meta, options);
    if (!st) problems.push_back({e.path, st.error().message()});
  }
  return problems;
}

std::vector<std::string> restore_execution::files_using(const std::vector<object_id>& damaged) const {
  std::unordered_set<object_id> bad(damaged.begin(), damaged.end());
  std::vector<std::string> out;
  for (const auto& e : plan_->entries) {
    if (!has_content(e)) continue;
    for (const auto& id : e.node.content)
      if (bad.count(id)) {
        out.push_back(e.path + ": content damaged in the repository (blob " + id.short_hex() + ")");
        break;
      }
  }
  return out;
}

}  // namespace cairn::recovery
