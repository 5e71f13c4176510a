#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "archive/archive_reader.hpp"
#include "archive/archive_writer.hpp"
#include "recovery/archive_restore.hpp"
#include "repo/compression.hpp"
#include "repo/pack.hpp"
#include "support/temp_dir.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
namespace stdfs = std::filesystem;

namespace {

// The passphrase of tests/data/archive/passphrase.cairn (and its README).
constexpr const char* golden_passphrase = "correct horse battery staple";
// The key of tests/data/archive/keyfile.cairn: 32 bytes 0x00, 0x01, ... 0x1f.
crypto::secret golden_key() {
  byte_buffer k(32);
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i);
  return crypto::secret::copy_of(k);
}

byte_buffer pattern(size_t n, uint8_t seed) {
  byte_buffer b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>((i * 131 + seed * 7 + (i >> 7)) & 0xff);
  return b;
}

// A small checkpoint in an in-memory repository (mode none): src/ with a file
// of three chunks (one shared with another file), a hard-linked pair, a
// symlink, an empty file, and a resource folder `notes` with a sensitive file.
struct fixture {
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  std::shared_ptr<repo::repository> repository;
  std::unique_ptr<repo::pack_writer> writer;
  std::vector<repo::pack_record> records;
  repo::checkpoint checkpoint;
  object_id checkpoint_id;
  std::map<std::string, byte_buffer> files;  // path -> content

  fixture() {
    repo::create_options o;
    o.encryption = crypto::encryption::none;
    o.pack_size = 1 << 20;
    auto r = repo::repository::create(mem, o, nullptr, {});
    REQUIRE(r);
    repository = *r;
    writer = std::make_unique<repo::pack_writer>(repository->cipher(), repository->header().pack_size);
    build();
  }

  object_id store(repo::blob_type type, const byte_buffer& bytes) {
    auto id = repository->make_hasher().id_of(bytes);
    if (repository->index().claim(id)) {
      writer->add(type, id, repo::encode_blob(bytes, 3), static_cast<uint32_t>(bytes.size()));
      if (writer->full()) flush();
    }
    return id;
  }
  void flush() {
    if (writer->empty()) return;
    auto p = writer->finish().value();
    REQUIRE(repository->store_pack(p));
    repository->index().add(p.record);
    records.push_back(p.record);
  }

  repo::node file(const std::string& path, std::vector<byte_buffer> chunks, uint64_t inode = 0, uint32_t nlink = 1) {
    repo::node n;
    n.name = path.substr(path.rfind('/') + 1);
    n.meta.type = fs::file_type::regular;
    n.meta.mode = 0640;
    n.meta.mtime_ns = 1'700'000'000'123'456'789;
    n.meta.inode = inode;
    n.meta.nlink = nlink;
    n.meta.dev = 1;
    byte_buffer all;
    for (auto& c : chunks) {
      n.content.push_back(store(repo::blob_type::data, c));
      all.insert(all.end(), c.begin(), c.end());
    }
    n.meta.size = all.size();
    files[path] = all;
    return n;
  }
  repo::node dir(const std::string& name, std::vector<repo::node> nodes) {
    repo::tree t;
    t.nodes = std::move(nodes);
    repo::sort_nodes(t.nodes);
    repo::node n;
    n.name = name;
    n.meta.type = fs::file_type::directory;
    n.meta.mode = 0750;
    n.meta.mtime_ns = 1'600'000'000'000'000'000;
    n.subtree = store(repo::blob_type::tree, repo::encode_tree(t));
    return n;
  }

  void build() {
    auto shared = pattern(3000, 9);
    repo::node link;
    link.name = "link";
    link.meta.type = fs::file_type::symlink;
    link.meta.mode = 0777;
    link.meta.link_target = "a.txt";
    auto sub = dir("sub", {file("src/sub/b.bin", {pattern(5000, 1), shared, pattern(100, 2)}),
                           file("src/sub/empty", {})});
    auto src = dir("src", {file("src/a.txt", {shared}), sub, link,
                           file("src/h1", {pattern(700, 3)}, 42, 2), file("src/h2", {pattern(700, 3)}, 42, 2)});
    auto notes = dir("notes", {file("notes/db.json", {as_buffer("{\"notes\": 3}\n")}),
                               file("notes/keys", {as_buffer("secret key material\n")})});
    repo::tree root;
    root.nodes = {notes, src};
    repo::sort_nodes(root.nodes);
    checkpoint.tree = store(repo::blob_type::tree, repo::encode_tree(root));
    flush();
    checkpoint.plan = "home";
    checkpoint.host = "test";
    checkpoint.time_ns = 1'700'000'000'000'000'000;
    checkpoint.sources = {{"src", source_type::dir, "/src", ""}, {"notes", source_type::resource, "/etc/cairn/resources.d/notes.yaml", ""}};
    repo::resource_manifest m;
    m.name = "notes";
    m.version = "1";
    checkpoint.resources = {m};
    checkpoint_id = crypto::sha256_of(as_bytes("checkpoint"));
  }

