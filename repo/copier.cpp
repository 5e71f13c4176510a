#include "repo/copier.hpp"

#include "repo/compression.hpp"

namespace cairn::repo {

checkpoint_copier::checkpoint_copier(const repository& from, repository& to, std::function<void()> keep_alive)
  : from_(from),
    to_(to),
    keep_alive_(std::move(keep_alive)),
    hasher_(to.make_hasher()),
    measure_(from),
    data_packs_(to.cipher(), to.header().pack_size, to.target().get()),
    tree_packs_(to.cipher(), to.header().pack_size, to.target().get()) {}

status checkpoint_copier::put(blob_type type, const object_id& id, byte_view plaintext) {
  if (!to_.index().claim(id)) return {};  // the destination has it
  auto& packs = type == blob_type::tree ? tree_packs_ : data_packs_;
  auto encoded = encode_blob(plaintext, to_.header().zstd_level);
  if (packs.would_overflow(encoded.size())) {
    CAIRN_ASSIGN(auto done, packs.finish());
    CAIRN_TRY(to_.store_pack(done));
    stats_.bytes_uploaded += done.record.size;
    unindexed_.push_back(std::move(done.record));
  }
  CAIRN_TRY(packs.add(type, id, encoded, static_cast<uint32_t>(plaintext.size())));
  ++stats_.blobs_new;
  return {};
}

// Stores the open packs (all: also those not full) and indexes what was stored.
status checkpoint_copier::flush(bool all) {
  for (auto* packs : {&data_packs_, &tree_packs_}) {
    if (packs->empty() || (!all && !packs->full())) continue;
    CAIRN_ASSIGN(auto done, packs->finish());
    CAIRN_TRY(to_.store_pack(done));
    stats_.bytes_uploaded += done.record.size;
    unindexed_.push_back(std::move(done.record));
  }
  if (unindexed_.empty()) return {};
  CAIRN_TRY(to_.write_index(unindexed_));
  unindexed_.clear();
  return {};
}

expected<object_id> checkpoint_copier::map_data(const object_id& id) {
  if (auto it = data_map_.find(id); it != data_map_.end()) return it->second;
  if (keep_alive_) keep_alive_();
  CAIRN_ASSIGN(auto plain, from_.read_blob(id));  // verified against its id
  if (plain.size() > to_.header().chunker.max_size)
    return fail(errc::unsupported, "a chunk of " + std::to_string(plain.size()) + " bytes is larger than " +
                                     to_.describe() + " accepts (chunker max_size " +
                                     std::to_string(to_.header().chunker.max_size) + ")");
  ++stats_.blobs_read;
  stats_.bytes_read += plain.size();
  auto mapped = hasher_.id_of(plain);
  CAIRN_TRY(put(blob_type::data, mapped, plain));
  data_map_.emplace(id, mapped);
  return mapped;
}

// Bottom-up over the distinct trees below `root`, with an explicit stack (its
// height is bounded: check_limits measured the depth and refused cycles).
expected<object_id> checkpoint_copier::map_tree(const object_id& root) {
  struct frame {
    object_id id;
    tree t;
    size_t next = 0;
  };
  std::vector<frame> stack;
  auto open = [&](const object_id& id) -> status {
    CAIRN_ASSIGN(auto t, from_.read_tree(id));
    stack.push_back({id, std::move(t), 0});
    return {};
  };
  if (auto it = tree_map_.find(root); it != tree_map_.end()) return it->second;
  CAIRN_TRY(open(root));
  while (true) {
    auto& top = stack.back();
    if (top.next < top.t.nodes.size()) {
      auto& n = top.t.nodes[top.next];
      if (n.meta.type == fs::file_type::directory) {
        auto it = tree_map_.find(n.subtree);
        if (it == tree_map_.end()) {
          CAIRN_TRY(open(n.subtree));  // invalidates `top`; this node is mapped when it is done
          continue;
        }
        n.subtree = it->second;
      } else {
        for (auto& id : n.content) {
          CAIRN_ASSIGN(id, map_data(id));
        }
      }
      ++top.next;
      continue;
    }
    auto bytes = encode_tree(top.t);
    auto mapped = hasher_.id_of(bytes);
    CAIRN_TRY(put(blob_type::tree, mapped, bytes));
    tree_map_.emplace(top.id, mapped);
    ++stats_.trees;
    stack.pop_back();
    if (stack.empty()) return mapped;
    CAIRN_TRY(flush(false));
  }
}

expected<object_id> checkpoint_copier::copy(const object_id& id) {
  CAIRN_ASSIGN(auto c, from_.read_checkpoint(id));
  CAIRN_TRY(measure_.check_limits(c.tree, "checkpoint " + id.short_hex() + ":"));
  CAIRN_ASSIGN(c.tree, map_tree(c.tree));
  CAIRN_TRY(flush(true));  // every pack and its index before the checkpoint
  c.parent.reset();        // the source's ids mean nothing here
  CAIRN_ASSIGN(auto written, to_.write_checkpoint(c));
  return written;
}

}  // namespace cairn::repo
