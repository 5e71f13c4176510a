#include <doctest/doctest.h>

#include "catalog/catalog.hpp"
#include "crypto/key_slot.hpp"
#include "recovery/bootstrap.hpp"
#include "support/temp_dir.hpp"
#include "targets/append_only.hpp"
#include "targets/faulty_target.hpp"
#include "targets/target_wrapper.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::recovery;

namespace {

struct suite {
  crypto::key_ptr keys = crypto::new_repository_keys();
  crypto::credential cred{crypto::slot_kind::keyfile, crypto::secret::random(32), "keyfile k"};
  std::string repo_id = "0123456789abcdef0123456789abcdef";
  testing::temp_dir dir;

  suite_state_header header(int64_t t) {
    suite_state_header h;
    h.suite_id = "suite1";
    h.host = "old-laptop";
    h.time_ns = t;
    h.repository_id = repo_id;
    h.key_slots = {crypto::make_key_slot(cred, keys->master, repo_id)};
    return h;
  }

  suite_payload payload(const std::string& yaml) {
    auto db = catalog::catalog::open(dir / "src-state");
    REQUIRE(db);
    catalog::checkpoint_row row{std::string(64, 'a'), "usb", "home", 5, "h", "", std::string(64, '0'), 3, 4, "{}", "[]"};
    REQUIRE((*db)->record_checkpoint(row));
    auto bytes = (*db)->snapshot_for_backup(dir / "snap.tmp");
    REQUIRE(bytes);
    return suite_payload{"suite1", yaml, *bytes, {{"nas", {1, 2, 3}}}};
  }

  unlocker unlock_with(crypto::credential c) {
    return [c](const std::vector<crypto::key_slot>& slots, const std::string& id,
               crypto::encryption) -> expected<crypto::key_ptr> {
      CAIRN_ASSIGN(auto master, crypto::open_key_slots(slots, c, id));
      return crypto::derive_repository_keys(std::move(master));
    };
  }
};

}  // namespace

TEST_CASE("suite_state: seals and opens with a key slot of the repository") {
  suite s;
  auto object = seal_suite_state(s.header(7), s.payload("state_dir: /x\n"), s.keys);
  auto h = read_suite_state_header(object, "here");
  REQUIRE(h);
  CHECK(h->host == "old-laptop");
  CHECK(h->key_slots.size() == 1);
  std::string text(object.begin(), object.end());
  CHECK(text.find("state_dir") == std::string::npos);  // the YAML is not in the clear
  auto keys = s.unlock_with(s.cred)(h->key_slots, h->repository_id, h->encryption);
  REQUIRE(keys);
  auto p = open_suite_state(object, *h, *keys);
  REQUIRE(p);
  CHECK(p->yaml == "state_dir: /x\n");
  CHECK(p->credentials.at("nas") == byte_buffer{1, 2, 3});
  object[object.size() - 5] ^= 1;
  auto damaged = open_suite_state(object, *h, *keys);
  REQUIRE_FALSE(damaged);
  CHECK(damaged.error().code() == errc::corrupt);
}

TEST_CASE("suite_state: in mode none credentials are left out") {
  suite s;
  auto h = s.header(7);
  h.encryption = crypto::encryption::none;
  h.key_slots.clear();
  auto object = seal_suite_state(h, s.payload("y"), nullptr);
  auto back = open_suite_state(object, *read_suite_state_header(object, "x"), nullptr);
  REQUIRE(back);
  CHECK(back->credentials.empty());
}

TEST_CASE("suite_state: generations are kept newest first and old ones pruned") {
  suite s;
  targets::memory_target t;
  for (int i = 1; i <= 7; ++i)
    REQUIRE(write_suite_state(t, seal_suite_state(s.header(i), s.payload("y"), s.keys), i * 1000, 3));
  std::vector<std::string> notes;
  auto names = suite_state_generations(t, notes);
  REQUIRE(names);
  CHECK(names->size() == 3);
  CHECK(t.object_count() == 4);  // three generations and the pointer
  CHECK((*names)[0] > (*names)[1]);
}

namespace {

// What cairn serve --append-only does with a client's puts and removes.
class append_only_dir : public targets::target_wrapper {
public:
  explicit append_only_dir(std::shared_ptr<targets::local_target> store) : target_wrapper(store), store_(store) {}
  status put(std::string_view name, byte_view data) override { return targets::append_only_put(*store_, name, data); }
  status remove(std::string_view name) override { return targets::append_only_remove(*store_, name); }

private:
  std::shared_ptr<targets::local_target> store_;
};

}  // namespace

TEST_CASE("suite_state: on an append-only target every generation stays and the newest is found") {
  suite s;
  append_only_dir t(std::make_shared<targets::local_target>(s.dir / "repo"));
  for (int i = 1; i <= 4; ++i)
    REQUIRE(write_suite_state(t, seal_suite_state(s.header(i), s.payload("y: " + std::to_string(i) + "\n"), s.keys),
                              i * 1000, 2));
  std::vector<std::string> notes;
  auto names = suite_state_generations(t, notes);
  REQUIRE(names);
  CHECK(names->size() == 4);  // none removed, and the pointer (still the first) hides none
  CHECK((*names)[0] > (*names)[1]);
  auto r = bootstrap_from_target(t, s.unlock_with(s.cred), {s.dir / "new", {}});
  REQUIRE(r);
  CHECK(r->source.find((*names)[0]) != std::string::npos);
}

