// The suite's results as JSON: one model for the control API, the web page
// and every program that reads them (docs/API.md describes each object).
// Times are nanoseconds since the epoch (UTC); sizes are bytes.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "service/application.hpp"
#include "service/restore_jobs.hpp"

namespace cairn::service {

using json = nlohmann::json;

json to_json(const progress_snapshot& p);
json to_json(const catalog::run_row& r);
json to_json(const catalog::checkpoint_row& r);
json to_json(const repo::node& n);
json to_json(const plan_report& r);
json to_json(const restore_report& r);
json to_json(const restore_job& j);
json to_json(const repo::tree_change& c);
json to_json(const repo::diff_summary& s);
// A plan with its schedule, keep policy, last run and targets; with its
// progress when `live` runs it.
json to_json(const plan_status& p, const std::optional<live_run>& live);
json to_json(const live_run& l);
json to_json(const found_line& f);
json to_json(const find_summary& s);
json to_json(const history_report& h);

// The run in progress, read back from its JSON (what a client of the API
// gets); nullopt when `j` says nothing runs or is not such an object.
std::optional<live_run> live_run_from_json(const json& j);

// Compact, one line; invalid UTF-8 in names is replaced, never an exception.
std::string dump(const json& j);

}  // namespace cairn::service
