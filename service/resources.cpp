#include "service/resources.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "actors/staged_source.hpp"
#include "base/clock.hpp"
#include "config/suite_config.hpp"
#include "fs/command.hpp"
#include "fs/unique_dir.hpp"
#include "service/application.hpp"

namespace cairn::service {

namespace {

namespace stdfs = std::filesystem;
using json = nlohmann::json;

constexpr size_t max_state_file = config::max_resource_metadata_bytes + 4096;

stdfs::path resources_dir(const config::suite_config& c) { return c.state_dir / "resources"; }

// Writes `text` to `file` (0600) through a temporary and a rename.
status write_private(const stdfs::path& file, const std::string& text) {
  auto tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return fail(errc::io, "cannot write " + tmp);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(errc::io, "cannot write " + file.string());
  }
  return {};
}

status private_dir(const stdfs::path& dir) {
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) return fail(errc::io, "cannot create " + dir.string() + ": " + ec.message());
  stdfs::permissions(dir, stdfs::perms::owner_all, ec);
  return {};
}

}  // namespace

std::vector<repo::resource_manifest> manifest_of_row(const std::string& sources_json) {
  auto sources = json::parse(sources_json, nullptr, false);
  if (!sources.is_array()) return {};
  json entries = json::array();
  for (const auto& s : sources)
    if (s.is_object() && s.contains("manifest")) entries.push_back(s["manifest"]);
  if (entries.empty()) return {};
  auto m = repo::decode_manifest(entries.dump());
  return m ? std::move(*m) : std::vector<repo::resource_manifest>{};
}

expected<resource_restore_report> application::restore_resource(const resolved_checkpoint& cp, const std::string& name,
                                                                 const stdfs::path& destination) {
  const auto& suite = *suite_;
  const auto* r = suite.find_resource(name);
  if (!r)
    return fail(errc::invalid_input, "no resource \"" + name + "\" is registered here (" +
                                       (suite.file.parent_path() / "resources.d" / (name + ".yaml")).string() +
                                       "): its recover command comes from that file");
  auto manifest = manifest_of_row(cp.row.sources_json);
  const repo::resource_manifest* entry = nullptr;
  for (const auto& m : manifest)
    if (m.name == name) entry = &m;
  if (!entry) return fail(errc::not_found, "checkpoint " + cp.row.id.substr(0, 8) + " holds no resource \"" + name + "\"");
  if (!entry->error.empty())
    return fail(errc::not_found, "checkpoint " + cp.row.id.substr(0, 8) + " holds nothing of resource " + name +
                                   ": its backup failed in that run (" + entry->error + "); restore an older checkpoint");
  CAIRN_ASSIGN(auto who, actors::resource_identity(*r));
  stdfs::path to;
  if (!destination.empty()) {
    std::error_code ec;
    to = stdfs::absolute(destination, ec);
    if (ec) return fail(errc::invalid_input, "cannot use \"" + destination.string() + "\" as a destination");
  }
  // The recovery folder: private, and removed whatever happens.
  auto base = suite.state_dir / "recovery";
  CAIRN_TRY(private_dir(base));
  stdfs::path folder;
  if (who) {
    CAIRN_ASSIGN(folder, actors::resource_folder("cairn-recovery-" + name, *who));
  } else {
    CAIRN_ASSIGN(folder, fs::make_unique_dir(base, name, "recovery folder"));
  }
  struct cleanup {
    stdfs::path dir;
    ~cleanup() {
      std::error_code ec;
      stdfs::remove_all(dir, ec);
    }
  } remove_folder{folder};

  restore_options o;
  o.paths = {name};
  CAIRN_ASSIGN(auto restored, restore(cp, folder / "data", o));
  if (!restored.damaged.empty())
    return fail(errc::corrupt, "resource " + name + ": " + std::to_string(restored.damaged.size()) +
                                 " files could not be restored (first: " + restored.damaged.front() +
                                 "); recover was not run");
  auto recovery_dir = folder / "data" / name;
  std::error_code ec;
  if (!stdfs::is_directory(recovery_dir, ec)) CAIRN_TRY(private_dir(recovery_dir));  // an empty resource
  std::string left_out;
  for (const auto& p : entry->left_out) left_out += (left_out.empty() ? "" : "\n") + p;
  auto metadata_file = folder / "metadata.json";
  CAIRN_TRY(write_private(metadata_file, entry->metadata.empty() ? "{}" : entry->metadata));
  if (who) CAIRN_TRY(actors::give_to(folder, *who));  // the user's to read, move or change
  fs::command_options c;
  c.as_user = who;
  c.timeout = std::chrono::seconds(r->command_timeout());
  c.command = r->recover;
  c.output = folder / "recover.stdout";
  c.directory = recovery_dir;
  c.environment = {{"CAIRN_RESOURCE", name},
                   {"CAIRN_RECOVERY_DIR", recovery_dir.string()},
                   {"CAIRN_DESTINATION", to.string()},
                   {"CAIRN_CHECKPOINT", cp.row.id},
                   {"CAIRN_RESOURCE_VERSION", entry->version},
                   {"CAIRN_METADATA_FILE", metadata_file.string()},
                   {"CAIRN_LEFT_OUT", left_out}};
  CAIRN_ASSIGN(auto outcome, fs::run_to_file(c));
  auto what = r->file.string() + ": resource " + name + ": the recover command";
  if (outcome.exit_code != 0)
    return fail(errc::io, what + " exited with " + std::to_string(outcome.exit_code) +
                            (outcome.tail.empty() ? "" : ": " + fs::one_line(outcome.tail)));
  CAIRN_ASSIGN(auto data, actors::resource_json(c.output, what));

  resource_restore_report report{name, cp.row.id, restored.files, restored.bytes, entry->left_out, false};
  if (!r->post_recovery.empty()) {
    CAIRN_TRY(private_dir(resources_dir(suite)));
    json pending{{"checkpoint", cp.row.id}, {"time", format_time(now_ns())}, {"data", data}};
    CAIRN_TRY(write_private(resources_dir(suite) / (name + ".pending.json"), pending.dump()));
    report.post_recovery_pending = true;
  }
  return report;
}

