// One directory's rows of the file cache, as a walk hands them to the one
// catalog writer (or, with a sealed cache, the end of a walk).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"

namespace cairn::catalog {

struct file_cache_update {
  std::string plan;
  std::string target;
  std::string directory;
  std::vector<cache_entry> entries;
  // A write-only machine's sealed file cache (catalog/cache_seal.hpp).
  std::shared_ptr<const cache_seal> seal;
  // With `seal`: not a directory but the end of a walk of source `directory`:
  // drop the rows of that source this walk did not store.
  bool drop_unvisited = false;
};

}  // namespace cairn::catalog
