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

// regressions/lock/json-not-an-object-type-error: repository::lock reads the
// fields with json::value(), which throws out of it when the lock is not an
// object or a field has another type.
bool known_crash(const fuzz::input& in, byte_view object) {
  auto plain = fuzz::cipher_for(in.mode).open_object(repo::kind_lock, object);
  if (!plain) return false;
  auto j = nlohmann::json::parse(plain->begin(), plain->end(), nullptr, false);
  if (j.is_discarded()) return false;
  if (!j.is_object()) return true;
  auto wrong = [&](const char* key, bool (nlohmann::json::*is)() const noexcept) {
    return j.contains(key) && !(j[key].*is)();
  };
  using json = nlohmann::json;
  return wrong("host", &json::is_string) || wrong("purpose", &json::is_string) ||
         wrong("exclusive", &json::is_boolean) ||
         (j.contains("pid") && !j["pid"].is_number() && !j["pid"].is_boolean()) ||
         (j.contains("created") && !j["created"].is_number() && !j["created"].is_boolean()) ||
         (j.contains("refreshed") && !j["refreshed"].is_number() && !j["refreshed"].is_boolean());
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
  if (fuzz::skip_known() && known_crash(in, object)) return 0;
  (void)f.target->put("locks/00000000000000000000000000000000", object);
  bool exclusive = size > 0 && (data[0] & 4);
  if (auto held = f.repo->lock(exclusive, "fuzz")) (void)(*held)->release();
  return 0;
}
