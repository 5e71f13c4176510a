// The sealed file cache of a write-only machine (catalog/cache_seal.hpp) for
// one run: per target, keys derived from its repository's writer secret
// (crypto/file_cache_key.hpp). Immutable once built; shared by the run's walks.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "catalog/cache_seal.hpp"
#include "crypto/file_cache_key.hpp"

namespace cairn::actors {

class sealed_file_cache : public catalog::cache_seal {
public:
  // `generation`: this run's stamp (its start time).
  explicit sealed_file_cache(int64_t generation) : generation_(generation) {}
  void add_target(const std::string& name, const crypto::repository_keys& keys);

  std::string name_of(std::string_view plan, std::string_view target, std::string_view directory) const override;
  byte_buffer seal(std::string_view target, std::string_view name, byte_view plaintext) const override;
  expected<byte_buffer> open(std::string_view target, std::string_view name, byte_view sealed) const override;
  int64_t generation() const override { return generation_; }

private:
  const crypto::file_cache_key* key_of(std::string_view target) const;
  std::map<std::string, std::unique_ptr<crypto::file_cache_key>, std::less<>> keys_;
  int64_t generation_;
};

}  // namespace cairn::actors
