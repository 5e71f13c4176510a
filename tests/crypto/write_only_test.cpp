// Write-only sealing: X25519 key pairs, their text and file forms, and objects
// and packs sealed to a public key that only the private key opens.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "crypto/cipher.hpp"
#include "crypto/file_cache_key.hpp"
#include "crypto/keys.hpp"
#include "crypto/private_key_file.hpp"
#include "crypto/x25519.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::crypto;

namespace {

byte_buffer bytes_of(std::string_view s) { return byte_buffer(s.begin(), s.end()); }

struct write_only_setup {
  key_pair pair = generate_key_pair();
  secret writer = secret::random(32);
  // The machine that backs up: no private key.
  object_cipher writer_cipher{encryption::x25519, derive_write_only_keys(writer, pair.pub)};
  // The administrator: the same writer secret, and the private key.
  object_cipher reader_cipher{encryption::x25519,
                              derive_write_only_keys(writer, pair.pub, pair.private_key)};
};

argon2_params fast_kdf() { return {64, 1, 1}; }

}  // namespace

TEST_CASE("x25519: public keys print and parse - typos and low-order points are refused") {
  auto pair = generate_key_pair();
  auto text = format_public_key(pair.pub);
  CHECK(text.rfind("cairn-pk1-", 0) == 0);
  CHECK(text.size() == 10 + 72);
  REQUIRE(parse_public_key(text));
  CHECK(*parse_public_key(text) == pair.pub);
  CHECK(public_of(pair.private_key) == pair.pub);

  auto typo = text;
  typo[20] = typo[20] == 'a' ? 'b' : 'a';
  CHECK(parse_public_key(typo).error().message().find("checksum") != std::string::npos);
  for (std::string bad : {std::string(""), std::string("cairn-pk1-"), text.substr(0, 50), text + "00",
                          "cairn-pk2-" + text.substr(10), text.substr(0, 30) + "zz" + text.substr(32)}) {
    INFO(bad);
    auto r = parse_public_key(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == errc::invalid_input);
  }
  // The point of order 1 (all zeros) with a valid checksum: refused all the same.
  public_key zero;
  CHECK(parse_public_key(format_public_key(zero)).error().message().find("low-order") != std::string::npos);
}

TEST_CASE("x25519: both halves of an exchange derive one key - other keys or labels do not") {
  auto pair = generate_key_pair();
  auto auth = secret::random(32);
  auto ex = exchange_to(pair.pub, auth, "label");
  auto back = exchange_from(pair.private_key, ex.ephemeral.bytes, auth, "label");
  REQUIRE(back);
  CHECK(back->equals(ex.key));
  CHECK_FALSE(exchange_from(generate_key_pair().private_key, ex.ephemeral.bytes, auth, "label")->equals(ex.key));
  CHECK_FALSE(exchange_from(pair.private_key, ex.ephemeral.bytes, secret::random(32), "label")->equals(ex.key));
  CHECK_FALSE(exchange_from(pair.private_key, ex.ephemeral.bytes, auth, "other")->equals(ex.key));
  // Each exchange is fresh.
  CHECK_FALSE(exchange_to(pair.pub, auth, "label").key.equals(ex.key));
  std::array<uint8_t, 32> zero{};
  CHECK(exchange_from(pair.private_key, zero, auth, "label").error().code() == errc::corrupt);
  CHECK_FALSE(exchange_from(pair.private_key, byte_view(zero).first(31), auth, "label"));
}

