// S3 Object Lock on upload: the headers that make one PUT retain its object
// until a date (x-amz-object-lock-mode, -retain-until-date, and the
// Content-MD5 that AWS demands of such uploads). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"

namespace cairn::targets {

struct s3_object_lock {
  int days = 0;                    // 0: off; else every object is retained this long
  std::string mode = "COMPLIANCE"; // COMPLIANCE or GOVERNANCE, as S3 spells them
};

// "2026-12-03T19:45:00Z": RFC 3339 in UTC, whole seconds.
std::string rfc3339_utc(int64_t unix_seconds);

// Whether an object is retained: every one but the repository's lock objects
// (locks/...), which are refreshed and deleted by design.
bool retained(const s3_object_lock& lock, std::string_view name);

// The headers a single PUT of `name` carries, `now` in Unix seconds. Empty
// when the object is not retained.
std::vector<std::string> object_lock_headers(const s3_object_lock& lock, std::string_view name,
                                             byte_view body, int64_t now);

// The headers of the request that starts a multipart upload of `name` (the
// retention; each part then carries its own Content-MD5).
std::vector<std::string> multipart_lock_headers(const s3_object_lock& lock, std::string_view name, int64_t now);

}  // namespace cairn::targets
