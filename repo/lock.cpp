// Repository locks (restic's scheme): write our lock, then look at the others;
// a conflicting live lock makes us withdraw ours. A lock is stale when it was
// not refreshed for 30 minutes or its process on this host is gone.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "crypto/secret.hpp"
#include "repo/json_field.hpp"
#include "repo/repository.hpp"

namespace cairn::repo {

using json = nlohmann::json;

namespace {

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

byte_buffer lock_json(bool exclusive, const std::string& purpose, int64_t created, int64_t refreshed) {
  json j{{"host", host_name()}, {"pid", static_cast<int64_t>(getpid())},
         {"exclusive", exclusive}, {"purpose", purpose},
         {"created", created}, {"refreshed", refreshed}};
  auto text = j.dump();
  return byte_buffer(text.begin(), text.end());
}

bool stale(const json& j, int64_t now) {
  // Written by anyone with access to the target: no field's type or range is trusted.
  if (!j.is_object()) return true;
  if (int_field<int64_t>(j, "refreshed", 0) < now - repository_lock::stale_after_ns) return true;
  if (string_field(j, "host") == host_name()) {
    auto pid = int_field<pid_t>(j, "pid", 0);
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) return true;
  }
  return false;
}

struct live_lock {
  bool exclusive = false;
  std::string description;  // "prune on host (pid 12, since ...)"
};

// A live lock, or nullopt for a stale or malformed one (a lock is bytes from
// the target: in mode none anyone can write one, so no field is trusted).
std::optional<live_lock> read_lock(const json& j, int64_t now) {
  try {
    if (!j.is_object() || stale(j, now)) return std::nullopt;
    bool exclusive = j.contains("exclusive") && j["exclusive"].is_boolean() && j["exclusive"].get<bool>();
    return live_lock{exclusive, string_field(j, "purpose", "another run") + " on " +
                                  string_field(j, "host", "?") + " (pid " +
                                  std::to_string(int_field<int64_t>(j, "pid", 0)) + ", since " +
                                  format_time(int_field<int64_t>(j, "created", 0)) + ")"};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace

expected<std::unique_ptr<repository_lock>> repository::lock(bool exclusive, std::string purpose) {
  int64_t now = now_ns();
  auto info = lock_json(exclusive, purpose, now, now);
  auto name = std::string(lock_prefix) + to_hex(crypto::random_bytes(16));
  CAIRN_TRY(target_->put(name, cipher_.seal_object(kind_lock, info)));
  auto held = std::make_unique<repository_lock>(target_, cipher_, name, info);
  std::vector<std::string> others;
  std::vector<std::string> oversized;  // not a lock this program wrote: never read whole
  auto listed = target_->list(lock_prefix, [&](const targets::object_info& o) {
    if (o.name != name) (o.size > max_lock_bytes ? oversized : others).push_back(o.name);
    return true;
  });
  if (!listed) {
    if (listed.error().code() == errc::unsupported) return held;  // cannot see others
    return fail(listed.error());
  }
  for (const auto& other : oversized) (void)target_->remove(other);
  for (const auto& other : others) {
    auto sealed = read_bounded(*target_, other, max_lock_bytes);
    if (!sealed) continue;  // released meanwhile
    auto plain = cipher_.open_object(kind_lock, *sealed);
    json j = plain ? json::parse(plain->begin(), plain->end(), nullptr, false) : json();
    auto held_by = plain && !j.is_discarded() ? read_lock(j, now) : std::nullopt;
    if (!held_by) {  // damaged, or stale
      (void)target_->remove(other);
      continue;
    }
    if (!exclusive && !held_by->exclusive) continue;
    (void)held->release();
    return fail(errc::locked, describe() + " is locked by " + held_by->description +
                                "; it expires 30 minutes after its last refresh");
  }
  if (exclusive && exclusive_hook_) exclusive_hook_();
  return held;
}

repository_lock::repository_lock(targets::target_ptr target, const crypto::object_cipher& cipher,
                                 std::string name, byte_buffer info_json)
  : target_(std::move(target)), cipher_(cipher), name_(std::move(name)), info_(std::move(info_json)) {}

repository_lock::~repository_lock() { (void)release(); }

status repository_lock::refresh() {
  json j = json::parse(info_.begin(), info_.end());
  j["refreshed"] = now_ns();
  auto text = j.dump();
  info_.assign(text.begin(), text.end());
  return target_->put(name_, cipher_.seal_object(kind_lock, info_));
}

status repository_lock::release() {
  if (!held_) return {};
  held_ = false;
  return target_->remove(name_);
}

}  // namespace cairn::repo
