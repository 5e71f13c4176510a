// Writes the seed corpora of tests/fuzz/corpus/ from the golden repositories
// (tests/data/format-v1-*), in the input formats of the harnesses
// (fuzz_support.hpp). Run by hand when a harness changes its input format:
//   build-asan/fuzz/make_fuzz_corpus tests/fuzz/corpus
#include <filesystem>
#include <fstream>
#include <iostream>

#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"
#include "crypto/id_hasher.hpp"
#include "fs/metadata.hpp"
#include "repo/compression.hpp"
#include "fuzz_support.hpp"
#include "recovery/suite_state.hpp"
#include "repo/repository.hpp"
#include "repo/stored_ids.hpp"
#include "targets/local_target.hpp"

namespace {

using namespace cairn;
namespace stdfs = std::filesystem;

stdfs::path out_dir;

void seed(const std::string& target, const std::string& name, uint8_t mode, byte_view body,
          bool with_mode = true) {
  stdfs::create_directories(out_dir / target);
  std::ofstream f(out_dir / target / ("seed-" + name), std::ios::binary);
  if (with_mode) f.put(static_cast<char>(mode));
  f.write(reinterpret_cast<const char*>(body.data()), static_cast<std::streamsize>(body.size()));
}
void raw_seed(const std::string& target, const std::string& name, byte_view body) {
  seed(target, name, 0, body, false);
}

template <class T>
T need(expected<T> v, const char* what) {
  if (!v) {
    std::cerr << "make_fuzz_corpus: " << what << ": " << v.error().message() << "\n";
    std::exit(1);
  }
  return std::move(*v);
}

// Both plaintext modes (0 none, 1 AES) for a sealed-object harness.
void plain_seeds(const std::string& target, const std::string& name, byte_view plain) {
  seed(target, name + "-none", 0, plain);
  seed(target, name + "-aes", 1, plain);
}

void from_golden(const std::string& mode) {
  auto dir = std::string(CAIRN_TEST_DATA_DIR) + "/format-v1-" + mode + "/repository";
  auto target = std::make_shared<targets::local_target>(dir);
  auto header_bytes = need(target->get("config"), "config");
  raw_seed("header", mode, header_bytes);
  auto header = need(repo::repository::read_header(*target), "header");
  raw_seed("key_slots", mode, as_bytes(repo::encode_key_slots(header.key_slots)));
  crypto::key_ptr keys;
  if (mode == "keyfile")
    keys = crypto::derive_repository_keys(need(
      crypto::open_key_slots(header.key_slots, fuzz::golden_credential(), header.repository_id),
      "key slot"));
  auto repo = need(repo::repository::open(target, header, keys), "open");
  need(repo->load_index(false, false), "index");
  const auto& cipher = repo->cipher();
  for (const auto& id : need(repo->list_index_files(), "list index")) {
    auto stored = need(target->get(repo::index_name(id)), "index file");
    auto plain = need(cipher.open_object(repo::kind_index, stored), "open index");
    plain_seeds("index", mode, plain);
    if (mode == "none") seed("index", "stored-none", 2, stored);
  }
  for (const auto& id : need(repo->list_checkpoints(), "list checkpoints")) {
    auto stored = need(target->get(repo::checkpoint_name(id)), "checkpoint");
    plain_seeds("checkpoint", mode, need(cipher.open_object(repo::kind_checkpoint, stored), "open"));
    if (mode == "none") seed("checkpoint", "stored-none", 2, stored);
    auto cp = need(repo->read_checkpoint(id), "read checkpoint");
    // Trees, depth first; their blobs seed the blob harness.
    std::vector<object_id> to_read{cp.tree};
    int n = 0;
    while (!to_read.empty()) {
      auto tid = to_read.back();
      to_read.pop_back();
      auto t = need(repo->read_tree(tid), "tree");
      auto plain = repo::encode_tree(t);
      raw_seed("tree", mode + "-" + std::to_string(n++), plain);
      for (const auto& node : t.nodes)
        if (!node.subtree.is_zero()) to_read.push_back(node.subtree);
    }
  }
  repo->index().for_each_pack([&](const repo::blob_index::pack_info& p) {
    auto bytes = need(target->get(repo::pack_name(p.id)), "pack");
    auto record = need(repo::parse_pack(bytes, p.id, cipher), "parse pack");
    auto toc = repo::encode_toc(record.blobs);
    raw_seed("toc", mode + "-" + p.id.short_hex(), toc);
    if (mode == "none") {
      seed("pack", "none-" + p.id.short_hex(), 0, bytes);
    } else {  // u16 TOC length | TOC plaintext | blob bytes (fuzz_pack.cpp)
      byte_buffer body{static_cast<uint8_t>(toc.size()), static_cast<uint8_t>(toc.size() >> 8)};
      body.insert(body.end(), toc.begin(), toc.end());
      byte_reader trailer(byte_view(bytes).last(repo::pack_trailer_size));
      uint64_t blobs_end = bytes.size() - repo::pack_trailer_size - trailer.u32();
      body.insert(body.end(), bytes.begin() + repo::pack_salt_size, bytes.begin() + blobs_end);
      seed("pack", "aes-" + p.id.short_hex(), 1, body);
    }
    for (const auto& b : record.blobs) {
      if (b.length > 4096 && mode == "keyfile") continue;  // one big blob is enough
      auto plain = need(repo->read_blob(b.id), "blob");
      auto encoded = repo::encode_blob(plain, 3);
      byte_buffer body;
      byte_writer w(body);
      w.u32(b.raw_length);
      body.insert(body.end(), encoded.begin(), encoded.end());
      plain_seeds("blob", mode + "-" + b.id.short_hex(), body);
    }
  });
}

void suite_state_seeds() {
  recovery::suite_payload p{"suite-1", "targets: {usb: {type: local, path: /x}}\n",
                            byte_buffer(64, 0x53), {{"usb", byte_buffer{'k', 'e', 'y'}}}};
  auto payload = recovery::encode_payload(p);
  plain_seeds("suite_state", "payload", payload);
  for (auto mode : {crypto::encryption::none, crypto::encryption::aes256gcm}) {
    recovery::suite_state_header h;
    h.suite_id = "suite-1";
    h.host = "fuzz";
    h.time_ns = 1'700'000'000'000'000'000;
    h.repository_id = std::string(fuzz::golden_repository_id);
    h.encryption = mode;
    auto keys = mode == crypto::encryption::none ? nullptr : fuzz::test_keys();
    auto object = recovery::seal_suite_state(h, p, keys);
    bool none = mode == crypto::encryption::none;
    seed("suite_state", none ? "stored-none" : "stored-aes", none ? 2 : 3, object);
  }
}

void other_seeds() {
  std::string lock = R"({"host":"fuzz","pid":1,"exclusive":false,"purpose":"backup",)"
                     R"("created":1700000000000000000,"refreshed":1700000000000000000})";
  plain_seeds("lock", "shared", as_bytes(lock));
  seed("lock", "exclusive-none", 4, as_bytes(lock));
  raw_seed("xattrs", "two", fs::encode_xattrs({{"user.a", {'1'}},
                                               {"security.selinux", {'s', 'y', 's', 0}}}));
  raw_seed("config", "minimal", as_bytes("targets:\n  usb:\n    type: local\n    path: /x\n"));
  raw_seed("config", "api-web", as_bytes("targets:\n  usb: {type: local, path: /x}\napi: {web: \"[::1]:8765\"}\n"));
  std::ifstream example(std::string(CAIRN_TEST_DATA_DIR) + "/../../examples/cairn.yaml");
  std::string text((std::istreambuf_iterator<char>(example)), {});
  raw_seed("config", "example", as_bytes(text));
}

}  // namespace

