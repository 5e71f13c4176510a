// Single-file archives (archive/archive_reader.hpp): the header, record
// framing, resync scanning, table of contents, meta record, trees and blobs.
// Input: mode byte | body.
//   mode bit 0 = 0: `body` is the archive file as stored (what someone who
//                   hands over a file controls); keyfile archives open with
//                   the key of tests/data/archive/keyfile.cairn, passphrase
//                   archives are refused before Argon2id runs.
//   mode bit 0 = 1: the harness seals the records itself (plain archive), so
//                   the parsers behind the checksums see the fuzzer's bytes:
//                   body = n x (type u8 | u16 length LE | plaintext); a record
//                   of type 4 (table of contents) gets the trailer pointing at it.
// Then the root tree and what it reaches are read (bounded).
#include <deque>

#include "archive/archive_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size < 1) return 0;
  uint8_t mode = data[0];
  byte_view body(data + 1, size - 1);
  byte_buffer file;
  if (mode & 1) {
    archive::header h;
    file = archive::encode_header(h);
    auto cipher = archive::record_cipher::make(h, {});
    if (!cipher) return 0;
    byte_reader r(body);
    uint64_t seq = 0, toc_at = 0;
    while (!r.done() && r.ok()) {
      uint8_t type = r.u8();
      uint32_t len = r.u8() | (uint32_t{r.u8()} << 8);
      auto plain = r.raw(len);
      if (!r.ok()) break;
      auto t = static_cast<archive::record_type>(type);
      auto sealed = (*cipher)->seal(t, seq, plain);
      if (type == 4) toc_at = file.size();
      auto f = archive::encode_frame({t, seq, static_cast<uint32_t>(sealed.size())});
      file.insert(file.end(), f.begin(), f.end());
      file.insert(file.end(), sealed.begin(), sealed.end());
      ++seq;
    }
    byte_writer(file).u64(toc_at);
    file.insert(file.end(), archive::end_magic.begin(), archive::end_magic.end());
  } else {
    file.assign(body.begin(), body.end());
  }
  auto key = [](archive::protection kind) -> expected<archive::credential> {
    if (kind != archive::protection::keyfile) return fail(errc::invalid_input, "no passphrase here");
    archive::credential c;
    c.kind = kind;
    byte_buffer k(32);
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i);
    c.keyfile = crypto::secret::copy_of(k);
    return c;
  };
  auto reader = archive::archive_reader::open(archive::memory_source(file), key, "fuzz");
  if (!reader) return 0;
  std::deque<object_id> trees{(*reader)->info().root};
  size_t reads = 0;
  while (!trees.empty() && reads < 256) {
    auto t = (*reader)->read_tree(trees.front());
    trees.pop_front();
    ++reads;
    if (!t) continue;
    for (const auto& n : t->nodes) {
      if (n.meta.type == fs::file_type::directory) trees.push_back(n.subtree);
      for (const auto& id : n.content)
        if (reads++ < 256) (void)(*reader)->read_data(id);
    }
  }
  return 0;
}
