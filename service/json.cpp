#include "service/json.hpp"

namespace cairn::service {

namespace {

json parsed(const std::string& text) {
  json j = json::parse(text.empty() ? "{}" : text, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

json nullable(int64_t ns, bool known) { return known ? json(ns) : json(nullptr); }

}  // namespace

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json to_json(const progress_snapshot& p) {
  // Bytes still to upload: what the dedup check found new, less what went out.
  uint64_t to_upload = p.done.bytes_new > p.done.bytes_uploaded ? p.done.bytes_new - p.done.bytes_uploaded : 0;
  return {{"phase", p.phase},
          {"current", p.current},
          {"files_done", p.done.files},
          {"files_total", p.total.files},
          {"bytes_done", p.done.bytes},
          {"bytes_total", p.total.bytes},
          {"bytes_new", p.done.bytes_new},
          {"bytes_uploaded", p.done.bytes_uploaded},
          {"bytes_to_upload", to_upload},
          {"errors", p.done.errors},
          {"elapsed_seconds", p.elapsed_seconds},
          {"rate_bytes_per_second", p.rate},
          {"eta_seconds", p.eta_seconds < 0 ? json(nullptr) : json(p.eta_seconds)},
          {"uploaded_by_target", p.uploaded_by_target}};
}

json to_json(const catalog::run_row& r) {
  return {{"id", r.id},         {"plan", r.plan},   {"started_ns", r.started_ns}, {"finished_ns", r.finished_ns},
          {"status", to_string(r.status)}, {"error", r.error}, {"stats", parsed(r.stats_json)}};
}

json to_json(const catalog::checkpoint_row& r) {
  json j = {{"id", r.id},       {"plan", r.plan},         {"target", r.target}, {"time_ns", r.time_ns},
            {"host", r.host},   {"files", r.files},       {"bytes", r.bytes},   {"parent", r.parent},
            {"vanished", r.vanished}, {"stats", parsed(r.stats_json)}};
  return j;
}

json to_json(const repo::node& n) {
  const auto& m = n.meta;
  json j = {{"name", n.name},   {"type", std::string(fs::to_string(m.type))},
            {"size", m.size},   {"mode", m.mode},
            {"uid", m.uid},     {"gid", m.gid},
            {"user", m.user},   {"group", m.group},
            {"mtime_ns", m.mtime_ns}};
  if (m.type == fs::file_type::symlink) j["link_target"] = m.link_target;
  return j;
}

json to_json(const plan_report& r) {
  json targets = json::array();
  for (const auto& t : r.targets)
    targets.push_back({{"target", t.target}, {"committed", t.committed}, {"checkpoint", t.checkpoint_id},
                       {"error", t.error}, {"bytes_uploaded", t.stats.bytes_uploaded}});
  return {{"plan", r.plan}, {"status", to_string(status_of(r))}, {"started_ns", r.time_ns}, {"error", r.error},
          {"targets", targets}, {"failed_sources", r.failed_sources}};
}

json to_json(const restore_report& r) {
  json steps = json::array();
  for (const auto& s : r.post_restore)
    steps.push_back({{"source", s.source}, {"command", s.command}, {"ran", s.ran}, {"exit_code", s.exit_code}});
  return {{"files", r.files},
          {"files_failed", r.files_failed},
          {"dirs", r.dirs},
          {"links", r.links},
          {"bytes", r.bytes},
          {"bytes_fetched", r.bytes_fetched},
          {"bytes_reused", r.bytes_reused},
          {"damaged", r.damaged},
          {"warnings", r.warnings},
          {"post_restore", steps}};
}

json to_json(const restore_job& j) {
  return {{"id", std::to_string(j.id)},
          {"state", std::string(to_string(j.state))},
          {"checkpoint", j.checkpoint},
          {"plan", j.plan},
          {"target", j.target},
          {"paths", j.paths},
          {"to", j.to},
          {"started_ns", j.started_ns},
          {"finished_ns", nullable(j.finished_ns, j.finished_ns != 0)},
          {"progress", to_json(j.progress)},
          {"report", j.report ? to_json(*j.report) : json(nullptr)},
          {"error", j.error}};
}

json to_json(const repo::tree_change& c) {
  return {{"change", std::string(repo::to_string(c.kind))},
          {"path", c.path},
          {"type", std::string(fs::to_string(c.type))},
          {"old_size", c.old_size},
          {"new_size", c.new_size}};
}

json to_json(const repo::diff_summary& s) {
  return {{"added", s.added},     {"removed", s.removed},         {"changed", s.content},
          {"metadata", s.metadata}, {"bytes_added", s.bytes_added}, {"bytes_removed", s.bytes_removed}};
}

json to_json(const plan_status& p, const std::optional<live_run>& live) {
  json targets = json::array();
  for (const auto& t : p.targets)
    targets.push_back({{"target", t.target}, {"checkpoints", t.checkpoints},
                       {"newest_ns", nullable(t.newest_ns, t.checkpoints != 0)}, {"newest_bytes", t.bytes}});
  bool running = live && live->plan == p.plan;
  json j = {{"name", p.plan},
            {"schedule", p.schedule},
            {"next_run_ns", nullable(p.next_due_ns, !p.schedule.empty())},
            {"keep", p.keep},
            {"last_run", p.last_run ? to_json(*p.last_run) : json(nullptr)},
            {"failing", p.failing()},
            {"last_good_ns", p.last_good_ns ? json(*p.last_good_ns) : json(nullptr)},
            {"running", running},
            {"checkpoints_listed", !p.checkpoints_hidden},
            {"targets", targets}};
  if (running) {
    j["progress"] = to_json(live->progress);
    j["paused"] = live->paused;
  }
  return j;
}

json to_json(const live_run& l) {
  return {{"running", true}, {"plan", l.plan}, {"paused", l.paused}, {"progress", to_json(l.progress)}};
}

json to_json(const found_line& f) {
  repo::node n{f.path, f.meta, {}, {}};
  json j = to_json(n);
  j.erase("name");
  j["path"] = f.path;
  j["checkpoint"] = f.checkpoint.id;
  j["plan"] = f.checkpoint.plan;
  j["time_ns"] = f.checkpoint.time_ns;
  return j;
}

json to_json(const find_summary& s) {
  return {{"target", s.target},   {"checkpoints", s.checkpoints}, {"checkpoints_matching", s.checkpoints_matching},
          {"matches", s.matches}, {"warnings", s.warnings}};
}

json to_json(const history_report& h) {
  json versions = json::array();
  for (const auto& v : h.versions) {
    json j = {{"present", v.present},
              {"first", {{"id", v.first.id}, {"time_ns", v.first.time_ns}}},
              {"last", {{"id", v.last.id}, {"time_ns", v.last.time_ns}}},
              {"checkpoints", v.checkpoints}};
    if (v.present) {
      j["entry"] = to_json(v.entry);
      j["content"] = v.content;
    }
    versions.push_back(std::move(j));
  }
  return {{"target", h.target}, {"path", h.path}, {"versions", versions}, {"warnings", h.warnings}};
}

std::optional<live_run> live_run_from_json(const json& j) try {
  if (!j.is_object() || !j.value("running", false)) return std::nullopt;
  live_run out;
  out.plan = j.value("plan", "");
  out.paused = j.value("paused", "");
  auto p = j.value("progress", json::object());
  if (!p.is_object()) p = json::object();
  auto& s = out.progress;
  s.phase = p.value("phase", "");
  s.current = p.value("current", "");
  s.done.files = p.value("files_done", uint64_t{0});
  s.total.files = p.value("files_total", uint64_t{0});
  s.done.bytes = p.value("bytes_done", uint64_t{0});
  s.total.bytes = p.value("bytes_total", uint64_t{0});
  s.done.bytes_new = p.value("bytes_new", uint64_t{0});
  s.done.bytes_uploaded = p.value("bytes_uploaded", uint64_t{0});
  s.done.errors = p.value("errors", uint64_t{0});
  s.elapsed_seconds = p.value("elapsed_seconds", 0.0);
  s.rate = p.value("rate_bytes_per_second", 0.0);
  auto eta = p.find("eta_seconds");
  s.eta_seconds = eta != p.end() && eta->is_number() ? eta->get<double>() : -1;
  auto by_target = p.value("uploaded_by_target", json::object());
  if (by_target.is_object())
    for (const auto& [name, sent] : by_target.items())
      if (sent.is_number_unsigned() && s.uploaded_by_target.size() < 1000) s.uploaded_by_target[name] = sent.get<uint64_t>();
  return out;
} catch (const json::exception&) {  // a field of another type
  return std::nullopt;
}

}  // namespace cairn::service
