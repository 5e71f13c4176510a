// Finding the checkpoint a user named among the catalog's rows: "latest" of a
// plan, a full id, or a unique prefix of 4 or more hex digits. Pure functions
// of the rows given (find_checkpoint on a catalog reads them first); no
// state, thread-safe.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace cairn::catalog {

struct checkpoint_query {
  std::string spec;    // an id, a unique id prefix, or "latest"
  std::string plan;    // "latest": whose newest checkpoint (required); ids and prefixes: any plan
  std::string target;  // only checkpoints of this target ("": all)
};

// `rows` newest first, as catalog::checkpoints returns them. Errors:
// invalid_input for a spec that is no id, prefix or "latest", for a
// "latest" without a plan and for an ambiguous prefix; not_found when
// nothing matches. Each is one line naming the spec or the plan.
expected<checkpoint_row> find_checkpoint(const std::vector<checkpoint_row>& rows, const checkpoint_query& query);

// The same on a catalog: reads only the rows the query can match.
expected<checkpoint_row> find_checkpoint(catalog& db, const checkpoint_query& query);

}  // namespace cairn::catalog
