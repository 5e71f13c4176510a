// The keyring in write-only mode: what it creates, what the writer key and
// the private key open, and administrators' slots.
#include <doctest/doctest.h>

#include <cstdlib>

#include "actors/keyring.hpp"
#include "crypto/private_key_file.hpp"
#include "support/actor_fixture.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::actors;

namespace {

struct fixture : testing::actor_fixture {
  testing::temp_dir dir;
  crypto::key_pair pair = crypto::generate_key_pair();

  keyring_actor keyring(bool with_private_key, config::keyring_mode mode = config::keyring_mode::write_only,
                        bool password = false) {
    keyring_options o;
    o.config.mode = mode;
    o.config.public_key = crypto::format_public_key(pair.pub);
    o.state_dir = dir / "state";
    o.ask_password = password;
    if (with_private_key) {
      auto file = dir / "private.key";
      if (!std::filesystem::exists(file)) REQUIRE(crypto::write_private_key_file(file, pair, std::nullopt));
      o.private_key = file;
    }
    return sys->spawn<caf::detached>(actors::keyring, o);
  }
};

}  // namespace

TEST_CASE("keyring write-only: init makes the writer key and two slots, and the writer key cannot read") {
  fixture f;
  auto k = f.keyring(false);
  auto made = f.ask<new_keys>(k, atom::create::value, std::string("repo1"));
  REQUIRE(made);
  CHECK(made->encryption == crypto::encryption::x25519);
  REQUIRE(made->slots.size() == 2);
  CHECK(made->slots[0].kind == crypto::slot_kind::public_key);
  CHECK(made->slots[1].kind == crypto::slot_kind::keyfile);
  CHECK(std::filesystem::exists(writer_key_file(f.dir / "state")));
  CHECK(made->keys->private_key.empty());
  unlock_request req{"t", "repo1", crypto::encryption::x25519, made->slots, f.pair.pub};
  auto w = f.ask<key_handle>(k, atom::unlock::value, req);
  REQUIRE(w);
  CHECK(w->keys->master.equals(made->keys->master));
  CHECK(w->keys->private_key.empty());
  // A slot made from keys without the private key would read nothing: refused.
  auto slot = f.ask<crypto::key_slot>(k, atom::add::value,
                                      slot_request{"repo1", w->keys, crypto::slot_kind::password, {}});
  REQUIRE_FALSE(slot);
  CHECK(slot.error().message().find("--private-key") != std::string::npos);
  f.stop(k);
}

TEST_CASE("keyring write-only: the private key reads, and an administrator's password slot reads too") {
  fixture f;
  auto writer = f.keyring(false);
  auto made = f.ask<new_keys>(writer, atom::create::value, std::string("repo1"));
  REQUIRE(made);
  f.stop(writer);
  auto reader = f.keyring(true);
  // No public key in the request (a suite state): it comes from the private key.
  auto r = f.ask<key_handle>(reader, atom::unlock::value,
                             unlock_request{"t", "repo1", crypto::encryption::x25519, made->slots, std::nullopt});
  REQUIRE(r);
  CHECK(r->keys->master.equals(made->keys->master));
  CHECK(r->keys->private_key.equals(f.pair.private_key));
  ::setenv("CAIRN_NEW_PASSWORD", "admin-pw", 1);
  auto slot = f.ask<crypto::key_slot>(reader, atom::add::value,
                                      slot_request{"repo1", r->keys, crypto::slot_kind::password, {}});
  ::unsetenv("CAIRN_NEW_PASSWORD");
  REQUIRE(slot);
  f.stop(reader);
  auto slots = made->slots;
  slots.push_back(*slot);
  ::setenv("CAIRN_PASSWORD", "admin-pw", 1);
  auto admin = f.keyring(false, config::keyring_mode::password);
  auto a = f.ask<key_handle>(admin, atom::unlock::value,
                             unlock_request{"t", "repo1", crypto::encryption::x25519, slots, f.pair.pub});
  ::unsetenv("CAIRN_PASSWORD");
  REQUIRE(a);
  CHECK(a->keys->master.equals(made->keys->master));
  CHECK(a->keys->private_key.equals(f.pair.private_key));
  f.stop(admin);
}

TEST_CASE("keyring write-only: another private key is refused") {
  fixture f;
  auto writer = f.keyring(false);
  auto made = f.ask<new_keys>(writer, atom::create::value, std::string("repo1"));
  REQUIRE(made);
  f.stop(writer);
  f.pair = crypto::generate_key_pair();
  auto other = f.keyring(true);
  auto r = f.ask<key_handle>(other, atom::unlock::value,
                             unlock_request{"usb", "repo1", crypto::encryption::x25519, made->slots, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::auth);
  CHECK(r.error().message().find("usb: ") == 0);
  f.stop(other);
}
