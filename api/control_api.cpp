#include "api/control_api.hpp"

#include <algorithm>
#include <chrono>

#include <unistd.h>

#include <nlohmann/json.hpp>


namespace cairn::api {

namespace {

using json = nlohmann::json;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"; }

http_response ok(const json& j, int status = 200) {
  http_response r;
  r.status = status;
  r.body = dump(j);
  return r;
}

http_response failed(const error& e) {
  int status = 500;
  switch (e.code()) {
    case errc::not_found: status = 404; break;
    case errc::invalid_input: status = 400; break;
    case errc::unsupported:
    case errc::locked:
    case errc::exists: status = 409; break;
    case errc::cancelled: status = 503; break;
    default: break;
  }
  std::string code(to_string(e.code()));  // "not found" -> "not_found": a stable identifier
  std::replace(code.begin(), code.end(), ' ', '_');
  return error_response(status, code, e.message());
}

// "/v1/plans/home/run" -> {"v1", "plans", "home", "run"}
std::vector<std::string> parts_of(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string query(const http_request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? std::string() : it->second;
}

json progress_json(const progress_snapshot& p) {
  return {{"phase", p.phase},
          {"current", p.current},
          {"files_done", p.done.files},
          {"files_total", p.total.files},
          {"bytes_done", p.done.bytes},
          {"bytes_total", p.total.bytes},
          {"bytes_new", p.done.bytes_new},
          {"bytes_uploaded", p.done.bytes_uploaded},
          {"errors", p.done.errors},
          {"elapsed_seconds", p.elapsed_seconds},
          {"rate_bytes_per_second", p.rate},
          {"eta_seconds", p.eta_seconds < 0 ? json(nullptr) : json(p.eta_seconds)}};
}

json run_json(const catalog::run_row& r) {
  json stats = json::parse(r.stats_json.empty() ? "{}" : r.stats_json, nullptr, false);
  return {{"id", r.id},           {"plan", r.plan},   {"started_ns", r.started_ns}, {"finished_ns", r.finished_ns},
          {"status", r.status},   {"error", r.error}, {"stats", stats.is_discarded() ? json::object() : stats}};
}

json plan_json(const service::plan_status& p, const std::optional<service::live_run>& live) {
  json targets = json::array();
  for (const auto& t : p.targets)
    targets.push_back({{"target", t.target}, {"checkpoints", t.checkpoints}, {"newest_ns", t.newest_ns},
                       {"newest_bytes", t.bytes}});
  json j = {{"name", p.plan},
            {"schedule", p.schedule},
            {"next_run_ns", p.schedule.empty() ? json(nullptr) : json(p.next_due_ns)},
            {"keep", p.keep},
            {"last_run", p.last_run ? run_json(*p.last_run) : json(nullptr)},
            {"last_good_ns", p.last_good_ns ? json(*p.last_good_ns) : json(nullptr)},
            {"running", live && live->plan == p.plan},
            {"targets", targets}};
  if (live && live->plan == p.plan) {
    j["progress"] = progress_json(live->progress);
    j["paused"] = live->paused;
  }
  return j;
}

json report_json(const plan_report& r) {
  json targets = json::array();
  for (const auto& t : r.targets)
    targets.push_back({{"target", t.target}, {"committed", t.committed}, {"checkpoint", t.checkpoint_id},
                       {"error", t.error}, {"bytes_uploaded", t.stats.bytes_uploaded}});
  return {{"plan", r.plan}, {"status", service::run_status(r)}, {"started_ns", r.time_ns}, {"error", r.error},
          {"targets", targets}};
}

std::string label(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

http_response error_reply(const error& e) { return failed(e); }

http_response control_api::handle(const http_request& req) {
  auto parts = parts_of(req.path);
  bool get = req.method == "GET", post = req.method == "POST";
  if (parts.size() == 1 && parts[0] == "metrics" && get) return metrics();
  if (parts.empty() || parts[0] != "v1")
    return error_response(404, "not_found", "no such endpoint: " + req.path + " (the API is under /v1/)");
  if (parts.size() >= 2 && parts[1] == "plans") {
    if (parts.size() == 2 && get) return plans(req, "");
    if (parts.size() == 3 && get) return plans(req, parts[2]);
    if (parts.size() == 4 && post && parts[3] == "run") {
      auto r = app_.run_now(parts[2]);
      if (!r) return failed(r.error());
      return ok({{"plan", parts[2]}, {"state", *r}}, 202);
    }
    if (parts.size() == 4 && post && (parts[3] == "pause" || parts[3] == "resume")) {
      auto r = parts[3] == "pause" ? app_.pause(parts[2]) : app_.resume(parts[2]);
      if (!r) return failed(r.error());
      return ok({{"plan", parts[2]}, {"paused", !app_.paused_why().empty()}, {"why", app_.paused_why()}});
    }
    if (parts.size() == 4 && post && parts[3] == "cancel") {
      auto r = app_.cancel(parts[2]);
      if (!r) return failed(r.error());
      return ok({{"plan", parts[2]}, {"cancelled", *r}});
    }
  }
  if (parts.size() == 2 && (parts[1] == "pause" || parts[1] == "resume") && post) {
    auto r = parts[1] == "pause" ? app_.pause("") : app_.resume("");
    if (!r) return failed(r.error());
    return ok({{"paused", !app_.paused_why().empty()}, {"why", app_.paused_why()}});
  }
  if (parts.size() == 2 && parts[1] == "daemon" && get)
    return ok({{"pid", static_cast<int64_t>(::getpid())}, {"paused", !app_.paused_why().empty()}, {"why", app_.paused_why()}});
  if (parts.size() == 2 && parts[1] == "runs" && get) return runs(req);
  if (parts.size() == 3 && parts[1] == "runs" && parts[2] == "current" && get) return current();
  if (parts.size() == 2 && parts[1] == "checkpoints" && get) return checkpoints(req);
  if (parts.size() == 4 && parts[1] == "checkpoints" && parts[3] == "tree" && get) return tree(req, parts[2]);
  if (parts.size() == 4 && parts[1] == "checkpoints" && parts[3] == "diff" && get) return diff(req, parts[2]);
  if (parts.size() == 2 && parts[1] == "events" && get) return events();
  if (!get && !post) return error_response(405, "method_not_allowed", req.method + " is not used by this API");
  return error_response(404, "not_found", "no such endpoint: " + req.method + " " + req.path);
}

http_response control_api::plans(const http_request&, const std::string& name) {
  auto live = app_.live();
  expected<service::suite_status> status = fail(errc::io, "");
  {
    std::lock_guard lock(app_mutex_);
    status = app_.summary();
  }
  if (!status) return failed(status.error());
  json list = json::array();
  for (const auto& p : status->plans) {
    if (!name.empty() && p.plan != name) continue;
    if (!name.empty()) return ok(plan_json(p, live));
    list.push_back(plan_json(p, live));
  }
  if (!name.empty()) return error_response(404, "not_found", "no plan named \"" + name + "\"");
  return ok({{"plans", list}});
}

http_response control_api::runs(const http_request& req) {
  size_t limit = 50;
  if (auto l = query(req, "limit"); !l.empty()) {
    try {
      limit = std::min<size_t>(std::stoul(l), 1000);
    } catch (...) {
      return error_response(400, "invalid_input", "limit must be a number");
    }
  }
  std::lock_guard lock(app_mutex_);
  auto rows = app_.runs(query(req, "plan"), limit);
  if (!rows) return failed(rows.error());
  json list = json::array();
  for (const auto& r : *rows) list.push_back(run_json(r));
  return ok({{"runs", list}});
}

http_response control_api::current() {
  auto live = app_.live();
  if (!live) return ok({{"running", false}});
  return ok({{"running", true}, {"plan", live->plan}, {"paused", live->paused}, {"progress", progress_json(live->progress)}});
}

http_response control_api::checkpoints(const http_request& req) {
  std::lock_guard lock(app_mutex_);
  auto rows = app_.checkpoints(query(req, "plan"), query(req, "target"));
  if (!rows) return failed(rows.error());
  json list = json::array();
  for (const auto& r : *rows)
    list.push_back({{"id", r.id}, {"plan", r.plan}, {"target", r.target}, {"time_ns", r.time_ns}, {"host", r.host},
                    {"files", r.files}, {"bytes", r.bytes}});
  return ok({{"checkpoints", list}});
}

http_response control_api::tree(const http_request& req, const std::string& id) {
  std::lock_guard lock(app_mutex_);
  auto cp = app_.resolve(id, query(req, "plan"), query(req, "target"));
  if (!cp) return failed(cp.error());
  auto path = query(req, "path");
  auto nodes = app_.list(*cp, path);
  if (!nodes) return failed(nodes.error());
  json list = json::array();
  for (const auto& n : *nodes)
    list.push_back({{"name", n.name},
                    {"type", std::string(fs::to_string(n.meta.type))},
                    {"size", n.meta.size},
                    {"mode", n.meta.mode},
                    {"user", n.meta.user},
                    {"group", n.meta.group},
                    {"mtime_ns", n.meta.mtime_ns},
                    {"link_target", n.meta.link_target}});
  return ok({{"checkpoint", cp->row.id}, {"target", cp->row.target}, {"path", path}, {"entries", list}});
}

void control_api::publish_run(const plan_report& report) {
  std::lock_guard lock(events_mutex_);
  events_.emplace_back(next_event_++, dump(report_json(report)));
  while (events_.size() > 100) events_.pop_front();
  events_cv_.notify_all();
}

void control_api::close_streams() {
  std::lock_guard lock(events_mutex_);
  closed_ = true;
  events_cv_.notify_all();
}

// Server-Sent Events: `progress` about once a second while a plan runs, and
// `run` when one ends.
http_response control_api::events() {
  http_response r;
  r.content_type = "text/event-stream";
  uint64_t seen;
  {
    std::lock_guard lock(events_mutex_);
    seen = next_event_ - 1;
  }
  auto last = std::make_shared<uint64_t>(seen);
  r.stream = [this, last](std::string& out) {
    {
      std::unique_lock lock(events_mutex_);
      events_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return closed_ || next_event_ - 1 > *last; });
      if (closed_) return false;
      for (const auto& [n, text] : events_)
        if (n > *last) {
          out += "event: run\ndata: " + text + "\n";
          *last = n;
        }
    }
    if (auto live = app_.live())
      out += "event: progress\ndata: " +
             dump({{"plan", live->plan}, {"paused", live->paused}, {"progress", progress_json(live->progress)}}) + "\n";
    else
      out += ": idle\n\n";  // a comment keeps the connection alive
    return true;
  };
  return r;
}

http_response control_api::metrics() {
  expected<service::suite_status> status = fail(errc::io, "");
  {
    std::lock_guard lock(app_mutex_);
    status = app_.summary();
  }
  if (!status) return failed(status.error());
  auto live = app_.live();
  std::string m;
  auto family = [&](const char* name, const char* type, const char* help) {
    m += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  auto seconds = [](int64_t ns) { return std::to_string(ns / 1'000'000'000) + "." + std::to_string(ns / 1'000'000 % 1000 + 1000).substr(1); };
  family("cairn_up", "gauge", "1 while the daemon serves this API.");
  m += "cairn_up 1\n";
  family("cairn_plan_running", "gauge", "1 while the plan runs.");
  for (const auto& p : status->plans)
    m += "cairn_plan_running{plan=\"" + label(p.plan) + "\"} " + (live && live->plan == p.plan ? "1" : "0") + "\n";
  family("cairn_plan_last_run_timestamp_seconds", "gauge", "Start of the plan's last run.");
  for (const auto& p : status->plans)
    if (p.last_run) m += "cairn_plan_last_run_timestamp_seconds{plan=\"" + label(p.plan) + "\"} " + seconds(p.last_run->started_ns) + "\n";
  family("cairn_plan_last_run_success", "gauge", "1 when the plan's last run committed on every target.");
  for (const auto& p : status->plans)
    if (p.last_run)
      m += "cairn_plan_last_run_success{plan=\"" + label(p.plan) + "\"} " +
           (p.last_run->status == "ok" || p.last_run->status == "skipped" ? "1" : "0") + "\n";
  family("cairn_plan_last_success_timestamp_seconds", "gauge", "Start of the plan's last good run.");
  for (const auto& p : status->plans)
    if (p.last_good_ns) m += "cairn_plan_last_success_timestamp_seconds{plan=\"" + label(p.plan) + "\"} " + seconds(*p.last_good_ns) + "\n";
  family("cairn_plan_next_run_timestamp_seconds", "gauge", "When the plan runs next (scheduled plans).");
  for (const auto& p : status->plans)
    if (!p.schedule.empty()) m += "cairn_plan_next_run_timestamp_seconds{plan=\"" + label(p.plan) + "\"} " + seconds(p.next_due_ns) + "\n";
  family("cairn_checkpoints", "gauge", "Checkpoints of the plan on the target.");
  for (const auto& p : status->plans)
    for (const auto& t : p.targets)
      m += "cairn_checkpoints{plan=\"" + label(p.plan) + "\",target=\"" + label(t.target) + "\"} " + std::to_string(t.checkpoints) + "\n";
  family("cairn_newest_checkpoint_timestamp_seconds", "gauge", "Time of the newest checkpoint of the plan on the target.");
  for (const auto& p : status->plans)
    for (const auto& t : p.targets)
      if (t.checkpoints)
        m += "cairn_newest_checkpoint_timestamp_seconds{plan=\"" + label(p.plan) + "\",target=\"" + label(t.target) + "\"} " + seconds(t.newest_ns) + "\n";
  if (live) {
    std::string l = "{plan=\"" + label(live->plan) + "\"} ";
    const auto& p = live->progress;
    family("cairn_run_bytes_done", "gauge", "Bytes read so far by the running plan.");
    m += "cairn_run_bytes_done" + l + std::to_string(p.done.bytes) + "\n";
    family("cairn_run_bytes_total", "gauge", "Bytes the running plan reads in all (0 until counted).");
    m += "cairn_run_bytes_total" + l + std::to_string(p.total.bytes) + "\n";
    family("cairn_run_bytes_uploaded", "gauge", "Bytes the running plan sent to its targets so far.");
    m += "cairn_run_bytes_uploaded" + l + std::to_string(p.done.bytes_uploaded) + "\n";
    family("cairn_run_files_done", "gauge", "Files the running plan has read.");
    m += "cairn_run_files_done" + l + std::to_string(p.done.files) + "\n";
  }
  http_response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(m);
  return r;
}

}  // namespace cairn::api
