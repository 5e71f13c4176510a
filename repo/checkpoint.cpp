#include "repo/checkpoint.hpp"

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
  s.files = j.value("files", uint64_t{0});
  s.dirs = j.value("dirs", uint64_t{0});
  s.bytes = j.value("bytes", uint64_t{0});
  s.files_new = j.value("files_new", uint64_t{0});
  s.files_changed = j.value("files_changed", uint64_t{0});
  s.files_unchanged = j.value("files_unchanged", uint64_t{0});
  s.files_skipped = j.value("files_skipped", uint64_t{0});
  s.bytes_read = j.value("bytes_read", uint64_t{0});
  s.bytes_new = j.value("bytes_new", uint64_t{0});
  s.bytes_stored = j.value("bytes_stored", uint64_t{0});
  s.bytes_uploaded = j.value("bytes_uploaded", uint64_t{0});
  s.blobs_new = j.value("blobs_new", uint64_t{0});
  s.duration_ns = j.value("duration_ns", int64_t{0});
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
    if (j.at("version").get<int>() != 1) return fail(errc::unsupported, "unknown checkpoint version");
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
