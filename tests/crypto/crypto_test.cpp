#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "crypto/cipher.hpp"
#include "crypto/id_hasher.hpp"
#include "crypto/key_slot.hpp"
#include "crypto/keyfile.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::crypto;

namespace {
byte_buffer bytes_of(std::string_view s) { return byte_buffer(s.begin(), s.end()); }
credential keyfile_credential(const secret& key) {
  return credential{slot_kind::keyfile, key, "keyfile test.key"};
}
}  // namespace

TEST_CASE("secret: random copy compare") {
  auto a = secret::random(32);
  auto b = a;
  CHECK(a.equals(b));
  CHECK_FALSE(a.equals(secret::random(32)));
  secret moved = std::move(b);
  CHECK(moved.equals(a));
  CHECK(b.empty());
}

TEST_CASE("cipher: objects round trip and bind their kind - tampering is detected") {
  for (auto mode : {encryption::aes256gcm, encryption::none}) {
    object_cipher c(mode, new_repository_keys());
    for (size_t n : {0, 1, 15, 16, 17, 1000, 100'000}) {
      byte_buffer plain(n, 0x5a);
      auto sealed = c.seal_object("index", plain);
      CHECK(*c.open_object("index", sealed) == plain);
      CHECK_FALSE(c.open_object("checkpoint", sealed));
      sealed[sealed.size() / 2] ^= 1;
      auto bad = c.open_object("index", sealed);
      REQUIRE_FALSE(bad);
      CHECK(bad.error().code() == errc::corrupt);
    }
  }
}

TEST_CASE("cipher: an encrypted object does not contain its plaintext and never repeats") {
  object_cipher c(encryption::aes256gcm, new_repository_keys());
  auto plain = bytes_of("secret-file-name.txt secret-file-name.txt");
  auto a = c.seal_object("tree", plain);
  auto b = c.seal_object("tree", plain);
  CHECK(a != b);
  std::string text(a.begin(), a.end());
  CHECK(text.find("secret-file-name") == std::string::npos);
}

TEST_CASE("cipher: another repository's key cannot open an object") {
  object_cipher mine(encryption::aes256gcm, new_repository_keys());
  object_cipher theirs(encryption::aes256gcm, new_repository_keys());
  auto sealed = mine.seal_object("checkpoint", bytes_of("hello"));
  auto r = theirs.open_object("checkpoint", sealed);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::corrupt);
}

TEST_CASE("cipher: pack blobs are bound to offset and aad") {
  object_cipher c(encryption::aes256gcm, new_repository_keys());
  auto salt = random_bytes(salt_size);
  auto pc = c.for_pack(salt);
  byte_buffer out;
  auto plain = bytes_of("blob content that is longer than one block");
  pc->seal(0, bytes_of("aad"), plain, out);
  CHECK(out.size() == plain.size() + tag_size);
  auto again = c.for_pack(salt);
  CHECK(*again->open(0, bytes_of("aad"), out) == plain);
  CHECK_FALSE(again->open(1, bytes_of("aad"), out));
  CHECK_FALSE(again->open(0, bytes_of("aae"), out));
  CHECK_FALSE(c.for_pack(random_bytes(salt_size))->open(0, bytes_of("aad"), out));
}

TEST_CASE("cipher: a pack blob opened in place gives what open gives, and nothing when tampered") {
  for (auto mode : {encryption::aes256gcm, encryption::none}) {
    CAPTURE(to_string(mode));
    object_cipher c(mode, mode == encryption::none ? nullptr : new_repository_keys());
    auto salt = random_bytes(salt_size);
    auto pc = c.for_pack(salt);
    for (size_t size : {0, 1, 15, 16, 17, 4096, 100003}) {
      byte_buffer plain(size);
      for (size_t i = 0; i < size; ++i) plain[i] = static_cast<uint8_t>(i * 7 + size);
      byte_buffer sealed;
      pc->seal(64, bytes_of("aad"), plain, sealed);
      auto copy = sealed;
      auto view = pc->open_in_place(64, bytes_of("aad"), copy);
      REQUIRE(view);
      CHECK(byte_buffer(view->begin(), view->end()) == plain);
      CHECK(view->data() == copy.data());  // where the bytes lay, no copy
      if (mode == encryption::none) continue;
      auto tampered = sealed;
      tampered[tampered.size() / 2] ^= 1;
      CHECK_FALSE(pc->open_in_place(64, bytes_of("aad"), tampered));
      auto moved = sealed;
      CHECK_FALSE(pc->open_in_place(65, bytes_of("aad"), moved));
    }
    byte_buffer too_short(tag_size - 1);
    if (mode != encryption::none) CHECK_FALSE(pc->open_in_place(0, bytes_of("aad"), too_short));
  }
}

