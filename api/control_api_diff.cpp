// GET /v1/checkpoints/ID/diff?against=OLDER: what changed from OLDER (default:
// ID's parent, the previous checkpoint of its plan on its target) to ID.
#include <algorithm>

#include <nlohmann/json.hpp>

#include "api/control_api.hpp"

namespace cairn::api {

namespace {

// At most this many changes are listed (the summary counts them all).
constexpr size_t max_changes = 10000;

}  // namespace

http_response control_api::diff(const http_request& req, const std::string& id) {
  auto q = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  size_t limit = 1000;
  if (auto l = q("limit"); !l.empty()) {
    if (l.size() > 6 || !std::all_of(l.begin(), l.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return error_response(400, "invalid_input", "limit must be a number up to " + std::to_string(max_changes));
    limit = std::min<size_t>(std::stoul(l), max_changes);
  }
  std::lock_guard lock(app_mutex_);
  auto newer = app_.resolve(id, q("plan"), q("target"));
  if (!newer) return error_reply(newer.error());
  std::string against = q("against").empty() ? newer->row.parent : q("against");
  if (against.empty())
    return error_response(404, "not_found", "checkpoint " + newer->row.id.substr(0, 8) + " has no previous checkpoint");
  auto older = app_.resolve(against, newer->row.plan, newer->row.target);
  if (!older) return error_reply(older.error());
  nlohmann::json changes = nlohmann::json::array();
  size_t seen = 0;
  auto summary = app_.diff(*older, *newer, [&](const repo::tree_change& c) {
    if (seen++ >= limit) return;
    changes.push_back({{"kind", std::string(repo::to_string(c.kind))},
                       {"path", c.path},
                       {"type", std::string(fs::to_string(c.type))},
                       {"old_size", c.old_size},
                       {"new_size", c.new_size}});
  });
  if (!summary) return error_reply(summary.error());
  nlohmann::json j = {{"checkpoint", newer->row.id},
                      {"against", older->row.id},
                      {"target", newer->row.target},
                      {"changes", changes},
                      {"truncated", seen > limit},
                      {"summary",
                       {{"added", summary->added},
                        {"removed", summary->removed},
                        {"content", summary->content},
                        {"metadata", summary->metadata},
                        {"bytes_added", summary->bytes_added},
                        {"bytes_removed", summary->bytes_removed}}}};
  http_response r;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return r;
}

}  // namespace cairn::api
