#include "repo/checkpoint.hpp"

#include "repo/json_field.hpp"

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "base/names.hpp"

namespace cairn::repo {

using json = nlohmann::json;

namespace {

json stats_to_json(const checkpoint_stats& s) {
  return {{"files", s.files},
          {"dirs", s.dirs},
          {"bytes", s.bytes},
          {"files_new", s.files_new},
          {"files_changed", s.files_changed},
          {"files_unchanged", s.files_unchanged},
          {"files_skipped", s.files_skipped},
          {"bytes_read", s.bytes_read},
          {"bytes_new", s.bytes_new},
          {"bytes_stored", s.bytes_stored},
          {"bytes_uploaded", s.bytes_uploaded},
          {"blobs_new", s.blobs_new},
          {"duration_ns", s.duration_ns}};
}

checkpoint_stats stats_from_json(const json& j) {
  checkpoint_stats s;
  s.files = int_field<uint64_t>(j, "files", 0);
  s.dirs = int_field<uint64_t>(j, "dirs", 0);
  s.bytes = int_field<uint64_t>(j, "bytes", 0);
  s.files_new = int_field<uint64_t>(j, "files_new", 0);
  s.files_changed = int_field<uint64_t>(j, "files_changed", 0);
  s.files_unchanged = int_field<uint64_t>(j, "files_unchanged", 0);
  s.files_skipped = int_field<uint64_t>(j, "files_skipped", 0);
  s.bytes_read = int_field<uint64_t>(j, "bytes_read", 0);
  s.bytes_new = int_field<uint64_t>(j, "bytes_new", 0);
  s.bytes_stored = int_field<uint64_t>(j, "bytes_stored", 0);
  s.bytes_uploaded = int_field<uint64_t>(j, "bytes_uploaded", 0);
  s.blobs_new = int_field<uint64_t>(j, "blobs_new", 0);
  s.duration_ns = int_field<int64_t>(j, "duration_ns", 0);
  return s;
}

json manifest_to_json(const resource_manifest& r) {
  json j{{"name", r.name}, {"version", r.version}, {"files", r.files}, {"bytes", r.bytes}};
  if (!r.metadata.empty()) {
    auto m = json::parse(r.metadata, nullptr, false);
    if (!m.is_discarded() && m.is_object()) j["metadata"] = m;
  }
  if (!r.left_out.empty()) j["left_out"] = {{"paths", r.left_out}, {"reason", r.left_out_reason}};
  if (!r.error.empty()) j["error"] = r.error;
  return j;
}

// A bounded string field: absent is "", anything but a short string is damage.
std::string short_string(const json& j, const char* key, size_t max) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_string() || it->get_ref<const std::string&>().size() > max)
    throw std::out_of_range(std::string("resource ") + key + " is not a string of at most " + std::to_string(max) + " bytes");
  return it->get<std::string>();
}

// A failure's reason read from a target is printed: control characters become '?'.
std::string error_field(const json& j) {
  auto e = short_string(j, "error", max_source_error);
  for (auto& c : e)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return e;
}

resource_manifest manifest_from_json(const json& j) {
  if (!j.is_object()) throw std::out_of_range("a resource entry is not an object");
  resource_manifest r;
  r.name = short_string(j, "name", 64);
  if (r.name.empty()) throw std::out_of_range("a resource entry has no name");
  r.version = short_string(j, "version", 64);
  // Both are printed by `cairn ls` and `show`: no control characters.
  for (const auto* s : {&r.name, &r.version})
    for (char c : *s)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) throw std::out_of_range("a resource name or version holds a control character");
  r.files = int_field<uint64_t>(j, "files", 0);
  r.bytes = int_field<uint64_t>(j, "bytes", 0);
  if (auto m = j.find("metadata"); m != j.end()) {
    if (!m->is_object()) throw std::out_of_range("resource metadata is not an object");
    r.metadata = m->dump(-1, ' ', false, json::error_handler_t::replace);
    if (r.metadata.size() > max_manifest_metadata) throw std::out_of_range("resource metadata is larger than 64 KiB");
  }
  if (auto l = j.find("left_out"); l != j.end()) {
    if (!l->is_object()) throw std::out_of_range("left_out is not an object");
    auto paths = l->find("paths");
    if (paths == l->end() || !paths->is_array() || paths->size() > max_manifest_left_out)
      throw std::out_of_range("left_out paths is not a list of at most 1024 paths");
    for (const auto& p : *paths) {
      if (!p.is_string() || p.get_ref<const std::string&>().size() > 4096) throw std::out_of_range("a left_out path is not a string");
      r.left_out.push_back(p.get<std::string>());
    }
    r.left_out_reason = short_string(*l, "reason", 256);
  }
  r.error = error_field(j);
  return r;
}

}  // namespace