expected<post_recovery_report> post_recovery(const stdfs::path& config_file, const std::string& name) {
  CAIRN_ASSIGN(auto suite, config::load_config(config_file));
  const auto* r = suite.find_resource(name);
  if (!r)
    return fail(errc::invalid_input, "no resource \"" + name + "\" is registered (" +
                                       (suite.file.parent_path() / "resources.d" / (name + ".yaml")).string() + ")");
  post_recovery_report report;
  report.resource = name;
  auto dir = resources_dir(suite);
  auto pending = dir / (name + ".pending.json");
  auto running = dir / (name + ".running.json");
  // Claimed by a rename: two applications starting at once run it once.
  if (::rename(pending.c_str(), running.c_str()) != 0) return report;  // nothing to do
  std::string text(max_state_file + 1, '\0');
  {
    std::ifstream in(running, std::ios::binary);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(in.gcount()));
  }
  auto j = json::parse(text, nullptr, false);
  if (text.size() > max_state_file || !j.is_object() || !j.contains("checkpoint") || !j["checkpoint"].is_string() ||
      !j.contains("data") || !j["data"].is_string())
    return fail(errc::corrupt, running.string() + ": damaged post-recovery state (left in place)");
  report.checkpoint = j["checkpoint"].get<std::string>();
  report.ran = true;
  auto data_file = dir / (name + ".data.json");
  auto record = [&](int code, const std::string& error) -> status {
    json outcome{{"checkpoint", report.checkpoint}, {"time", format_time(now_ns())}, {"exit_code", code}};
    if (!error.empty()) outcome["error"] = error;
    auto st = write_private(dir / (name + ".outcome.json"), outcome.dump(-1, ' ', false, json::error_handler_t::replace));
    std::error_code ec;
    stdfs::remove(running, ec);
    stdfs::remove(data_file, ec);
    return st;
  };
  auto who = actors::resource_identity(*r);
  if (!who) {
    (void)record(-1, who.error().message());
    return fail(who.error());
  }
  if (r->post_recovery.empty()) {
    CAIRN_TRY(record(0, "the descriptor has no post_recovery command"));
    return report;
  }
  if (auto st = write_private(data_file, j["data"].get<std::string>()); !st) {
    (void)record(-1, st.error().message());
    return fail(st.error());
  }
  // Run as another user, the data file sits where that user can read it.
  struct cleanup {
    stdfs::path folder;
    ~cleanup() {
      std::error_code ec;
      if (!folder.empty()) stdfs::remove_all(folder, ec);
    }
  } remove_folder;
  if (*who) {
    auto folder = actors::resource_folder("cairn-post-recovery-" + name, **who);
    auto moved = folder ? actors::give_to(data_file, **who) : status(fail(folder.error()));
    if (moved) {
      remove_folder.folder = *folder;
      std::error_code ec;
      stdfs::rename(data_file, *folder / "data.json", ec);
      if (ec) moved = fail(errc::io, "cannot move " + data_file.string() + ": " + ec.message());
      data_file = *folder / "data.json";
    }
    if (!moved) {
      (void)record(-1, moved.error().message());
      return fail(moved.error());
    }
  }
  fs::command_options c;
  c.as_user = *who;
  c.timeout = std::chrono::seconds(r->post_recovery_timeout());
  c.command = r->post_recovery;
  c.environment = {{"CAIRN_RESOURCE", name},
                   {"CAIRN_CHECKPOINT", report.checkpoint},
                   {"CAIRN_POST_RECOVERY_FILE", data_file.string()}};
  auto outcome = fs::run_to_file(c);
  if (!outcome) {
    (void)record(-1, outcome.error().message());
    return fail(outcome.error());
  }
  report.exit_code = outcome->exit_code;
  std::string error;
  if (outcome->exit_code != 0)
    error = "the post_recovery command exited with " + std::to_string(outcome->exit_code) +
            (outcome->tail.empty() ? "" : ": " + fs::one_line(outcome->tail));
  CAIRN_TRY(record(outcome->exit_code, error));
  if (!error.empty()) return fail(errc::io, r->file.string() + ": resource " + name + ": " + error + " (not run again)");
  return report;
}

}  // namespace cairn::service