TEST_CASE("id_hasher: keyed ids differ per repository - plain ids are SHA-256") {
  auto data = bytes_of("abc");
  id_hasher plain(nullptr);
  CHECK(plain.id_of(data).hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  id_hasher k1(new_repository_keys()), k2(new_repository_keys());
  CHECK(k1.id_of(data) != k2.id_of(data));
  CHECK(k1.id_of(data) == k1.clone().id_of(data));
  CHECK(sha256_of(data) == plain.id_of(data));
}

TEST_CASE("key_slot: keyfile and password slots open the master - wrong ones do not") {
  auto master = secret::random(32);
  auto key = secret::random(32);
  auto kf = keyfile_credential(key);
  credential pw{slot_kind::password, secret::copy_of(as_bytes("correct horse")), "password"};
  argon2_params cheap{.memory_kib = 1024, .iterations = 1, .parallelism = 1};
  std::vector<key_slot> slots{make_key_slot(kf, master, "repo1"),
                              make_key_slot(pw, master, "repo1", cheap)};
  CHECK(open_key_slots(slots, kf, "repo1")->equals(master));
  CHECK(open_key_slots(slots, pw, "repo1")->equals(master));

  auto wrong_key = open_key_slots(slots, keyfile_credential(secret::random(32)), "repo1");
  REQUIRE_FALSE(wrong_key);
  CHECK(wrong_key.error().code() == errc::auth);
  CHECK(wrong_key.error().message().find("test.key") != std::string::npos);

  credential wrong_pw{slot_kind::password, secret::copy_of(as_bytes("wrong")), "password"};
  auto r = open_key_slots(slots, wrong_pw, "repo1");
  REQUIRE_FALSE(r);
  CHECK(r.error().message() == "wrong password");
  // A slot copied into another repository's header does not open there.
  CHECK_FALSE(open_key_slots(slots, kf, "repo2"));
}

TEST_CASE("key_slot: absurd Argon2 parameters from a damaged header are refused") {
  credential pw{slot_kind::password, secret::copy_of(as_bytes("pw")), "password"};
  key_slot slot = make_key_slot(pw, secret::random(32), "r", {1024, 1, 1});
  slot.kdf.memory_kib = 1u << 31;
  auto r = open_key_slots({slot}, pw, "r");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::invalid_input);
}

TEST_CASE("keyfile: created 0600 read back never overwritten refused when readable") {
  testing::temp_dir dir;
  auto path = dir / "sub/cairn.key";
  auto key = create_keyfile(path);
  REQUIRE(key);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(read_keyfile(path)->equals(*key));
  auto again = create_keyfile(path);
  REQUIRE_FALSE(again);
  CHECK(again.error().code() == errc::exists);
  CHECK(read_keyfile(path)->equals(*key));

  ::chmod(path.c_str(), 0644);
  auto r = read_keyfile(path);
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("chmod 600") != std::string::npos);

  auto missing = read_keyfile(dir / "none.key");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code() == errc::not_found);

  std::ofstream(dir / "junk.key") << "hello\n";
  ::chmod((dir / "junk.key").c_str(), 0600);
  auto junk = read_keyfile(dir / "junk.key");
  REQUIRE_FALSE(junk);
  CHECK(junk.error().message().find("not a Cairn keyfile") != std::string::npos);
}
