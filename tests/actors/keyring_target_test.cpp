#include <doctest/doctest.h>

#include <thread>

#include "actors/keyring.hpp"
#include "actors/progress.hpp"
#include "actors/target.hpp"
#include "crypto/keyfile.hpp"
#include "repo/compression.hpp"
#include "support/actor_fixture.hpp"
#include "support/temp_dir.hpp"
#include "targets/faulty_target.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::actors;

namespace {

struct fixture : testing::actor_fixture {
  testing::temp_dir dir;
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  std::shared_ptr<targets::faulty_target> faulty = std::make_shared<targets::faulty_target>(mem);

  keyring_actor keyring(const std::string& keyfile) {
    keyring_options o;
    o.config.mode = config::keyring_mode::keyfile;
    o.config.keyfile = dir / keyfile;
    o.state_dir = dir / "state";
    return sys->spawn<caf::detached>(actors::keyring, o);
  }

  target_actor target(keyring_actor k, std::chrono::milliseconds refresh = timeouts::lock_refresh,
                      std::chrono::milliseconds grace = timeouts::lock_grace) {
    target_options o{"test", faulty, k, progress_actor{}, {}, "test"};
    o.lock_refresh = refresh;
    o.lock_grace = grace;
    o.create.pack_size = 64 << 10;
    o.packs_per_index = 2;
    return sys->spawn<caf::detached>(actors::target, o);
  }

  blob_store_request blob(repo::repository& r, int i) {
    byte_buffer b(30000, static_cast<uint8_t>(i));
    b[0] = static_cast<uint8_t>(i >> 8);
    auto id = r.make_hasher().id_of(b);
    REQUIRE(r.index().claim(id));
    return {repo::blob_type::data, id, make_chunk(repo::encode_blob(b, 3)), static_cast<uint32_t>(b.size())};
  }
};

}  // namespace

TEST_CASE("keyring: creates the keyfile 0600 and unlocks what it created") {
  fixture f;
  auto k = f.keyring("cairn.key");
  auto made = f.ask<new_keys>(k, atom::create::value, std::string("repo1"));
  REQUIRE(made);
  CHECK(std::filesystem::exists(f.dir / "cairn.key"));
  CHECK(made->slots.size() == 1);
  auto opened = f.ask<key_handle>(k, atom::unlock::value,
                                  unlock_request{"t", "repo1", crypto::encryption::aes256gcm, made->slots});
  REQUIRE(opened);
  CHECK(opened->keys->master.equals(made->keys->master));
  f.stop(k);
}

TEST_CASE("keyring: another keyfile is refused with a clear error") {
  fixture f;
  auto a = f.keyring("a.key");
  auto made = f.ask<new_keys>(a, atom::create::value, std::string("repo1"));
  REQUIRE(made);
  REQUIRE(crypto::create_keyfile(f.dir / "b.key"));
  auto b = f.keyring("b.key");
  auto r = f.ask<key_handle>(b, atom::unlock::value,
                             unlock_request{"usb", "repo1", crypto::encryption::aes256gcm, made->slots});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::auth);
  CHECK(r.error().message().find("usb: keyfile") == 0);
  auto missing = f.keyring("missing.key");
  auto m = f.ask<key_handle>(missing, atom::unlock::value,
                             unlock_request{"usb", "repo1", crypto::encryption::aes256gcm, made->slots});
  REQUIRE_FALSE(m);
  CHECK(m.error().message().find("does not exist") != std::string::npos);
  f.stop(a);
  f.stop(b);
  f.stop(missing);
}

TEST_CASE("target: creates, stores blobs with backpressure, commits a checkpoint last") {
  fixture f;
  auto k = f.keyring("cairn.key");
  auto t = f.target(k);
  auto created = f.ask<open_result>(t, atom::open::value, open_mode::create);
  REQUIRE(created);
  CHECK(created->created);
  f.stop(t);

  auto w = f.target(k);
  auto opened = f.ask<open_result>(w, atom::open::value, open_mode::write);
  REQUIRE(opened);
  auto& repo = *opened->repo;
  for (int i = 0; i < 20; ++i) REQUIRE(f.ask<bool>(w, atom::store::value, f.blob(repo, i)));
  repo::checkpoint cp;
  cp.plan = "p";
  cp.time_ns = 1;
  auto committed = f.ask<commit_result>(w, atom::commit::value, commit_request{cp});
  REQUIRE(committed);
  CHECK(committed->checkpoint.stats.blobs_new == 20);
  CHECK(committed->checkpoint.stats.bytes_uploaded > 0);
  f.stop(w);

  // A fresh reader sees the checkpoint and every blob, through index files only.
  auto r = f.target(k);
  auto reader = f.ask<open_result>(r, atom::open::value, open_mode::read);
  REQUIRE(reader);
  CHECK(reader->repo->index().blob_count() == 20);
  auto ids = reader->repo->list_checkpoints();
  REQUIRE(ids);
  CHECK(ids->size() == 1);
  CHECK(f.mem->stat("locks/x").error().code() == errc::not_found);
  f.stop(r);
  f.stop(k);
}

