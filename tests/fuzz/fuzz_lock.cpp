// Lock objects: sealed JSON {host, pid, exclusive, purpose, created,
// refreshed} that every backup, restore and prune reads from locks/.
// Input (fuzz_support.hpp): mode byte | lock JSON (or stored object);
// mode bit 2 asks for an exclusive lock. The object is put under locks/ of an
// in-memory repository, and taking a lock reads it.
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "repo/repository.hpp"
#include "targets/memory_target.hpp"

namespace {

using namespace cairn;

struct fixture {
  std::shared_ptr<targets::memory_target> target = std::make_shared<targets::memory_target>();
  std::shared_ptr<repo::repository> repo;
};

fixture& repository_for(crypto::encryption mode) {
  static fixture none, gcm;
  auto& f = mode == crypto::encryption::none ? none : gcm;
  if (!f.repo) {
    repo::create_options options;
    options.encryption = mode;
    auto keys = mode == crypto::encryption::none ? nullptr : fuzz::test_keys();
    auto created = repo::repository::create(f.target, options, keys, {});
    if (!created) __builtin_trap();  // the harness itself is broken
    f.repo = *created;
  }
  return f;
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  auto& f = repository_for(in.mode);
  std::vector<std::string> stale;
  (void)f.target->list(repo::lock_prefix, [&](const targets::object_info& o) {
    stale.push_back(o.name);
    return true;
  });
  for (const auto& name : stale) (void)f.target->remove(name);
  auto object = fuzz::stored_object(in, repo::kind_lock);
  (void)f.target->put("locks/00000000000000000000000000000000", object);
  bool exclusive = size > 0 && (data[0] & 4);
  if (auto held = f.repo->lock(exclusive, "fuzz")) (void)(*held)->release();
  return 0;
}