  static byte_buffer as_buffer(std::string_view s) { return byte_buffer(s.begin(), s.end()); }

  byte_buffer write(const archive::credential& key, std::vector<std::string> paths = {},
                    std::vector<std::string> exclude = {}) {
    archive::export_request req;
    req.checkpoint_id = checkpoint_id;
    req.checkpoint = checkpoint;
    req.paths = std::move(paths);
    req.exclude = std::move(exclude);
    req.exclude_reason = "sensitive: the archive is not encrypted";
    byte_buffer out;
    auto r = archive::write_archive(*repository, req, key, [&](byte_view b) -> status {
      out.insert(out.end(), b.begin(), b.end());
      return {};
    });
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message()));
    CHECK(r->archive_bytes == out.size());
    return out;
  }
};

archive::credential plain_key() { return {}; }
archive::credential passphrase_key(const char* p = golden_passphrase) {
  archive::credential c;
  c.kind = archive::protection::passphrase;
  c.passphrase = crypto::secret::copy_of(as_bytes(p));
  c.kdf = {1024, 1, 1};  // small for tests; real exports use the defaults
  return c;
}
archive::credential keyfile_key() {
  archive::credential c;
  c.kind = archive::protection::keyfile;
  c.keyfile = golden_key();
  return c;
}

archive::credential_source giving(archive::credential c) {
  auto shared = std::make_shared<archive::credential>(std::move(c));
  return [shared](archive::protection) -> expected<archive::credential> { return *shared; };
}

// A source that refuses to read more than 128 MiB at once: proves that no
// length from the archive sizes an allocation before it is checked.
archive::byte_source guarded(byte_view data) {
  auto s = archive::memory_source(data);
  auto inner = s.read_at;
  s.read_at = [inner](uint64_t offset, size_t n) {
    REQUIRE(n <= (128u << 20));
    return inner(offset, n);
  };
  return s;
}

std::string read_file(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct restored {
  recovery::archive_restore_report report;
};

expected<recovery::archive_restore_report> restore(byte_view bytes, const archive::credential& key,
                                                   const stdfs::path& to, std::vector<std::string> paths = {}) {
  CAIRN_ASSIGN(auto reader, archive::archive_reader::open(guarded(bytes), giving(key), "test.cairn"));
  return recovery::restore_archive(*reader, paths, to, fs::apply_options{false, std::nullopt});
}

void check_tree(const fixture& f, const stdfs::path& to, bool with_keys = true) {
  for (const auto& entry : f.files) {
    const auto& path = entry.first;  // not a structured binding: INFO captures it (clang 14)
    const auto& content = entry.second;
    if (path == "notes/keys" && !with_keys) {
      CHECK_FALSE(stdfs::exists(to / path));
      continue;
    }
    INFO(path);
    REQUIRE(stdfs::exists(to / path));
    CHECK(read_file(to / path) == std::string(content.begin(), content.end()));
  }
  CHECK(stdfs::read_symlink(to / "src/link") == "a.txt");
  struct stat a {}, b {};
  REQUIRE(::stat((to / "src/h1").c_str(), &a) == 0);
  REQUIRE(::stat((to / "src/h2").c_str(), &b) == 0);
  CHECK(a.st_ino == b.st_ino);
  CHECK((a.st_mode & 07777) == 0640);
  CHECK(a.st_mtim.tv_nsec == 123'456'789);
}

}  // namespace

TEST_CASE("archive: round trip, plain, passphrase and keyfile") {
  fixture f;
  for (auto key : {plain_key(), passphrase_key(), keyfile_key()}) {
    INFO(std::string(archive::to_string(key.kind)));
    auto bytes = f.write(key);
    testing::temp_dir dir;
    auto r = restore(bytes, key, dir / "out");
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message()));
    CHECK(r->damaged.empty());
    CHECK(r->problems.empty());
    check_tree(f, dir / "out");
    auto reader = archive::archive_reader::open(guarded(bytes), giving(key), "x");
    REQUIRE(reader);
    CHECK((*reader)->info().toc_found);
    REQUIRE((*reader)->info().checkpoint);
    CHECK((*reader)->info().checkpoint->plan == "home");
    CHECK((*reader)->info().checkpoint_id == f.checkpoint_id);
  }
}

TEST_CASE("archive: encrypted records hide the contents: plain ones do not") {
  fixture f;
  auto needle = std::string("secret key material");
  auto plain = f.write(plain_key());
  auto sealed = f.write(keyfile_key());
  CHECK(std::search(plain.begin(), plain.end(), needle.begin(), needle.end()) != plain.end());  // zstd keeps short text raw
  CHECK(std::search(sealed.begin(), sealed.end(), needle.begin(), needle.end()) == sealed.end());
}

