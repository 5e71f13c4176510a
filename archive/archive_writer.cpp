#include "archive/archive_writer.hpp"

#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "crypto/id_hasher.hpp"
#include "repo/compression.hpp"
#include "repo/tree_walk.hpp"

namespace cairn::archive {

namespace {

// Paths as a trie: a selection (`whole`: this subtree entirely) or exclusions.
struct trie {
  std::map<std::string, std::unique_ptr<trie>> children;
  bool whole = false;
  bool seen = false;

  static expected<void> add(trie& root, const std::string& path) {
    trie* at = &root;
    size_t start = 0;
    bool any = false;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      if (end > start) {
        auto part = path.substr(start, end - start);
        if (part == "." || part == "..") return fail(errc::invalid_input, "\"" + path + "\": no . or .. in paths");
        auto& child = at->children[part];
        if (!child) child = std::make_unique<trie>();
        at = child.get();
        any = true;
      }
      start = end + 1;
    }
    if (any) at->whole = true;
    return {};
  }
  const trie* child(const std::string& name) const {
    auto it = children.find(name);
    return it == children.end() ? nullptr : it->second.get();
  }
};

struct writer {
  const repo::repository& repo;
  const export_request& request;
  const sink& out;
  std::unique_ptr<record_cipher> cipher;
  export_report report;
  uint64_t offset = 0;
  uint64_t seq = 0;
  byte_buffer toc;
  uint64_t toc_entries = 0;
  std::unordered_set<object_id> trees_written;
  std::unordered_map<object_id, object_id> clean_memo;  // repository tree -> archive tree (unfiltered)
  std::unordered_set<object_id> data_seen;
  std::vector<object_id> data_order;
  trie selection, exclusion;

  status emit(record_type type, byte_view plaintext) {
    auto sealed = cipher->seal(type, seq, plaintext);
    if (sealed.size() > max_record_length(static_cast<uint8_t>(type)))
      return fail(errc::unsupported, "a record is larger than the archive format allows");
    auto f = encode_frame({type, seq, static_cast<uint32_t>(sealed.size())});
    CAIRN_TRY(out(f));
    CAIRN_TRY(out(sealed));
    offset += f.size() + sealed.size();
    ++seq;
    return {};
  }

  status emit_blob(record_type type, const object_id& id, byte_view plain) {
    uint64_t at = offset;
    byte_buffer body;
    byte_writer w(body);
    w.raw(id.view());
    w.varint(plain.size());
    auto encoded = repo::encode_blob(plain, request.zstd_level);
    w.raw(encoded);
    CAIRN_TRY(emit(type, body));
    byte_writer t(toc);
    t.u8(static_cast<uint8_t>(type));
    t.raw(id.view());
    t.varint(at);
    t.varint(plain.size());
    ++toc_entries;
    return {};
  }

  // A tree as the archive holds it: filtered, its subtrees replaced by theirs.
  struct frame {
    std::string path;
    object_id repo_id;
    repo::tree t;
    size_t next = 0;
    const trie* select;   // null: everything below
    const trie* exclude;  // null: nothing excluded below
  };

  bool clean(const trie* select, const trie* exclude) const { return !select && !exclude; }

  // Post-order over the trees, iterative (depth bounded by the measure).
  expected<object_id> rewrite(const object_id& root) {
    std::vector<frame> stack;
    auto open = [&](const std::string& path, const object_id& id, const trie* select,
                    const trie* exclude) -> status {
      if (stack.size() >= repo::max_tree_depth)
        return fail(errc::corrupt, path + ": trees nest deeper than the format allows");
      CAIRN_ASSIGN(auto t, repo.read_tree(id));
      std::vector<repo::node> kept;
      for (auto& n : t.nodes) {
        const trie* ex = exclude ? exclude->child(n.name) : nullptr;
        std::string here = path.empty() ? n.name : path + "/" + n.name;
        if (ex && ex->whole) {
          const_cast<trie*>(ex)->seen = true;
          report.left_out.push_back(here);
          continue;
        }
        if (select) {
          const trie* s = select->child(n.name);
          if (!s) continue;
          const_cast<trie*>(s)->seen = true;
          if (!s->whole && n.meta.type != fs::file_type::directory) continue;
        }
        kept.push_back(std::move(n));
      }
      t.nodes = std::move(kept);
      stack.push_back(frame{path, id, std::move(t), 0, select, exclude});
      return {};
    };
    CAIRN_TRY(open("", root, request.paths.empty() ? nullptr : &selection,
                   request.exclude.empty() ? nullptr : &exclusion));
    object_id result;
    while (!stack.empty()) {
      auto& top = stack.back();
      bool descended = false;
      while (top.next < top.t.nodes.size()) {
        auto& n = top.t.nodes[top.next];
        if (n.meta.type != fs::file_type::directory) {
          add_file(n);
          ++top.next;
          continue;
        }
        const trie* s = top.select ? top.select->child(n.name) : nullptr;
        if (s && s->whole) s = nullptr;  // selected whole: everything below
        const trie* ex = top.exclude ? top.exclude->child(n.name) : nullptr;
        if (clean(s, ex)) {
          if (auto it = clean_memo.find(n.subtree); it != clean_memo.end()) {
            n.subtree = it->second;
            ++top.next;
            continue;
          }
        }
        std::string path = top.path.empty() ? n.name : top.path + "/" + n.name;
        auto sub = n.subtree;
        CAIRN_TRY(open(path, sub, s, ex));  // invalidates `top`
        descended = true;
        break;
      }
      if (descended) continue;
      auto encoded = repo::encode_tree(top.t);
      auto id = crypto::sha256_of(encoded);
      if (trees_written.insert(id).second) {
        CAIRN_TRY(emit_blob(record_type::tree, id, encoded));
        ++report.trees;
      }
      if (clean(top.select, top.exclude)) clean_memo[top.repo_id] = id;
      stack.pop_back();
      if (stack.empty()) {
        result = id;
        break;
      }
      auto& parent = stack.back();
      parent.t.nodes[parent.next].subtree = id;
      ++parent.next;
    }
    return result;
  }

