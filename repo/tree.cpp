#include "repo/tree.hpp"

#include <algorithm>

#include "repo/repo_format.hpp"

namespace cairn::repo {

namespace {
constexpr uint8_t tree_version = 1;
}

void sort_nodes(std::vector<node>& nodes) {
  std::sort(nodes.begin(), nodes.end(),
            [](const node& a, const node& b) { return a.name < b.name; });
}

byte_buffer encode_tree(const tree& t) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(tree_version);
  w.varint(t.nodes.size());
  for (const auto& n : t.nodes) {
    const auto& m = n.meta;
    w.str(n.name);
    w.u8(static_cast<uint8_t>(m.type));
    w.varint(m.mode);
    w.varint(m.uid);
    w.varint(m.gid);
    w.str(m.user);
    w.str(m.group);
    w.svarint(m.mtime_ns);
    w.svarint(m.atime_ns);
    w.svarint(m.ctime_ns);
    w.varint(m.size);
    w.varint(m.dev);
    w.varint(m.inode);
    w.varint(m.nlink);
    w.varint(m.rdev);
    w.str(m.link_target);
    w.varint(m.xattrs.size());
    for (const auto& x : m.xattrs) {
      w.str(x.name);
      w.bytes(x.value);
    }
    if (m.type == fs::file_type::regular) {
      w.varint(n.content.size());
      for (const auto& id : n.content) w.raw(id.view());
    } else if (m.type == fs::file_type::directory) {
      w.raw(n.subtree.view());
    }
  }
  return out;
}

namespace {

// Why a node's name cannot be restored under its parent, or nullptr.
const char* bad_name(const std::string& name) {
  if (name.empty()) return "an empty entry name";
  if (name == "." || name == "..") return "an entry named . or ..";
  if (name.find('/') != std::string::npos) return "an entry name with '/'";
  if (name.find('\0') != std::string::npos) return "an entry name with a NUL byte";
  return nullptr;
}

bool read_node(byte_reader& r, node& n) {
  auto& m = n.meta;
  n.name = r.str();
  uint8_t type = r.u8();
  if (type < 1 || type > 7) return false;
  m.type = static_cast<fs::file_type>(type);
  m.mode = static_cast<uint32_t>(r.varint());
  m.uid = static_cast<uint32_t>(r.varint());
  m.gid = static_cast<uint32_t>(r.varint());
  m.user = r.str();
  m.group = r.str();
  m.mtime_ns = r.svarint();
  m.atime_ns = r.svarint();
  m.ctime_ns = r.svarint();
  m.size = r.varint();
  m.dev = r.varint();
  m.inode = r.varint();
  m.nlink = r.varint();
  m.rdev = r.varint();
  m.link_target = r.str();
  uint64_t xattrs = r.varint();
  if (!r.ok() || xattrs > r.remaining() / 2) return false;  // name and value take a byte each at least
  for (uint64_t i = 0; i < xattrs && r.ok(); ++i) {
    fs::xattr x;
    x.name = r.str();
    auto v = r.bytes();
    x.value.assign(v.begin(), v.end());
    m.xattrs.push_back(std::move(x));
  }
  if (m.type == fs::file_type::regular) {
    uint64_t chunks = r.varint();
    if (!r.ok() || chunks > r.remaining() / object_id::size) return false;
    n.content.reserve(chunks);
    for (uint64_t i = 0; i < chunks; ++i) n.content.push_back(object_id::from_view(r.raw(object_id::size)));
  } else if (m.type == fs::file_type::directory) {
    auto id = r.raw(object_id::size);
    if (!r.ok()) return false;
    n.subtree = object_id::from_view(id);
  }
  return r.ok();
}

}  // namespace

expected<tree> decode_tree(byte_view bytes) {
  if (bytes.size() > max_tree_bytes) return fail(errc::corrupt, "damaged tree (larger than the format allows)");
  byte_reader r(bytes);
  if (r.u8() != tree_version) return fail(errc::corrupt, "unknown tree version");
  uint64_t count = r.varint();
  if (!r.ok() || count > r.remaining() / min_tree_node_bytes)
    return fail(errc::corrupt, "damaged tree (entry count exceeds the bytes present)");
  tree t;
  t.nodes.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    node n;
    if (!read_node(r, n)) return fail(errc::corrupt, "damaged tree (entry " + std::to_string(i) + ")");
    // Restore creates entries by name under their parent: a name that is
    // not one path component, or a second entry of one name (a directory
    // and a symlink "a"), would let it write outside the destination.
    if (auto why = bad_name(n.name)) return fail(errc::corrupt, std::string("damaged tree (") + why + ")");
    if (!t.nodes.empty() && !(t.nodes.back().name < n.name))
      return fail(errc::corrupt, t.nodes.back().name == n.name
                                   ? "damaged tree (two entries of one name)"
                                   : "damaged tree (entries not in name order)");
    t.nodes.push_back(std::move(n));
  }
  if (!r.done()) return fail(errc::corrupt, "damaged tree (trailing bytes)");
  return t;
}

}  // namespace cairn::repo