TEST_CASE("archive: a wrong passphrase or keyfile is one line, and no file is written") {
  fixture f;
  auto bytes = f.write(passphrase_key());
  auto r = archive::archive_reader::open(guarded(bytes), giving(passphrase_key("wrong")), "x.cairn");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::auth);
  CHECK(r.error().message().find('\n') == std::string::npos);
  CHECK(r.error().message().find("wrong passphrase") != std::string::npos);
  auto kbytes = f.write(keyfile_key());
  archive::credential other = keyfile_key();
  other.keyfile = crypto::secret::random(32);
  auto k = archive::archive_reader::open(guarded(kbytes), giving(other), "x.cairn");
  REQUIRE_FALSE(k);
  CHECK(k.error().code() == errc::auth);
  CHECK(k.error().message() == "x.cairn: this keyfile does not open the archive");
}

TEST_CASE("archive: --path and exclusions re-encode only what they select") {
  fixture f;
  auto bytes = f.write(plain_key(), {"src/sub", "notes"}, {"notes/keys"});
  testing::temp_dir dir;
  auto r = restore(bytes, plain_key(), dir / "out");
  REQUIRE(r);
  CHECK(r->damaged.empty());
  CHECK(stdfs::exists(dir / "out/src/sub/b.bin"));
  CHECK_FALSE(stdfs::exists(dir / "out/src/a.txt"));
  CHECK(stdfs::exists(dir / "out/notes/db.json"));
  CHECK_FALSE(stdfs::exists(dir / "out/notes/keys"));
  auto reader = archive::archive_reader::open(guarded(bytes), giving(plain_key()), "x");
  REQUIRE(reader);
  const auto& m = (*reader)->info().checkpoint->resources;
  REQUIRE(m.size() == 1);
  CHECK(m[0].left_out == std::vector<std::string>{"keys"});
  CHECK(m[0].left_out_reason == "sensitive: the archive is not encrypted");
  // The secret's bytes are not in the file at all.
  auto needle = std::string("secret key material");
  CHECK(std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) == bytes.end());
  // A path that is not there is named.
  archive::export_request req;
  req.checkpoint = f.checkpoint;
  req.paths = {"src/nope"};
  auto bad = archive::write_archive(*f.repository, req, plain_key(), [](byte_view) -> status { return {}; });
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == errc::not_found);
  CHECK(bad.error().message() == "\"src/nope\" is not in the checkpoint");
}

TEST_CASE("archive: a flipped byte in one record costs only the files that use it") {
  fixture f;
  for (auto key : {plain_key(), keyfile_key()}) {
    auto bytes = f.write(key);
    // Find the record holding b.bin's first chunk: the first data record
    // after the trees; damage its last byte (inside the sealed payload).
    auto reader = archive::archive_reader::open(guarded(bytes), giving(key), "x");
    REQUIRE(reader);
    auto first = repo::blob_index::location{};
    (void)first;
    auto id = f.repository->make_hasher().id_of(pattern(5000, 1));
    auto place = (*reader)->find(id);
    REQUIRE(place);
    bytes[place->offset + archive::frame_header_size + 40] ^= 0x01;
    testing::temp_dir dir;
    auto r = restore(bytes, key, dir / "out");
    REQUIRE(r);
    REQUIRE(r->damaged.size() == 1);
    CHECK(r->damaged[0].rfind("src/sub/b.bin: ", 0) == 0);
    CHECK_FALSE(stdfs::exists(dir / "out/src/sub/b.bin"));
    CHECK(read_file(dir / "out/src/a.txt").size() == 3000);
    CHECK(stdfs::exists(dir / "out/notes/keys"));
  }
}

TEST_CASE("archive: a truncated file restores what it still holds and names the rest") {
  fixture f;
  auto bytes = f.write(passphrase_key());
  auto reader = archive::archive_reader::open(guarded(bytes), giving(passphrase_key()), "x");
  REQUIRE(reader);
  auto id = f.repository->make_hasher().id_of(pattern(700, 3));  // h1/h2
  auto place = (*reader)->find(id);
  REQUIRE(place);
  bytes.resize(place->offset + 10);  // cut inside the record of h1's content
  testing::temp_dir dir;
  auto opened = archive::archive_reader::open(guarded(bytes), giving(passphrase_key()), "x");
  REQUIRE(opened);
  CHECK_FALSE((*opened)->info().toc_found);
  CHECK_FALSE((*opened)->info().damage.empty());
  auto r = restore(bytes, passphrase_key(), dir / "out");
  REQUIRE(r);
  CHECK_FALSE(r->damaged.empty());
  bool named = false;
  for (const auto& d : r->damaged) named = named || d.rfind("src/h1: ", 0) == 0;
  CHECK(named);
  CHECK_FALSE(stdfs::exists(dir / "out/src/h1"));
  CHECK(stdfs::exists(dir / "out/src/a.txt"));  // its blob came before the cut
  // Cut inside the header: not an archive.
  bytes.resize(30);
  auto tiny = archive::archive_reader::open(guarded(bytes), giving(passphrase_key()), "x");
  REQUIRE_FALSE(tiny);
  CHECK(tiny.error().code() == errc::corrupt);
}