TEST_CASE("bootstrap: a target that cannot list is found through the pointer") {
  suite s;
  auto mem = std::make_shared<targets::memory_target>();
  REQUIRE(write_suite_state(*mem, seal_suite_state(s.header(1), s.payload("a: 1\n"), s.keys), 1, 5));
  targets::faulty_target no_list(mem);
  targets::fault_rule refuse_list;
  refuse_list.op = targets::operation::list;
  refuse_list.code = errc::unsupported;
  no_list.add_rule(refuse_list);
  auto r = bootstrap_from_target(no_list, s.unlock_with(s.cred), {s.dir / "new", {}});
  REQUIRE(r);
  CHECK(r->checkpoints == 1);
  CHECK(r->plans == std::vector<std::string>{"home"});
  CHECK(std::filesystem::exists(s.dir / "new/catalog.db"));
  CHECK(std::filesystem::exists(s.dir / "new/credentials/nas"));
}

TEST_CASE("bootstrap: a damaged newest generation falls back to the previous one and says so") {
  suite s;
  auto mem = std::make_shared<targets::memory_target>();
  REQUIRE(write_suite_state(*mem, seal_suite_state(s.header(1), s.payload("old: 1\n"), s.keys), 1, 5));
  REQUIRE(write_suite_state(*mem, seal_suite_state(s.header(2), s.payload("new: 1\n"), s.keys), 2, 5));
  std::vector<std::string> notes;
  auto names = *suite_state_generations(*mem, notes);
  mem->mutate(names[0], [](byte_buffer& b) { b[b.size() - 10] ^= 0x20; });
  auto r = bootstrap_from_target(*mem, s.unlock_with(s.cred), {s.dir / "new", {}});
  REQUIRE(r);
  REQUIRE(r->notes.size() == 1);
  CHECK(r->notes[0].find("damaged") != std::string::npos);
  CHECK(r->source.find(names[1]) != std::string::npos);
}

TEST_CASE("bootstrap: a wrong key is a clear error and writes nothing") {
  suite s;
  auto mem = std::make_shared<targets::memory_target>();
  REQUIRE(write_suite_state(*mem, seal_suite_state(s.header(1), s.payload("y"), s.keys), 1, 5));
  crypto::credential other{crypto::slot_kind::keyfile, crypto::secret::random(32), "keyfile other.key"};
  auto r = bootstrap_from_target(*mem, s.unlock_with(other), {s.dir / "new", {}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::auth);
  CHECK(r.error().message().find("other.key") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(s.dir / "new"));
}

TEST_CASE("bootstrap: an empty target says to try --rebuild and a used state dir is refused") {
  suite s;
  targets::memory_target empty;
  auto r = bootstrap_from_target(empty, s.unlock_with(s.cred), {s.dir / "new", {}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("--rebuild") != std::string::npos);
  REQUIRE(catalog::catalog::open(s.dir / "used"));
  auto used = bootstrap_from_target(empty, s.unlock_with(s.cred), {s.dir / "used", {}});
  REQUIRE_FALSE(used);
  CHECK(used.error().code() == errc::exists);
}

TEST_CASE("bootstrap: the recovered YAML points at the new state directory") {
  CHECK(with_state_dir("state_dir: /old\nplans: {}\n", "/new") ==
        "state_dir: /new   # set by cairn bootstrap\nplans: {}\n");
  CHECK(with_state_dir("plans: {}\n", "/new") == "state_dir: /new   # set by cairn bootstrap\nplans: {}\n");
}

TEST_CASE("bootstrap: newer suite states sealed for someone else's key slots are skipped, not final") {
  // A thief with an append-only key adds well-formed suite states that look
  // newer, sealed for a key of their own: bootstrap still finds the real one.
  suite s;
  append_only_dir t(std::make_shared<targets::local_target>(s.dir / "repo"));
  REQUIRE(write_suite_state(t, seal_suite_state(s.header(1), s.payload("real: 1\n"), s.keys), 1000, 2));
  suite thief;
  for (int i = 2; i <= 4; ++i)
    REQUIRE(write_suite_state(t, seal_suite_state(thief.header(i), thief.payload("forged: 1\n"), thief.keys),
                              i * 1000, 2));
  int tries = 0;
  auto counting = [&](const std::vector<crypto::key_slot>& slots, const std::string& id, crypto::encryption e) {
    ++tries;
    return s.unlock_with(s.cred)(slots, id, e);
  };
  auto r = bootstrap_from_target(t, counting, {s.dir / "new", {}});
  REQUIRE(r);
  CHECK(tries == 4);  // three foreign slot sets (each its own), then the real one
  CHECK(r->notes.size() == 3);
  CHECK(r->notes[0].find("written by someone else") != std::string::npos);
  CHECK(std::filesystem::exists(s.dir / "new/catalog.db"));
}

TEST_CASE("bootstrap: a wrong key tries each set of key slots once") {
  suite s;
  auto mem = std::make_shared<targets::memory_target>();
  auto slots = s.header(0).key_slots;  // a repository's slots, as every run seals for them
  for (int i = 1; i <= 5; ++i) {
    auto h = s.header(i);
    h.key_slots = slots;
    REQUIRE(write_suite_state(*mem, seal_suite_state(h, s.payload("y"), s.keys), i, 10));
  }
  crypto::credential other{crypto::slot_kind::keyfile, crypto::secret::random(32), "keyfile other.key"};
  int tries = 0;
  auto counting = [&](const std::vector<crypto::key_slot>& slots, const std::string& id, crypto::encryption e) {
    ++tries;
    return s.unlock_with(other)(slots, id, e);
  };
  auto r = bootstrap_from_target(*mem, counting, {s.dir / "new", {}});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::auth);
  CHECK(tries == 1);  // the same slots in every generation: one Argon2 or TPM try, not five
  CHECK_FALSE(std::filesystem::exists(s.dir / "new"));
}