std::string encode_manifest(const std::vector<resource_manifest>& resources) {
  json a = json::array();
  for (const auto& r : resources) a.push_back(manifest_to_json(r));
  return a.dump(-1, ' ', false, json::error_handler_t::replace);
}

expected<std::vector<resource_manifest>> decode_manifest(std::string_view text) {
  if (text.size() > (max_manifest_resources + 1) * (max_manifest_metadata + 4096))
    return fail(errc::corrupt, "damaged resource manifest: too large");
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array() || j.size() > max_manifest_resources)
    return fail(errc::corrupt, "damaged resource manifest");
  try {
    std::vector<resource_manifest> out;
    for (const auto& r : j) out.push_back(manifest_from_json(r));
    return out;
  } catch (const std::exception& e) {
    return fail(errc::corrupt, std::string("damaged resource manifest: ") + e.what());
  }
}

std::string encode_catalog_sources(const checkpoint& c) {
  json sources = json::array();
  for (const auto& s : c.sources) {
    json entry{{"name", s.name}, {"type", to_string(s.type)}, {"path", s.path}};
    if (!s.error.empty()) entry["error"] = s.error;
    for (const auto& m : c.resources)
      if (s.type == source_type::resource && m.name == s.name) entry["manifest"] = manifest_to_json(m);
    sources.push_back(std::move(entry));
  }
  return sources.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string encode_stats(const checkpoint_stats& s) { return stats_to_json(s).dump(); }

byte_buffer encode_checkpoint(const checkpoint& c) {
  json sources = json::array();
  for (const auto& s : c.sources) {
    nlohmann::json j{{"name", s.name}, {"type", to_string(s.type)}, {"path", s.path}};
    if (!s.post_restore.empty()) j["post_restore"] = s.post_restore;
    if (!s.error.empty()) j["error"] = s.error;
    sources.push_back(j);
  }
  json j{{"version", 1},
         {"plan", c.plan},
         {"host", c.host},
         {"user", c.user},
         {"time", format_time(c.time_ns)},
         {"parent", c.parent ? json(c.parent->hex()) : json(nullptr)},
         {"tree", c.tree.hex()},
         {"sources", sources},
         {"tags", c.tags},
         {"program", c.program},
         {"stats", stats_to_json(c.stats)}};
  if (!c.resources.empty()) {
    json resources = json::array();
    for (const auto& r : c.resources) resources.push_back(manifest_to_json(r));
    j["resources"] = resources;
  }
  // Source paths may hold bytes that are not UTF-8: replace rather than throw.
  auto text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  return byte_buffer(text.begin(), text.end());
}

expected<checkpoint> decode_checkpoint(byte_view bytes) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(errc::corrupt, "damaged checkpoint");
  try {
    if (int_at<int>(j, "version") != 1) return fail(errc::unsupported, "unknown checkpoint version");
    checkpoint c;
    c.plan = j.at("plan").get<std::string>();
    c.host = j.value("host", "");
    c.user = j.value("user", "");
    auto t = parse_time(j.at("time").get<std::string>());
    if (!t) return fail(errc::corrupt, "damaged checkpoint time");
    c.time_ns = *t;
    if (j.contains("parent") && j["parent"].is_string()) {
      auto p = object_id::parse(j["parent"].get<std::string>());
      if (p) c.parent = *p;
    }
    auto tree = object_id::parse(j.at("tree").get<std::string>());
    if (!tree) return fail(errc::corrupt, "damaged checkpoint tree id");
    c.tree = *tree;
    // Names and types go back into a configuration (bootstrap --rebuild) and
    // into paths: only what the configuration itself accepts.
    if (!is_plain_name(c.plan)) return fail(errc::corrupt, "damaged checkpoint: its plan name is not a plain name");
    for (const auto& s : j.at("sources")) {
      auto type = parse_source_type(s.value("type", "dir"));
      if (!type) return fail(errc::corrupt, "damaged checkpoint: a source has an unknown type");
      c.sources.push_back({s.at("name").get<std::string>(), *type, s.value("path", ""),
                           s.value("post_restore", ""), error_field(s)});
      if (!is_plain_name(c.sources.back().name))
        return fail(errc::corrupt, "damaged checkpoint: a source name is not a plain name");
    }
    c.tags = j.value("tags", std::vector<std::string>{});
    c.program = j.value("program", "");
    if (j.contains("stats")) c.stats = stats_from_json(j["stats"]);
    if (auto r = j.find("resources"); r != j.end()) {
      if (!r->is_array() || r->size() > max_manifest_resources)
        return fail(errc::corrupt, "damaged checkpoint: resources is not a list of at most 256 entries");
      for (const auto& e : *r) c.resources.push_back(manifest_from_json(e));
    }
    return c;
  } catch (const std::exception& e) {
    return fail(errc::corrupt, std::string("damaged checkpoint: ") + e.what());
  }
}

}  // namespace cairn::repo