TEST_CASE("archive: huge lengths and counts are refused without allocating") {
  fixture f;
  auto bytes = f.write(plain_key());
  // A frame header claiming 4 GiB: not a frame.
  auto frame = archive::encode_frame({archive::record_type::data, 5, 0xffffffffu});
  CHECK_FALSE(archive::decode_frame(frame));
  // A table of contents claiming 2^62 entries, with a valid checksum: refused,
  // the reader scans instead (and still restores everything).
  archive::header h;
  auto cipher = archive::record_cipher::make(h, plain_key());
  REQUIRE(cipher);
  byte_buffer toc(32, 0);
  byte_writer w(toc);
  w.varint(0);
  w.varint(1ull << 62);
  auto sealed = (*cipher)->seal(archive::record_type::toc, 99, toc);
  auto hostile = bytes;
  hostile.resize(hostile.size() - archive::trailer_size);
  uint64_t at = hostile.size();
  auto fr = archive::encode_frame({archive::record_type::toc, 99, static_cast<uint32_t>(sealed.size())});
  hostile.insert(hostile.end(), fr.begin(), fr.end());
  hostile.insert(hostile.end(), sealed.begin(), sealed.end());
  byte_writer(hostile).u64(at);
  hostile.insert(hostile.end(), archive::end_magic.begin(), archive::end_magic.end());
  auto reader = archive::archive_reader::open(guarded(hostile), giving(plain_key()), "x");
  REQUIRE(reader);
  CHECK_FALSE((*reader)->info().toc_found);
  // A header asking Argon2id for 4 TiB: refused before deriving anything.
  auto head = archive::encode_header({archive::protection::passphrase, 0xffffffffu, 1, 1, {}, {}});
  auto d = archive::decode_header(head);
  REQUIRE_FALSE(d);
  CHECK(d.error().code() == errc::corrupt);
  // A newer format version: unsupported, one line.
  auto newer = archive::encode_header({});
  newer[8] = 2;
  CHECK(archive::decode_header(newer).error().code() == errc::unsupported);
}

TEST_CASE("archive: a hostile destination is never written through") {
  fixture f;
  auto bytes = f.write(plain_key());
  testing::temp_dir dir;
  stdfs::create_directories(dir / "out");
  stdfs::create_directories(dir / "outside");
  stdfs::create_directory_symlink(dir / "outside", dir / "out/src");
  auto r = restore(bytes, plain_key(), dir / "out");
  REQUIRE(r);
  CHECK(stdfs::is_empty(dir / "outside"));
  CHECK(stdfs::is_directory(stdfs::symlink_status(dir / "out/src")));
  CHECK(stdfs::exists(dir / "out/src/a.txt"));
}

// Golden archives (tests/data/archive/README): a change of the format that
// breaks reading old archives fails here. CAIRN_WRITE_GOLDEN_ARCHIVES=DIR
// writes new ones (only for a new format version, never over these).
TEST_CASE("archive: golden archives read back exactly") {
  fixture f;
  stdfs::path data = stdfs::path(CAIRN_TEST_DATA_DIR) / "archive";
  struct golden {
    const char* file;
    archive::credential key;
  };
  std::vector<golden> goldens{{"plain.cairn", plain_key()}, {"passphrase.cairn", passphrase_key()},
                              {"keyfile.cairn", keyfile_key()}};
  if (const char* out = std::getenv("CAIRN_WRITE_GOLDEN_ARCHIVES")) {
    for (auto& g : goldens) {
      auto bytes = f.write(g.key);
      std::ofstream(stdfs::path(out) / g.file, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  }
  for (auto& g : goldens) {
    INFO(g.file);
    auto text = read_file(data / g.file);
    REQUIRE_FALSE(text.empty());
    byte_buffer bytes(text.begin(), text.end());
    testing::temp_dir dir;
    auto r = restore(bytes, g.key, dir / "out");
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message()));
    CHECK(r->damaged.empty());
    check_tree(f, dir / "out");
    auto reader = archive::archive_reader::open(guarded(bytes), giving(g.key), g.file);
    REQUIRE(reader);
    CHECK((*reader)->info().kind == g.key.kind);
    CHECK((*reader)->info().checkpoint->time_ns == 1'700'000'000'000'000'000);
  }
}