  void add_file(const repo::node& n) {
    if (n.meta.type != fs::file_type::regular) return;
    ++report.files;
    report.bytes += n.meta.size;
    for (const auto& id : n.content)
      if (data_seen.insert(id).second) data_order.push_back(id);
  }
};

status check_seen(const trie& t, const std::string& prefix) {
  std::vector<std::pair<std::string, const trie*>> stack{{prefix, &t}};
  while (!stack.empty()) {
    auto [path, node] = stack.back();
    stack.pop_back();
    if (node->whole && !node->seen) return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
    for (const auto& [name, child] : node->children)
      stack.emplace_back(path.empty() ? name : path + "/" + name, child.get());
  }
  return {};
}

}  // namespace

expected<export_report> write_archive(const repo::repository& repo, const export_request& request,
                                      const credential& key, const sink& out) {
  writer w{repo, request, out, nullptr, {}, 0, 0, {}, 0, {}, {}, {}, {}, {}, {}};
  if (request.paths.size() > max_paths) return fail(errc::invalid_input, "too many --path selections");
  for (const auto& p : request.paths) {
    if (p.size() > max_path_bytes) return fail(errc::invalid_input, "a --path is longer than 4096 bytes");
    CAIRN_TRY(trie::add(w.selection, p));
  }
  for (const auto& p : request.exclude) CAIRN_TRY(trie::add(w.exclusion, p));
  repo::tree_measure measure(repo);
  CAIRN_TRY(measure.check_limits(request.checkpoint.tree, "checkpoint " + request.checkpoint_id.short_hex()));

  header h;
  h.kind = key.kind;
  crypto::random_fill(h.salt, sizeof h.salt);
  if (key.kind == protection::passphrase) {
    h.memory_kib = key.kdf.memory_kib;
    h.iterations = key.kdf.iterations;
    h.parallelism = key.kdf.parallelism;
  } else if (key.kind == protection::keyfile) {
    keyfile_fingerprint(key.keyfile, h.fingerprint);
  }
  CAIRN_ASSIGN(w.cipher, record_cipher::make(h, key));
  auto head = encode_header(h);
  CAIRN_TRY(out(head));
  w.offset = head.size();

  // The trees first (the meta record names the root, so it follows them in
  // the stream but is found through the table of contents).
  CAIRN_ASSIGN(auto root, w.rewrite(request.checkpoint.tree));
  CAIRN_TRY(check_seen(w.selection, ""));

  repo::checkpoint c = request.checkpoint;
  c.tree = root;
  for (const auto& path : w.report.left_out) {
    auto slash = path.find('/');
    if (slash == std::string::npos) continue;
    for (auto& m : c.resources)
      if (m.name == path.substr(0, slash) && m.left_out.size() < repo::max_manifest_left_out) {
        m.left_out.push_back(path.substr(slash + 1));
        m.left_out_reason = request.exclude_reason;
      }
  }
  byte_buffer meta;
  byte_writer mw(meta);
  mw.bytes(repo::encode_checkpoint(c));
  mw.raw(request.checkpoint_id.view());
  mw.varint(request.paths.size());
  for (const auto& p : request.paths) mw.str(p);
  uint64_t meta_offset = w.offset;
  CAIRN_TRY(w.emit(record_type::meta, meta));

  for (const auto& id : w.data_order) {
    CAIRN_ASSIGN(auto plain, repo.read_blob(id));
    CAIRN_TRY(w.emit_blob(record_type::data, id, plain));
    ++w.report.blobs;
  }

  byte_buffer toc;
  byte_writer tw(toc);
  tw.raw(root.view());
  tw.varint(meta_offset);
  tw.varint(w.toc_entries);
  tw.raw(w.toc);
  uint64_t toc_offset = w.offset;
  CAIRN_TRY(w.emit(record_type::toc, toc));
  byte_buffer trailer;
  byte_writer(trailer).u64(toc_offset);
  trailer.insert(trailer.end(), end_magic.begin(), end_magic.end());
  CAIRN_TRY(out(trailer));
  w.report.archive_bytes = w.offset + trailer.size();
  return w.report;
}

}  // namespace cairn::archive
