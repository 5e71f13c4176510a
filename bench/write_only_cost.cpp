// What write-only mode costs a backup, against keyfile mode, on the same data:
// the whole write path of repo/ (FastCDC, keyed ids, dedup claims, zstd, packs
// sealed and stored, an index file every 8 packs, the checkpoint) into a
// memory target, single-threaded, the corpus read into memory first so that
// disk reads do not blur the difference. Rounds alternate between the modes.
//   build/bench/write_only_cost [--max-mib N] [--rounds N] DIR [DIR...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "crypto/key_slot.hpp"
#include "repo/compression.hpp"
#include "repo/repository.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;

namespace {

std::vector<byte_buffer> load(const std::vector<std::string>& dirs, uint64_t max_bytes) {
  std::vector<byte_buffer> files;
  uint64_t total = 0;
  for (const auto& d : dirs) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(d, ec); it != decltype(it)(); it.increment(ec)) {
      if (ec || total >= max_bytes) break;
      if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
      std::ifstream in(it->path(), std::ios::binary);
      byte_buffer b(std::istreambuf_iterator<char>(in), {});
      total += b.size();
      files.push_back(std::move(b));
    }
  }
  return files;
}

struct round_result {
  double seconds = 0;
  uint64_t stored = 0;
};

round_result backup(const std::vector<byte_buffer>& files, crypto::encryption mode) {
  auto mem = std::make_shared<targets::memory_target>();
  repo::create_options o;
  o.encryption = mode;
  o.chunker.seed = 42;
  crypto::key_ptr keys;
  std::vector<crypto::key_slot> slots;
  auto writer = crypto::secret::random(32);
  if (mode == crypto::encryption::x25519) {
    auto pair = crypto::generate_key_pair();
    keys = crypto::derive_write_only_keys(writer, pair.pub);
    slots.push_back(crypto::make_public_key_slot(pair.pub, writer, "0123456789abcdef0123456789abcdef"));
    o.repository_id = "0123456789abcdef0123456789abcdef";
  } else {
    keys = crypto::derive_repository_keys(writer);
  }
  auto start = std::chrono::steady_clock::now();
  auto repo = *repo::repository::create(mem, o, keys, slots);
  repo::chunker chunker(repo->header().chunker);
  auto hasher = repo->make_hasher();
  repo::pack_writer w(repo->cipher(), repo->header().pack_size);
  std::vector<repo::pack_record> pending;
  round_result r;
  auto flush = [&] {
    auto p = w.finish().value();
    r.stored += p.bytes.size();
    if (!repo->store_pack(p)) std::abort();
    pending.push_back(p.record);
    if (pending.size() == 8) {
      if (!repo->write_index(pending)) std::abort();
      pending.clear();
    }
  };
  for (const auto& f : files) {
    size_t pos = 0;
    while (pos < f.size()) {
      auto chunk = byte_view(f).subspan(pos);
      size_t n = chunker.next_cut(chunk, true);
      chunk = chunk.first(n);
      pos += n;
      auto id = hasher.id_of(chunk);
      if (!repo->index().claim(id)) continue;
      w.add(repo::blob_type::data, id, repo::encode_blob(chunk, 3), static_cast<uint32_t>(n));
      if (w.full()) flush();
    }
  }
  if (!w.empty()) flush();
  if (!pending.empty() && !repo->write_index(pending)) std::abort();
  repo::checkpoint c;
  c.plan = "bench";
  if (!repo->write_checkpoint(c)) std::abort();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t max_mib = 512;
  int rounds = 5;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--max-mib" && i + 1 < argc) max_mib = std::stoull(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc) rounds = std::stoi(argv[++i]);
    else dirs.push_back(a);
  }
  if (dirs.empty()) dirs = {"/usr/lib/x86_64-linux-gnu"};
  auto files = load(dirs, max_mib << 20);
  uint64_t bytes = 0;
  for (const auto& f : files) bytes += f.size();
  std::printf("corpus: %zu files, %.1f MiB from", files.size(), bytes / 1048576.0);
  for (const auto& d : dirs) std::printf(" %s", d.c_str());
  std::printf("\n");
  std::vector<double> keyfile, write_only;
  uint64_t stored_k = 0, stored_w = 0;
  for (int i = 0; i < rounds; ++i) {
    auto k = backup(files, crypto::encryption::aes256gcm);
    auto w = backup(files, crypto::encryption::x25519);
    keyfile.push_back(k.seconds);
    write_only.push_back(w.seconds);
    stored_k = k.stored;
    stored_w = w.stored;
    std::printf("round %d: keyfile %.3f s, write-only %.3f s\n", i + 1, k.seconds, w.seconds);
  }
  std::sort(keyfile.begin(), keyfile.end());
  std::sort(write_only.begin(), write_only.end());
  double mk = keyfile[keyfile.size() / 2], mw = write_only[write_only.size() / 2];
  std::printf("| mode | median s | MiB/s | packs bytes |\n|---|---|---|---|\n");
  std::printf("| keyfile | %.3f | %.0f | %llu |\n", mk, bytes / 1048576.0 / mk, (unsigned long long)stored_k);
  std::printf("| write-only | %.3f | %.0f | %llu |\n", mw, bytes / 1048576.0 / mw, (unsigned long long)stored_w);
  std::printf("write-only / keyfile: %.3f (median), %.3f (best)\n", mw / mk, write_only[0] / keyfile[0]);
  return 0;
}
