#include "recovery/restore_plan.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
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

std::vector<entry_problem> prepare_entries(const restore_plan& plan, const std::filesystem::path& to) {
  std::vector<entry_problem> problems;
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) return {{to.string(), "cannot create: " + ec.message()}};
  for (const auto& e : plan.entries) {
    std::string path = (to / e.path).string();
    const auto& m = e.node.meta;
    status st;
    switch (m.type) {
      case fs::file_type::directory: st = fs::make_directory(path); break;
      case fs::file_type::symlink: st = fs::make_symlink(m.link_target, path); break;
      case fs::file_type::regular:
        if (e.hardlink_of != no_link) {
          st = fs::make_hardlink((to / plan.entries[e.hardlink_of].path).string(), path);
        } else {
          auto fd = fs::create_file(path);
          st = fd ? fs::finish_file(*fd, m.size, path) : status(fail(fd.error()));
        }
        break;
      default: st = fs::make_special(path, m); break;
    }
    if (!st) problems.push_back({e.path, st.error().message()});
  }
  return problems;
}

fetch_outcome fetch_pack(const repo::repository& repo, const restore_plan& plan,
                         const pack_work& work, const std::filesystem::path& to) {
  fetch_outcome out;
  auto info = repo.index().pack(work.pack);
  auto name = repo::pack_name(info.id);
  auto cipher = repo.cipher().for_pack(info.salt);
  auto hasher = repo.make_hasher();
  // Coalesce blobs whose gaps are small into one ranged read.
  constexpr uint64_t max_gap = 1 << 20;
  size_t i = 0;
  std::unordered_map<uint32_t, int> fds;
  while (i < work.blobs.size()) {
    size_t j = i + 1;
    uint64_t start = work.blobs[i].blob.offset;
    uint64_t end = start + work.blobs[i].blob.length;
    while (j < work.blobs.size() && work.blobs[j].blob.offset <= end + max_gap &&
           work.blobs[j].blob.offset + work.blobs[j].blob.length - start <= (32u << 20)) {
      end = std::max<uint64_t>(end, work.blobs[j].blob.offset + work.blobs[j].blob.length);
      ++j;
    }
    auto range = repo.target()->get(name, {start, end - start});
    if (range) out.bytes_fetched += range->size();
    for (size_t k = i; k < j; ++k) {
      const auto& pb = work.blobs[k];
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
      if (all_zero(*plain)) continue;  // a hole: the file is already sparse there
      for (const auto& t : pb.targets) {
        std::string path = (to / plan.entries[t.entry].path).string();
        auto it = fds.find(t.entry);
        if (it == fds.end()) {
          int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
          if (fd < 0) {
            out.errors.push_back(path + ": cannot open for writing: " + std::strerror(errno));
            out.damaged.push_back(pb.blob.id);
            continue;
          }
          it = fds.emplace(t.entry, fd).first;
        }
        auto st = fs::write_sparse(it->second, t.offset, *plain, path);
        if (!st) {
          out.errors.push_back(st.error().message());
          out.damaged.push_back(pb.blob.id);
          continue;
        }
        out.bytes_written += plain->size();
      }
    }
    i = j;
  }
  for (auto& [entry, fd] : fds) ::close(fd);
  return out;
}

std::vector<entry_problem> finish_entries(const restore_plan& plan, const std::filesystem::path& to,
                                          bool owners) {
  std::vector<entry_problem> problems;
  fs::apply_options options{owners};
  // Children before parents: setting a directory's mtime or a read-only mode
  // must come after everything inside it was written.
  for (size_t k = plan.entries.size(); k-- > 0;) {
    const auto& e = plan.entries[k];
    if (e.hardlink_of != no_link) continue;  // same inode as its first path
    auto st = fs::apply_metadata((to / e.path).string(), e.node.meta, options);
    if (!st) problems.push_back({e.path, st.error().message()});
  }
  return problems;
}

std::vector<std::string> files_using(const restore_plan& plan, const std::vector<object_id>& damaged) {
  std::unordered_set<object_id> bad(damaged.begin(), damaged.end());
  std::vector<std::string> out;
  for (const auto& e : plan.entries) {
    if (e.node.meta.type != fs::file_type::regular || e.hardlink_of != no_link) continue;
    for (const auto& id : e.node.content)
      if (bad.count(id)) {
        out.push_back(e.path + ": content damaged in the repository (blob " + id.short_hex() + ")");
        break;
      }
  }
  return out;
}

}  // namespace cairn::recovery