TEST_CASE("write_only: objects round trip with the private key - refused without it") {
  write_only_setup s;
  CHECK_FALSE(s.writer_cipher.can_read());
  CHECK(s.reader_cipher.can_read());
  for (size_t n : {0, 1, 17, 100'000}) {
    byte_buffer plain(n, 0x5a);
    for (auto kind : {"index", "checkpoint", "suite-state"}) {
      auto sealed = s.writer_cipher.seal_object(kind, plain);
      CHECK(sealed[0] == 2);
      CHECK(sealed.size() == 1 + 32 + n + 16);
      auto opened = s.reader_cipher.open_object(kind, sealed);
      REQUIRE(opened);
      CHECK(*opened == plain);
      auto refused = s.writer_cipher.open_object(kind, sealed);
      REQUIRE_FALSE(refused);
      CHECK(refused.error().code() == errc::auth);
      CHECK(refused.error().message() == write_only_message);
      CHECK_FALSE(s.reader_cipher.open_object("lock", sealed));  // kind bound
    }
  }
}

TEST_CASE("write_only: locks and the header stay readable by every writer") {
  write_only_setup s;
  for (auto kind : {"lock", "header"}) {
    auto sealed = s.writer_cipher.seal_object(kind, bytes_of("{\"pid\":1}"));
    CHECK(sealed[0] == 1);
    CHECK(*s.writer_cipher.open_object(kind, sealed) == bytes_of("{\"pid\":1}"));
    CHECK(*s.reader_cipher.open_object(kind, sealed) == bytes_of("{\"pid\":1}"));
  }
}

TEST_CASE("write_only: tampering, another private key or another writer secret is an error") {
  write_only_setup s;
  auto plain = bytes_of("the checkpoint of a write-only machine");
  auto sealed = s.writer_cipher.seal_object("checkpoint", plain);
  for (size_t i : {size_t{0}, size_t{1}, size_t{32}, size_t{33}, sealed.size() - 1}) {
    auto bad = sealed;
    bad[i] ^= 0x01;
    INFO(i);
    auto r = s.reader_cipher.open_object("checkpoint", bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == errc::corrupt);
  }
  CHECK_FALSE(s.reader_cipher.open_object("checkpoint", byte_view(sealed).first(40)));
  auto other_pair = generate_key_pair();
  object_cipher wrong_key(encryption::x25519,
                          derive_write_only_keys(s.writer, s.pair.pub, other_pair.private_key));
  CHECK(wrong_key.open_object("checkpoint", sealed).error().code() == errc::corrupt);
  // Someone who knows only the public key (the target) cannot make an object
  // that opens: the key also depends on the writer's secret.
  object_cipher forger(encryption::x25519, derive_write_only_keys(secret::random(32), s.pair.pub));
  CHECK_FALSE(s.reader_cipher.open_object("checkpoint", forger.seal_object("checkpoint", plain)));
  // A keyfile-mode object is not a write-only object, and the reverse.
  object_cipher symmetric(encryption::aes256gcm, derive_repository_keys(s.writer));
  CHECK_FALSE(s.reader_cipher.open_object("checkpoint", symmetric.seal_object("checkpoint", plain)));
  CHECK_FALSE(symmetric.open_object("checkpoint", sealed));
}

TEST_CASE("write_only: one exchange per pack - blobs open with the private key only") {
  write_only_setup s;
  std::array<uint8_t, salt_size> salt{}, salt2{};
  auto writer = s.writer_cipher.new_pack(salt);
  auto writer2 = s.writer_cipher.new_pack(salt2);
  CHECK(salt != salt2);  // a fresh ephemeral key per pack
  auto aad = bytes_of("type+id");
  byte_buffer pack;
  writer->seal(32, aad, bytes_of("blob one"), pack);
  size_t second = pack.size();
  writer->seal(32 + second, aad, bytes_of("blob two"), pack);
  auto reader = s.reader_cipher.for_pack(salt);
  CHECK(*reader->open(32, aad, byte_view(pack).first(second)) == bytes_of("blob one"));
  CHECK(*reader->open(32 + second, aad, byte_view(pack).subspan(second)) == bytes_of("blob two"));
  CHECK_FALSE(reader->open(33, aad, byte_view(pack).first(second)));                // offset bound
  CHECK_FALSE(reader->open(32, bytes_of("other"), byte_view(pack).first(second)));  // aad bound
  CHECK_FALSE(s.reader_cipher.for_pack(salt2)->open(32, aad, byte_view(pack).first(second)));
  auto refused = s.writer_cipher.for_pack(salt)->open(32, aad, byte_view(pack).first(second));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code() == errc::auth);
  std::array<uint8_t, salt_size> zero{};
  CHECK_FALSE(s.reader_cipher.for_pack(zero)->open(32, aad, byte_view(pack).first(second)));
}

TEST_CASE("write_only: a secret sealed to a public key opens with its private key only") {
  auto pair = generate_key_pair();
  auto value = secret::random(32);
  auto aad = bytes_of("cairn/v1/key-slot|repo|slot");
  auto sealed = seal_secret_to(pair.pub, value, aad);
  CHECK(sealed.size() == 32 + 32 + 16);
  auto opened = open_sealed_secret(pair.private_key, sealed, aad);
  REQUIRE(opened);
  CHECK(opened->equals(value));
  CHECK(open_sealed_secret(generate_key_pair().private_key, sealed, aad).error().code() == errc::auth);
  CHECK_FALSE(open_sealed_secret(pair.private_key, sealed, bytes_of("other")));
  sealed[40] ^= 1;
  CHECK_FALSE(open_sealed_secret(pair.private_key, sealed, aad));
  CHECK_FALSE(open_sealed_secret(pair.private_key, byte_view(sealed).first(47), aad));
}

TEST_CASE("private_key_file: written 0600, read back, never overwritten, refused when readable") {
  testing::temp_dir dir;
  auto pair = generate_key_pair();
  auto path = dir / "private.key";
  REQUIRE(write_private_key_file(path, pair, std::nullopt));
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto file = read_private_key_file(path);
  REQUIRE(file);
  CHECK_FALSE(file->passphrase);
  CHECK(file->pub == pair.pub);
  CHECK(open_private_key_file(*file, "", path.string())->equals(pair.private_key));
  CHECK(write_private_key_file(path, generate_key_pair(), std::nullopt).error().code() == errc::exists);
  ::chmod(path.c_str(), 0640);
  auto readable = read_private_key_file(path);
  REQUIRE_FALSE(readable);
  CHECK(readable.error().message().find("chmod 600") != std::string::npos);
  CHECK(read_private_key_file(dir / "missing.key").error().code() == errc::not_found);
}

