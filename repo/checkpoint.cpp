#include "repo/checkpoint.hpp"

#include "repo/json_field.hpp"

#include <nlohmann/json.hpp>

#include "base/clock.hpp"

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

}  // namespace

std::string encode_stats(const checkpoint_stats& s) { return stats_to_json(s).dump(); }

byte_buffer encode_checkpoint(const checkpoint& c) {
  json sources = json::array();
  for (const auto& s : c.sources) {
    nlohmann::json j{{"name", s.name}, {"type", s.type}, {"path", s.path}};
    if (!s.post_restore.empty()) j["post_restore"] = s.post_restore;
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
    for (const auto& s : j.at("sources"))
      c.sources.push_back({s.at("name").get<std::string>(), s.value("type", "dir"),
                           s.value("path", ""), s.value("post_restore", "")});
    c.tags = j.value("tags", std::vector<std::string>{});
    c.program = j.value("program", "");
    if (j.contains("stats")) c.stats = stats_from_json(j["stats"]);
    return c;
  } catch (const std::exception& e) {
    return fail(errc::corrupt, std::string("damaged checkpoint: ") + e.what());
  }
}

}  // namespace cairn::repo
