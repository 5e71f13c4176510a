// Rendering of application resources: the manifest in `cairn checkpoints`
// and `cairn show`, `restore --resource` and `post-recovery`.
#include <cstdio>
#include <ctime>
#include <iostream>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "cli/render.hpp"
#include "cli/render_text.hpp"

namespace cairn::cli {

namespace {

using json = nlohmann::json;

json manifest_json(const std::vector<repo::resource_manifest>& resources) {
  json a = json::array();
  for (const auto& m : resources) {
    json j{{"name", m.name}, {"version", m.version}, {"files", m.files}, {"bytes", m.bytes}};
    auto meta = json::parse(m.metadata, nullptr, false);
    if (meta.is_object()) j["metadata"] = meta;
    if (!m.left_out.empty()) j["left_out"] = {{"paths", m.left_out}, {"reason", m.left_out_reason}};
    if (!m.error.empty()) j["error"] = m.error;
    a.push_back(j);
  }
  return a;
}

}  // namespace

void print_manifest(const std::vector<repo::resource_manifest>& resources, const char* indent) {
  for (const auto& m : resources) {
    if (!m.error.empty()) {
      std::printf("%sresource %s %s: failed, nothing stored: %s\n", indent, printable(m.name).c_str(),
                  printable(m.version).c_str(), printable(m.error).c_str());
      continue;
    }
    std::printf("%sresource %s %s: %llu files, %s%s\n", indent, printable(m.name).c_str(), printable(m.version).c_str(),
                static_cast<unsigned long long>(m.files), format_bytes(m.bytes).c_str(),
                m.metadata.empty() ? "" : ", with metadata");
    if (!m.left_out.empty()) {
      std::string paths;
      for (const auto& p : m.left_out) paths += (paths.empty() ? "" : ", ") + p;
      std::printf("%s  left out: %s (%s)\n", indent, printable(paths).c_str(), printable(m.left_out_reason).c_str());
    }
  }
}

void print_show(const output& out, const service::resolved_checkpoint& cp) {
  const auto& r = cp.row;
  auto manifest = service::manifest_of_row(r.sources_json);
  json sources = json::parse(r.sources_json, nullptr, false);
  if (out.json) {
    json j{{"type", "checkpoint"}, {"id", r.id},         {"plan", r.plan},   {"target", r.target},
           {"time", format_time(r.time_ns)}, {"host", r.host}, {"files", r.files}, {"bytes", r.bytes},
           {"parent", r.parent}, {"tree", r.tree}, {"resources", manifest_json(manifest)}};
    if (sources.is_array()) {
      for (auto& s : sources)
        if (s.is_object()) s.erase("manifest");
      j["sources"] = sources;
    }
    emit(j);
    return;
  }
  std::printf("checkpoint %s\n  plan %s, target %s, host %s\n  time %s\n  %llu files, %s\n", r.id.c_str(),
              printable(r.plan).c_str(), printable(r.target).c_str(), printable(r.host).c_str(),
              format_time(r.time_ns).c_str(), static_cast<unsigned long long>(r.files), format_bytes(r.bytes).c_str());
  if (sources.is_array())
    for (const auto& s : sources) {
      if (!s.is_object() || !s.contains("name") || !s["name"].is_string()) continue;
      auto text = [&](const char* k) { return s.contains(k) && s[k].is_string() ? s[k].get<std::string>() : std::string(); };
      std::printf("  source %s (%s) %s%s%s\n", printable(text("name")).c_str(), printable(text("type")).c_str(),
                  printable(text("path")).c_str(), text("error").empty() ? "" : ": failed, nothing stored: ",
                  printable(text("error")).c_str());
    }
  if (manifest.empty()) return;
  std::printf("  manifest:\n");
  print_manifest(manifest, "    ");
  for (const auto& m : manifest)
    if (!m.metadata.empty()) std::printf("    %s metadata: %s\n", printable(m.name).c_str(), printable(m.metadata).c_str());
}

void print_resource_restore(const output& out, const service::resource_restore_report& r) {
  if (out.json) {
    emit({{"type", "resource_restore"}, {"resource", r.resource}, {"checkpoint", r.checkpoint}, {"files", r.files},
          {"bytes", r.bytes}, {"left_out", r.left_out}, {"post_recovery_pending", r.post_recovery_pending}});
    return;
  }
  std::printf("resource %s recovered from checkpoint %s: %llu files, %s\n", printable(r.resource).c_str(),
              r.checkpoint.substr(0, 8).c_str(), static_cast<unsigned long long>(r.files), format_bytes(r.bytes).c_str());
  for (const auto& p : r.left_out)
    std::printf("  not in this checkpoint (sensitive, its target does not encrypt): %s\n", printable(p).c_str());
  if (r.post_recovery_pending)
    std::printf("  its post-recovery step runs when the application calls: cairn post-recovery %s\n",
                printable(r.resource).c_str());
}

void print_source_load(const output& out, const service::source_load_report& r) {
  if (out.json) {
    emit({{"type", "source_load"}, {"source", r.source}, {"checkpoint", r.checkpoint}, {"file", r.file},
          {"bytes", r.bytes}});
    return;
  }
  std::printf("source %s loaded from checkpoint %s: %s of %s handed to its restore_command\n",
              printable(r.source).c_str(), r.checkpoint.substr(0, 8).c_str(), format_bytes(r.bytes).c_str(),
              printable(r.file).c_str());
}

void print_post_recovery(const output& out, const service::post_recovery_report& r) {
  if (out.json) {
    emit({{"type", "post_recovery"}, {"resource", r.resource}, {"ran", r.ran}, {"checkpoint", r.checkpoint},
          {"exit_code", r.exit_code}});
    return;
  }
  if (!r.ran) std::printf("post-recovery %s: nothing to do\n", printable(r.resource).c_str());
  else std::printf("post-recovery %s: done (after the restore of checkpoint %s)\n", printable(r.resource).c_str(),
                   r.checkpoint.substr(0, 8).c_str());
}

}  // namespace cairn::cli
