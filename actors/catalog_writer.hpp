// The catalog actor: the single writer of the local SQLite catalog. Detached
// (SQLite blocks). File-cache updates are batched into one transaction per
// 256 directories or when anything else needs the database.
#pragma once

#include <memory>

#include "actors/protocol/catalog.hpp"

namespace cairn::actors {

struct catalog_writer_state {
  static inline const char* name = "catalog";
  std::shared_ptr<catalog::catalog> db;
  std::filesystem::path state_dir;
  size_t batched = 0;
  ~catalog_writer_state() {
    if (db && batched) (void)db->commit();  // an open batch would be rolled back at close
  }
};

catalog_actor::behavior_type catalog_writer(
  catalog_actor::stateful_pointer<catalog_writer_state> self,
  std::shared_ptr<catalog::catalog> db, std::filesystem::path state_dir);

}  // namespace cairn::actors