// fuzz_write_only: one seed per selector, sealed to the test private key.
void write_only_seeds() {
  const auto& keys = fuzz::test_write_only_keys();
  auto cipher = fuzz::cipher_for(crypto::encryption::x25519);
  crypto::key_pair pair{keys->private_key, *keys->recipient};
  std::string file = "cairn-private-key-v1\npublic: " + crypto::format_public_key(pair.pub) +
                     "\nkey: " + to_base64(pair.private_key.view()) + "\n";
  seed("write_only", "private-key", 0, as_bytes(file));
  seed("write_only", "public-key", 1, as_bytes(crypto::format_public_key(pair.pub)));
  seed("write_only", "object", 2, cipher.seal_object("index", as_bytes("index plaintext")));
  std::array<uint8_t, 32> salt{};
  auto pc = cipher.new_pack(salt);
  byte_buffer pack(salt.begin(), salt.end());
  uint32_t offset = 32;
  pack.insert(pack.end(), reinterpret_cast<uint8_t*>(&offset), reinterpret_cast<uint8_t*>(&offset) + 4);
  pc->seal(offset, as_bytes("aad"), as_bytes("a blob"), pack);
  seed("write_only", "pack", 3, pack);
  seed("write_only", "sealed-secret", 4, crypto::seal_secret_to(pair.pub, keys->master, as_bytes("aad")));
  auto slot = crypto::make_public_key_slot(pair.pub, keys->master, fuzz::golden_repository_id);
  seed("write_only", "slots", 5, as_bytes(repo::encode_key_slots({slot})));
  byte_buffer ids(repo::stored_ids_header().begin(), repo::stored_ids_header().end());
  auto rec = repo::encode_stored_ids_record({crypto::sha256_of(as_bytes("index")),
                                             {crypto::sha256_of(as_bytes("a")), crypto::sha256_of(as_bytes("b"))}});
  ids.insert(ids.end(), rec.begin(), rec.end());
  raw_seed("stored_ids", "two-blobs", ids);
  catalog::cache_entry entry{"a-file", 1234, 1700000000000000000, 1700000000000000001, 42,
                             {crypto::sha256_of(as_bytes("a")), crypto::sha256_of(as_bytes("b"))}, {}};
  raw_seed("cache_entries", "two-files", catalog::encode_cache_entries({entry, catalog::cache_entry{"empty"}}));
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_fuzz_corpus CORPUS_DIR\n";
    return 2;
  }
  out_dir = argv[1];
  from_golden("keyfile");
  from_golden("none");
  suite_state_seeds();
  other_seeds();
  write_only_seeds();
  return 0;
}
