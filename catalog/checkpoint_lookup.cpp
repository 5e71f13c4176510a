#include "catalog/checkpoint_lookup.hpp"

namespace cairn::catalog {

namespace {

bool hex_prefix(const std::string& spec) {
  return spec.size() >= 4 && spec.size() <= 64 && spec.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

expected<checkpoint_row> find_checkpoint(const std::vector<checkpoint_row>& rows, const checkpoint_query& q) {
  auto wanted = [&](const checkpoint_row& r) { return q.target.empty() || r.target == q.target; };
  if (q.spec == "latest") {
    if (q.plan.empty()) return fail(errc::invalid_input, "\"latest\" needs a plan");
    for (const auto& r : rows)
      if (r.plan == q.plan && wanted(r)) return r;  // rows are newest first
    return fail(errc::not_found, "plan \"" + q.plan + "\" has no checkpoint yet");
  }
  if (!hex_prefix(q.spec))
    return fail(errc::invalid_input,
                "\"" + q.spec + "\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest");
  const checkpoint_row* found = nullptr;
  size_t matches = 0;
  for (const auto& r : rows)
    if (wanted(r) && r.id.compare(0, q.spec.size(), q.spec) == 0) {
      if (!found) found = &r;
      ++matches;
    }
  if (!found) return fail(errc::not_found, "no checkpoint " + q.spec);
  if (matches > 1)
    return fail(errc::invalid_input, "checkpoint prefix " + q.spec + " is ambiguous (" + std::to_string(matches) +
                                       " match); give more digits");
  return *found;
}

expected<checkpoint_row> find_checkpoint(catalog& db, const checkpoint_query& q) {
  CAIRN_ASSIGN(auto rows, db.checkpoints(q.spec == "latest" ? q.plan : "", q.target));
  return find_checkpoint(rows, q);
}

}  // namespace cairn::catalog
