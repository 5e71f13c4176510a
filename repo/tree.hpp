// One tree object per directory: its entries sorted by name, each with its
// metadata and either the ids of its content chunks (files) or the id of its
// own tree (directories) — a Merkle tree. Plain values; codecs are pure.
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/id.hpp"
#include "fs/metadata.hpp"

namespace cairn::repo {

struct node {
  std::string name;  // any bytes but '/' and NUL
  fs::metadata meta;
  std::vector<object_id> content;  // regular files, in order
  object_id subtree;               // directories
};

struct tree {
  std::vector<node> nodes;  // sorted by name, unique
};

byte_buffer encode_tree(const tree& t);
expected<tree> decode_tree(byte_view bytes);

// Sorts nodes by name (the order encode_tree requires for stable ids).
void sort_nodes(std::vector<node>& nodes);

}  // namespace cairn::repo