TEST_CASE("target: a failed upload fails the commit and writes no checkpoint") {
  fixture f;
  auto k = f.keyring("cairn.key");
  auto t = f.target(k);
  REQUIRE(f.ask<open_result>(t, atom::open::value, open_mode::create));
  f.stop(t);
  auto w = f.target(k);
  auto opened = f.ask<open_result>(w, atom::open::value, open_mode::write);
  REQUIRE(opened);
  f.faulty->add_rule({.op = targets::operation::put, .prefix = "data/", .code = errc::no_space});
  for (int i = 0; i < 3; ++i) (void)f.ask<bool>(w, atom::store::value, f.blob(*opened->repo, i));
  repo::checkpoint cp;
  cp.plan = "p";
  auto committed = f.ask<commit_result>(w, atom::commit::value, commit_request{cp});
  REQUIRE_FALSE(committed);
  CHECK(committed.error().code() == errc::no_space);
  CHECK(committed.error().message().find("test: ") == 0);
  std::vector<std::string> names;
  (void)f.mem->list("checkpoints/", [&](const targets::object_info& i) {
    names.push_back(i.name);
    return true;
  });
  CHECK(names.empty());
  f.stop(w);
  f.stop(k);
}

TEST_CASE("target: a lock that cannot be refreshed for long stops the run before it commits") {
  fixture f;
  auto k = f.keyring("cairn.key");
  auto t = f.target(k);
  REQUIRE(f.ask<open_result>(t, atom::open::value, open_mode::create));
  f.stop(t);
  using std::chrono::milliseconds;
  auto w = f.target(k, milliseconds(20), milliseconds(150));
  auto opened = f.ask<open_result>(w, atom::open::value, open_mode::write);
  REQUIRE(opened);
  f.faulty->add_rule({.op = targets::operation::put, .prefix = "locks/", .code = errc::transient});
  for (int i = 0; i < 3; ++i) REQUIRE(f.ask<bool>(w, atom::store::value, f.blob(*opened->repo, i)));
  std::this_thread::sleep_for(milliseconds(400));
  repo::checkpoint cp;
  cp.plan = "p";
  auto committed = f.ask<commit_result>(w, atom::commit::value, commit_request{cp});
  REQUIRE_FALSE(committed);
  CHECK(committed.error().message().find("lock could not be refreshed") != std::string::npos);
  size_t checkpoints = 0;
  (void)f.mem->list("checkpoints/", [&](const targets::object_info&) {
    ++checkpoints;
    return true;
  });
  CHECK(checkpoints == 0);
  f.stop(w);
  f.stop(k);
}

TEST_CASE("target: a lock refreshed in time commits") {
  fixture f;
  auto k = f.keyring("cairn.key");
  auto t = f.target(k);
  REQUIRE(f.ask<open_result>(t, atom::open::value, open_mode::create));
  f.stop(t);
  using std::chrono::milliseconds;
  auto w = f.target(k, milliseconds(20), milliseconds(150));
  auto opened = f.ask<open_result>(w, atom::open::value, open_mode::write);
  REQUIRE(opened);
  REQUIRE(f.ask<bool>(w, atom::store::value, f.blob(*opened->repo, 1)));
  std::this_thread::sleep_for(milliseconds(400));
  repo::checkpoint cp;
  cp.plan = "p";
  CHECK(f.ask<commit_result>(w, atom::commit::value, commit_request{cp}));
  f.stop(w);
  f.stop(k);
}

TEST_CASE("target: opening a missing repository says to run init") {
  fixture f;
  auto k = f.keyring("cairn.key");
  auto t = f.target(k);
  auto r = f.ask<open_result>(t, atom::open::value, open_mode::write);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::not_found);
  CHECK(r.error().message().find("cairn init") != std::string::npos);
  f.stop(t);
  f.stop(k);
}

TEST_CASE("progress: rate and ETA follow the bytes done") {
  progress_state st;
  st.snapshot.total.bytes = 1000;
  st.snapshot.done.bytes = 0;
  update_estimate(st, 0.0);
  CHECK(st.snapshot.eta_seconds < 0);
  st.snapshot.done.bytes = 100;
  update_estimate(st, 1.0);
  CHECK(st.snapshot.rate == doctest::Approx(100));
  CHECK(st.snapshot.eta_seconds == doctest::Approx(9));
  st.snapshot.done.bytes = 1000;
  update_estimate(st, 2.0);
  CHECK(st.snapshot.eta_seconds == doctest::Approx(0));
}