TEST_CASE("private_key_file: a passphrase protects it - a wrong one is refused") {
  testing::temp_dir dir;
  auto pair = generate_key_pair();
  auto path = dir / "protected.key";
  REQUIRE(write_private_key_file(path, pair, std::string_view("correct horse"), fast_kdf()));
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find(to_base64(pair.private_key.view())) == std::string::npos);
  auto file = read_private_key_file(path);
  REQUIRE(file);
  CHECK(file->passphrase);
  CHECK(open_private_key_file(*file, "correct horse", "k")->equals(pair.private_key));
  CHECK(open_private_key_file(*file, "wrong", "k").error().code() == errc::auth);
}

TEST_CASE("private_key_file: malformed files are refused with what is wrong") {
  auto pair = generate_key_pair();
  auto pub = "public: " + format_public_key(pair.pub) + "\n";
  auto key = "key: " + to_base64(pair.private_key.view()) + "\n";
  auto other_key = "key: " + to_base64(generate_key_pair().private_key.view()) + "\n";
  struct row {
    std::string text;
    std::string says;
  };
  for (const auto& r : std::vector<row>{
         {"", "no cairn-private-key-v1"},
         {pub + key, "no cairn-private-key-v1"},
         {"cairn-private-key-v1\n" + key, "no public"},
         {"cairn-private-key-v1\n" + pub, "no 32-byte key"},
         {"cairn-private-key-v1\n" + pub + pub + key, "twice"},
         {"cairn-private-key-v1\n" + pub + key + key, "twice"},
         {"cairn-private-key-v1\n" + pub + "key: AAAA\n", "no 32-byte key"},
         {"cairn-private-key-v1\n" + pub + "key: !!\n", "not base64"},
         {"cairn-private-key-v1\n" + pub + key + "color: blue\n", "unknown field"},
         {"cairn-private-key-v1\n" + pub + "nonsense\n", "NAME: VALUE"},
         {"cairn-private-key-v1\n" + pub + key + "kdf: argon2id 64 1 1\n", "both"},
         {"cairn-private-key-v1\n" + pub + "kdf: argon2id 64 1\n", "kdf must be"},
         {"cairn-private-key-v1\n" + pub + "kdf: argon2id 64 1 1\n", "needs kdf, salt and sealed"},
         {"cairn-private-key-v1\n" + std::string(5000, '#'), "larger than 4 KiB"},
       }) {
    INFO(r.text);
    auto f = parse_private_key_file(r.text, "k");
    REQUIRE_FALSE(f);
    CHECK(f.error().code() == errc::invalid_input);
    CHECK(f.error().message().find(r.says) != std::string::npos);
  }
  // A key that does not match its public line is damage.
  auto mismatched = parse_private_key_file("cairn-private-key-v1\n" + pub + other_key, "k");
  REQUIRE(mismatched);
  CHECK(open_private_key_file(*mismatched, "", "k").error().code() == errc::corrupt);
}

TEST_CASE("file_cache_key: names and seals under keys from the writer secret") {
  auto a = crypto::derive_repository_keys(crypto::secret::random(32));
  auto b = crypto::derive_repository_keys(crypto::secret::random(32));
  crypto::file_cache_key ka(*a), ka2(*a), kb(*b);
  CHECK(ka.name_of("p/src/dir") == ka2.name_of("p/src/dir"));
  CHECK(ka.name_of("src/dir").size() == 32);
  CHECK(ka.name_of("src/dir") != kb.name_of("src/dir"));
  CHECK(ka.name_of("src/dir").find("src") == std::string::npos);
  auto plain = as_bytes(std::string_view("secret-name.txt"));
  auto sealed = ka.seal(as_bytes(std::string_view("row")), plain);
  CHECK(sealed.size() == plain.size() + 28);
  CHECK(std::string(sealed.begin(), sealed.end()).find("secret") == std::string::npos);
  auto back = ka2.open(as_bytes(std::string_view("row")), sealed);
  REQUIRE(back);
  CHECK(*back == byte_buffer(plain.begin(), plain.end()));
  CHECK(ka.seal(as_bytes(std::string_view("row")), plain) != sealed);  // a fresh nonce each time
  CHECK(kb.open(as_bytes(std::string_view("row")), sealed).error().code() == errc::corrupt);
  CHECK_FALSE(ka.open(as_bytes(std::string_view("other row")), sealed));
  sealed[20] ^= 1;
  CHECK_FALSE(ka.open(as_bytes(std::string_view("row")), sealed));
  CHECK_FALSE(ka.open({}, byte_view(sealed.data(), 10)));
}
