#include "api/control_api.hpp"

#include <algorithm>
#include <chrono>

#include <unistd.h>

#include "service/json.hpp"
#include "service/resource_registry.hpp"


namespace cairn::api {

namespace {

using service::json;
using service::to_json;

std::string dump(const json& j) { return service::dump(j) + "\n"; }

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

control_api::control_api(service::application& app)
  : app_(app), restores_(app, [this](const service::restore_job& job) {
      // Progress goes out with the stream's ticks; starts and ends as events.
      if (job.state != service::job_state::running) publish("restore", dump(to_json(job)));
    }) {}

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
  if (parts.size() == 2 && parts[1] == "find" && get) return find(req);
  if (parts.size() == 2 && parts[1] == "history" && get) return history(req);
  if (parts.size() == 2 && parts[1] == "restores" && post) return start_restore(req);
  if (parts.size() == 2 && parts[1] == "restores" && get) return restores("");
  if (parts.size() == 3 && parts[1] == "restores" && get) return restores(parts[2]);
  if (parts.size() == 4 && parts[1] == "restores" && parts[3] == "cancel" && post) return cancel_restore(req, parts[2]);
  if (parts.size() == 2 && parts[1] == "events" && get) return events();
  if (parts.size() == 2 && parts[1] == "resources" && get) return resources();
  if (parts.size() == 2 && parts[1] == "resources" && post) return register_resource(req);
  if (parts.size() == 3 && parts[1] == "resources" && req.method == "DELETE") return unregister_resource(req, parts[2]);
  if (!get && !post && req.method != "DELETE")
    return error_response(405, "method_not_allowed", req.method + " is not used by this API");
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
    if (!name.empty()) return ok(to_json(p, live));
    list.push_back(to_json(p, live));
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
  for (const auto& r : *rows) list.push_back(to_json(r));
  return ok({{"runs", list}});
}

http_response control_api::current() {
  auto live = app_.live();
  if (!live) return ok({{"running", false}});
  return ok(to_json(*live));
}

http_response control_api::checkpoints(const http_request& req) {
  std::lock_guard lock(app_mutex_);
  auto rows = app_.checkpoints(query(req, "plan"), query(req, "target"));
  if (!rows) return failed(rows.error());
  json list = json::array();
  for (const auto& r : *rows) list.push_back(to_json(r));
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
  for (const auto& n : *nodes) list.push_back(to_json(n));
  return ok({{"checkpoint", cp->row.id}, {"target", cp->row.target}, {"path", path}, {"entries", list}});
}

// Changes from `against` (default: the checkpoint's parent) to `id`, in path
// order, at most `limit` of them (default 1,000, at most 100,000).
http_response control_api::diff(const http_request& req, const std::string& id) {
  size_t limit = 1000;
  if (auto l = query(req, "limit"); !l.empty()) {
    if (l.size() > 6 || l.find_first_not_of("0123456789") != std::string::npos)
      return error_response(400, "invalid_input", "limit must be a number up to 100000");
    limit = std::min<size_t>(std::stoul(l), 100000);
  }
  std::lock_guard lock(app_mutex_);
  auto newer = app_.resolve(id, query(req, "plan"), query(req, "target"));
  if (!newer) return failed(newer.error());
  auto against = query(req, "against");
  if (against.empty()) against = newer->row.parent;
  if (against.empty())
    return error_response(404, "not_found", "checkpoint " + newer->row.id.substr(0, 8) +
                                              " has no parent: name one with ?against=ID");
  auto older = app_.resolve(against, "", newer->row.target);
  if (!older) return failed(older.error());
  json changes = json::array();
  bool truncated = false;
  auto summary = app_.diff(*older, *newer, [&](const repo::tree_change& c) {
    if (changes.size() < limit) changes.push_back(to_json(c));
    else truncated = true;
  });
  if (!summary) return failed(summary.error());
  return ok({{"checkpoint", newer->row.id}, {"against", older->row.id}, {"target", newer->row.target},
             {"summary", to_json(*summary)}, {"changes", changes}, {"truncated", truncated}});
}

// Which checkpoints of one target hold paths matching `pattern` (cairn
// find): at most `limit` matches (default 1,000, at most 100,000).
http_response control_api::find(const http_request& req) {
  auto pattern = query(req, "pattern");
  if (pattern.empty()) return error_response(400, "invalid_input", "find needs ?pattern= (a glob on SOURCE/dir/name)");
  size_t limit = 1000;
  if (auto l = query(req, "limit"); !l.empty()) {
    if (l.size() > 6 || l.find_first_not_of("0123456789") != std::string::npos)
      return error_response(400, "invalid_input", "limit must be a number up to 100000");
    limit = std::min<size_t>(std::stoul(l), 100000);
  }
  json matches = json::array();
  bool truncated = false;
  std::lock_guard lock(app_mutex_);
  auto summary = app_.find(pattern, query(req, "plan"), query(req, "target"), [&](const service::found_line& f) {
    if (matches.size() < limit) matches.push_back(to_json(f));
    else truncated = true;
  });
  if (!summary) return failed(summary.error());
  auto j = to_json(*summary);
  j["found"] = std::move(matches);
  j["truncated"] = truncated;
  return ok(j);
}

// Every distinct version of one path across the checkpoints (cairn history).
http_response control_api::history(const http_request& req) {
  auto path = query(req, "path");
  if (path.empty()) return error_response(400, "invalid_input", "history needs ?path= (SOURCE/dir/name)");
  std::lock_guard lock(app_mutex_);
  auto h = app_.history(path, query(req, "plan"), query(req, "target"));
  if (!h) return failed(h.error());
  return ok(to_json(*h));
}

// A restore as a background job. The caller's identity decides where it may
// write: root and the daemon's own user anywhere (as the CLI would), anyone
// else only into an existing directory of theirs, and what is restored
// becomes theirs (service::restore_options::as_owner).
http_response control_api::start_restore(const http_request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error_response(400, "invalid_input", "the body must be a JSON object (see docs/API.md)");
  service::restore_job_request r;
  try {
    r.checkpoint = body.value("checkpoint", "latest");
    r.plan = body.value("plan", "");
    r.target = body.value("target", "");
    r.to = body.value("to", "");
    r.paths = body.value("paths", std::vector<std::string>{});
  } catch (const json::exception&) {
    return error_response(400, "invalid_input",
                          "checkpoint, plan, target and to must be strings, paths a list of strings");
  }
  if (r.to.empty()) return error_response(400, "invalid_input", "the body needs \"to\": the destination directory");
  if (r.paths.size() > 10000) return error_response(400, "invalid_input", "at most 10000 paths in one restore");
  if (req.caller.uid != 0 && req.caller.uid != ::geteuid())
    r.as_owner = fs::owner_override{static_cast<uint32_t>(req.caller.uid), static_cast<uint32_t>(req.caller.gid)};
  auto job = restores_.start(r);
  if (!job) return failed(job.error());
  publish("restore", dump(to_json(*job)));
  return ok(to_json(*job), 202);
}

http_response control_api::restores(const std::string& id) {
  if (id.empty()) {
    json list = json::array();
    for (const auto& j : restores_.list()) list.push_back(to_json(j));
    return ok({{"restores", list}});
  }
  if (id.size() > 19 || id.find_first_not_of("0123456789") != std::string::npos)
    return error_response(404, "not_found", "no restore " + id);
  auto job = restores_.get(std::stoull(id));
  if (!job) return error_response(404, "not_found", "no restore " + id);
  return ok(to_json(*job));
}

// Root and the daemon's user may cancel any restore; others only their own.
http_response control_api::cancel_restore(const http_request& req, const std::string& id) {
  if (id.size() > 19 || id.find_first_not_of("0123456789") != std::string::npos)
    return error_response(404, "not_found", "no restore " + id);
  auto job = restores_.get(std::stoull(id));
  if (!job) return error_response(404, "not_found", "no restore " + id);
  bool privileged = req.caller.uid == 0 || req.caller.uid == ::geteuid();
  if (!privileged && job->owner != static_cast<uint32_t>(req.caller.uid))
    return error_response(403, "forbidden", "restore " + id + " was started by another user");
  auto r = restores_.cancel(job->id);
  if (!r) return failed(r.error());
  return ok(to_json(*r), r->state == service::job_state::running ? 202 : 200);
}

// The resources the daemon runs now (its configuration as loaded): what they
// are and who runs them, never the commands' text.
http_response control_api::resources() {
  json list = json::array();
  for (const auto& r : app_.config().resources) {
    json j{{"name", r.name},
           {"version", r.version},
           {"user", r.user.empty() ? json(nullptr) : json(r.user)},
           {"commands", {{"backup", !r.backup.empty()}, {"recover", !r.recover.empty()},
                         {"post_recovery", !r.post_recovery.empty()}}},
           {"sensitive", r.sensitive},
           {"timeout", r.command_timeout()},
           {"file", r.file.string()}};
    j["registered_by"] = r.registered_by ? json(*r.registered_by) : json(nullptr);
    list.push_back(std::move(j));
  }
  return ok({{"resources", list}});
}

namespace {

http_response refused_or_failed(const error& e) {
  if (e.code() == errc::auth) return error_response(403, "forbidden", e.message());
  return failed(e);
}

service::resource_caller caller_of(const http_request& req) {
  return {req.caller.uid, req.caller.uid == 0 || req.caller.uid == ::geteuid()};
}

}  // namespace

// A descriptor as JSON, checked by the parser of resources.d/NAME.yaml and
// written there; the daemon then reloads its configuration.
http_response control_api::register_resource(const http_request& req) {
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error_response(400, "invalid_input", "the body must be a JSON object describing a resource (see docs/API.md)");
  service::resource_registration q;
  for (const auto& [key, value] : body.items()) {
    std::string* text = key == "name" ? &q.name : key == "version" ? &q.version : key == "backup" ? &q.backup
                        : key == "recover" ? &q.recover : key == "post_recovery" ? &q.post_recovery
                        : key == "user" ? &q.user : nullptr;
    if (text) {
      if (!value.is_string()) return error_response(400, "invalid_input", "\"" + key + "\" must be a string");
      *text = value.get<std::string>();
    } else if (key == "sensitive") {
      if (!value.is_array()) return error_response(400, "invalid_input", "\"sensitive\" must be a list of paths");
      for (const auto& p : value) {
        if (!p.is_string()) return error_response(400, "invalid_input", "\"sensitive\" must be a list of paths");
        q.sensitive.push_back(p.get<std::string>());
      }
    } else if (key == "timeout") {
      if (!value.is_number_integer()) return error_response(400, "invalid_input", "\"timeout\" must be a whole number of seconds");
      q.timeout = value.is_number_unsigned() && value.get<uint64_t>() > INT64_MAX ? INT64_MAX : value.get<int64_t>();
    } else {
      return error_response(400, "invalid_input", "unknown key \"" + key + "\" (expected: name, version, backup, recover, "
                                                  "post_recovery, sensitive, timeout, user)");
    }
  }
  auto r = service::register_resource(app_.config().file, q, caller_of(req));
  if (!r) return refused_or_failed(r.error());
  app_.reload();
  return ok({{"name", r->name}, {"user", r->user.empty() ? json(nullptr) : json(r->user)}, {"file", r->file.string()},
             {"registered_by", *r->registered_by}, {"reload", true}},
            201);
}

http_response control_api::unregister_resource(const http_request& req, const std::string& name) {
  auto r = service::unregister_resource(app_.config().file, name, caller_of(req));
  if (!r) return refused_or_failed(r.error());
  app_.reload();
  return ok({{"name", name}, {"removed", true}, {"reload", true}});
}

void control_api::publish_run(const plan_report& report) { publish("run", dump(to_json(report))); }

void control_api::publish(const std::string& event, const std::string& data) {
  std::lock_guard lock(events_mutex_);
  events_.emplace_back(next_event_++, "event: " + event + "\ndata: " + data);
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
          out += text + "\n";
          *last = n;
        }
    }
    for (const auto& job : restores_.list())
      if (job.state == service::job_state::running) out += "event: restore\ndata: " + dump(to_json(job)) + "\n";
    if (auto live = app_.live())
      out += "event: progress\ndata: " + dump(to_json(*live)) + "\n";
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
           (catalog::succeeded(p.last_run->status) ? "1" : "0") + "\n";
  family("cairn_plan_last_success_timestamp_seconds", "gauge", "Start of the plan's last good run.");
  for (const auto& p : status->plans)
    if (p.last_good_ns) m += "cairn_plan_last_success_timestamp_seconds{plan=\"" + label(p.plan) + "\"} " + seconds(*p.last_good_ns) + "\n";
  family("cairn_plan_next_run_timestamp_seconds", "gauge", "When the plan runs next (scheduled plans).");
  for (const auto& p : status->plans)
    if (!p.schedule.empty()) m += "cairn_plan_next_run_timestamp_seconds{plan=\"" + label(p.plan) + "\"} " + seconds(p.next_due_ns) + "\n";
  family("cairn_checkpoints", "gauge", "Checkpoints of the plan on the target.");
  for (const auto& p : status->plans)
    for (const auto& t : p.targets)
      if (!p.checkpoints_hidden)  // a write-only machine keeps no checkpoint list
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
    family("cairn_run_target_bytes_uploaded", "gauge", "Bytes the running plan sent to each target so far.");
    for (const auto& [target, sent] : p.uploaded_by_target)
      m += "cairn_run_target_bytes_uploaded{plan=\"" + label(live->plan) + "\",target=\"" + label(target) + "\"} " +
           std::to_string(sent) + "\n";
  }
  http_response r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = std::move(m);
  return r;
}

}  // namespace cairn::api
