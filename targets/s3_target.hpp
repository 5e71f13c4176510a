// A repository in an S3-compatible bucket (libcurl with its SigV4 signer):
// path-style requests, every one signed with x-amz-content-sha256 set to the
// body's SHA-256, connections reused from a pool, multipart uploads above a
// threshold, ListObjectsV2 with continuation. A PUT is atomic on S3 (an
// object is visible whole or not at all); an interrupted multipart upload is
// aborted and never becomes an object. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "targets/s3_object_lock.hpp"
#include "targets/target.hpp"

namespace cairn::targets {

struct s3_options {
  std::string endpoint;    // "http://127.0.0.1:8080" or "https://s3.amazonaws.com"
  std::string bucket;
  std::string prefix;      // inside the bucket, without leading or trailing '/'
  std::string region = "us-east-1";
  std::string access_key;  // never printed
  std::string secret_key;  // never printed
  int connections = 4;
  uint64_t multipart_threshold = 64u << 20;
  uint64_t part_size = 16u << 20;
  std::chrono::seconds timeout{60};  // connect, and a stalled transfer
  std::string ca_file;               // HTTPS: trust this CA (a private one) instead of the system's
  // true: ENDPOINT/BUCKET/key. false: virtual-hosted, scheme://BUCKET.host/key
  // (what AWS asks of new buckets; the bucket must be a valid host label).
  bool path_style = true;
  s3_object_lock object_lock;  // retention of every object but locks (off by default)
};

class s3_target : public target {
public:
  explicit s3_target(s3_options options);
  ~s3_target() override;

  status put(std::string_view name, byte_view data) override;
  expected<byte_buffer> get(std::string_view name, byte_range range = {}) override;
  expected<object_info> stat(std::string_view name) override;
  status list(std::string_view prefix,
              const std::function<bool(const object_info&)>& fn) override;
  status remove(std::string_view name) override;
  std::string describe() const override;

  struct response;
  struct request;

private:
  expected<response> perform(const request& r);
  std::string url_of(const std::string& key, const std::string& query) const;
  std::string key_of(std::string_view name) const;
  status put_multipart(std::string_view name, byte_view data);
  error http_error(const std::string& what, const response& r) const;
  error no_bucket() const;
  expected<bool> bucket_exists();

  s3_options options_;
  std::mutex mutex_;
  std::vector<void*> handles_;  // idle CURL easy handles (reused connections)
  std::atomic<bool> bucket_seen_{false};  // a request on the bucket succeeded
};

}  // namespace cairn::targets
