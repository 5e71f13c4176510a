#include "targets/s3_object_lock.hpp"

#include <ctime>

#include "crypto/id_hasher.hpp"

namespace cairn::targets {

namespace {
constexpr std::string_view lock_objects = "locks/";  // repo/repo_format.hpp: lock_prefix
}

std::string rfc3339_utc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool retained(const s3_object_lock& lock, std::string_view name) {
  return lock.days > 0 && name.substr(0, lock_objects.size()) != lock_objects;
}

std::vector<std::string> multipart_lock_headers(const s3_object_lock& lock, std::string_view name, int64_t now) {
  if (!retained(lock, name)) return {};
  return {"x-amz-object-lock-mode: " + lock.mode,
          "x-amz-object-lock-retain-until-date: " + rfc3339_utc(now + int64_t{lock.days} * 86400)};
}

std::vector<std::string> object_lock_headers(const s3_object_lock& lock, std::string_view name,
                                             byte_view body, int64_t now) {
  auto out = multipart_lock_headers(lock, name, now);
  if (!out.empty()) out.push_back("Content-MD5: " + crypto::content_md5(body));
  return out;
}

}  // namespace cairn::targets
