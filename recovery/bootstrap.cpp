#include "recovery/bootstrap.hpp"

#include <algorithm>
#include <cctype>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/clock.hpp"
#include "catalog/catalog.hpp"
#include "repo/stored_ids.hpp"
#include "repo/pack.hpp"
#include "repo/repo_format.hpp"
#include "repo/repository.hpp"

namespace cairn::recovery {

namespace fs = std::filesystem;

namespace {

status write_file(const fs::path& path, byte_view data, mode_t mode) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  auto tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return fail(errc::io, "cannot write " + path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(errc::io, "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  return {};
}

status check_destination(const bootstrap_options& o) {
  std::error_code ec;
  if (fs::exists(catalog::catalog::file_of(o.state_dir), ec))
    return fail(errc::exists, o.state_dir.string() +
                                " already holds a catalog: bootstrap into an empty --state-dir");
  return {};
}

fs::path config_path(const bootstrap_options& o) {
  return o.config_out.empty() ? o.state_dir / "cairn.yaml" : o.config_out;
}

// A suite state is written right after a backup; checkpoints forgotten later
// (the daemon forgets after each run, or cairn forget) are still in it. When
// the target can list, drop the catalog rows of this target's repository whose
// checkpoint is gone, and say so.
status reconcile(targets::target& target, const fs::path& state, bootstrap_report& report) {
  auto header = repo::repository::read_header(target);
  if (!header) return {};
  std::set<std::string> present;
  auto listed = target.list(repo::checkpoint_prefix, [&](const targets::object_info& info) {
    present.insert(info.name.substr(repo::checkpoint_prefix.size()));
    return true;
  });
  if (!listed) return {};  // cannot list: the catalog stays as the suite state had it
  CAIRN_ASSIGN(auto db, catalog::catalog::open(state));
  CAIRN_ASSIGN(auto rows, db->checkpoints("", ""));
  std::set<std::string> names;
  for (const auto& r : rows) names.insert(r.target);
  for (const auto& name : names) {
    CAIRN_ASSIGN(auto repository_id, db->target_repository(name));
    if (!repository_id || *repository_id != header->repository_id) continue;
    size_t dropped = 0;
    for (const auto& r : rows)
      if (r.target == name && !present.count(r.id)) {
        CAIRN_TRY(db->forget_checkpoint(name, r.id));
        ++dropped;
      }
    if (dropped)
      report.notes.push_back(std::to_string(dropped) + " checkpoint(s) of target " + name +
                             " were forgotten after this suite state was written; they are not listed");
  }
  return {};
}

// Writes the catalog and the YAML, then reads the catalog back for the report.
expected<bootstrap_report> install(const suite_payload& p, const bootstrap_options& o,
                                   bootstrap_report report, targets::target* target = nullptr) {
  std::error_code ec;
  auto state = fs::absolute(o.state_dir, ec);
  fs::create_directories(state, ec);
  ::chmod(state.c_str(), 0700);
  CAIRN_TRY(write_file(catalog::catalog::file_of(state), p.catalog, 0600));
  auto yaml = with_state_dir(p.yaml, state);
  CAIRN_TRY(write_file(config_path(o), as_bytes(yaml), 0600));
  for (const auto& [name, secret] : p.credentials) {
    if (name == writer_key_credential) {
      CAIRN_TRY(write_file(state / std::string(writer_key_file_name), secret, 0600));
      continue;
    }
    // The name comes from a target: it must be a target name, never a path.
    bool plain = !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
                 });
    if (!plain) {
      report.notes.push_back("a recovered credential has a name that is not a target name; it was not written");
      continue;
    }
    CAIRN_TRY(write_file(state / "credentials" / name, secret, 0600));
  }
  if (target) CAIRN_TRY(reconcile(*target, state, report));
  CAIRN_ASSIGN(auto db, catalog::catalog::open(state, true));
  CAIRN_ASSIGN(auto rows, db->checkpoints("", ""));
  std::set<std::string> plans;
  for (const auto& r : rows) plans.insert(r.plan);
  report.checkpoints = rows.size();
  report.plans.assign(plans.begin(), plans.end());
  report.suite_id = p.suite_id;
  report.catalog = catalog::catalog::file_of(state);
  report.config = config_path(o);
  return report;
}

// Opens one suite-state object whose header was read: keys, payload.
expected<suite_payload> open_object(byte_view object, const suite_state_header& header, const std::string& where,
                                    const unlocker& unlock, bootstrap_report& report) {
  CAIRN_ASSIGN(auto keys, unlock(header.key_slots, header.repository_id, header.encryption));
  auto payload = open_suite_state(object, header, keys);
  if (!payload) return fail(payload.error().with_context(where));
  report.host = header.host;
  report.time_ns = header.time_ns;
  return payload;
}

// Errors that say the key does not open the object's key slots (not that the
// object is damaged).
bool key_error(errc code) {
  return code == errc::auth || code == errc::invalid_input || code == errc::tpm_unavailable ||
         code == errc::tpm_foreign || code == errc::tpm_policy || code == errc::tpm_lockout;
}

// What a key is tried against: generations with the same slots open alike.
std::string slots_of(const suite_state_header& header) {
  std::string out = header.repository_id + '/' + std::to_string(static_cast<int>(header.encryption));
  for (const auto& k : header.key_slots) {
    out += '/' + k.id + ':' + std::to_string(static_cast<int>(k.kind)) + ':' + to_hex(k.salt) + ':' +
           k.fingerprint + ':' + to_hex(k.wrapped) + ':' + to_hex(k.tpm_private);
  }
  return out;
}

}  // namespace

std::string with_state_dir(const std::string& yaml, const fs::path& state_dir) {
  std::istringstream in(yaml);
  std::ostringstream out;
  std::string line;
  bool replaced = false;
  while (std::getline(in, line)) {
    if (!replaced && line.rfind("state_dir:", 0) == 0) {
      out << "state_dir: " << state_dir.string() << "   # set by cairn bootstrap\n";
      replaced = true;
      continue;
    }
    out << line << "\n";
  }
  if (!replaced) return "state_dir: " + state_dir.string() + "   # set by cairn bootstrap\n" + out.str();
  return out.str();
}

expected<bootstrap_report> bootstrap_from_target(targets::target& target, const unlocker& unlock,
                                                 const bootstrap_options& o) {
  CAIRN_TRY(check_destination(o));
  bootstrap_report report;
  CAIRN_ASSIGN(auto names, suite_state_generations(target, report.notes));
  if (names.empty())
    return fail(errc::not_found, "no suite state on " + target.describe() +
                                   " (a repository from before suite states, or the pointer is gone and the target cannot list): try --rebuild");
  // A generation whose key slots this key does not open is skipped, not
  // final: anyone who may add objects (an append-only key, a thief) can add
  // a well-formed newer one sealed for slots of their own. Each distinct set
  // of slots is tried once (a password costs Argon2, a TPM its lockout
  // counter), and at most max_foreign_slot_sets of them.
  constexpr size_t max_foreign_slot_sets = 8;
  std::optional<error> auth_failure;
  std::set<std::string> failed_slots;
  for (const auto& name : names) {
    auto where = target.describe() + "/" + name;
    auto object = repo::read_bounded(target, name, max_suite_state_bytes);
    if (!object) {
      report.notes.push_back(where + ": " + describe(object.error()) + "; trying an older one");
      continue;
    }
    auto header = read_suite_state_header(*object, where);
    if (!header) {
      report.notes.push_back(describe(header.error()) + "; trying an older one");
      continue;
    }
    auto slots = slots_of(*header);
    if (failed_slots.count(slots)) {
      report.notes.push_back(where + ": sealed for the same key slots as a newer one this key did not open; skipped");
      continue;
    }
    auto payload = open_object(*object, *header, where, unlock, report);
    if (!payload) {
      auto code = payload.error().code();
      if (key_error(code)) {
        if (!auth_failure) auth_failure = payload.error();
        report.notes.push_back(where + ": " + describe(payload.error()) +
                               " (another key, or written by someone else); trying an older one");
        failed_slots.insert(slots);
        if (code == errc::tpm_lockout || failed_slots.size() >= max_foreign_slot_sets) break;
        continue;
      }
      report.notes.push_back(describe(payload.error()) + "; trying an older one");
      continue;
    }
    report.source = where;
    return install(*payload, o, std::move(report), &target);
  }
  if (auth_failure) return fail(*auth_failure);
  std::string why;
  for (const auto& n : report.notes) why += (why.empty() ? "" : "; ") + n;
  return fail(errc::corrupt, "no suite state on " + target.describe() + " opens: " + why);
}

expected<bootstrap_report> bootstrap_from_file(const fs::path& file, const unlocker& unlock,
                                               const bootstrap_options& o) {
  CAIRN_TRY(check_destination(o));
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(errc::invalid_input, "cannot read suite-state file " + file.string());
  std::error_code ec;
  if (fs::file_size(file, ec) > max_suite_state_bytes)
    return fail(errc::corrupt, file.string() + " is larger than a suite state may be (4 GiB)");
  byte_buffer object((std::istreambuf_iterator<char>(in)), {});
  bootstrap_report report;
  CAIRN_ASSIGN(auto header, read_suite_state_header(object, file.string()));
  CAIRN_ASSIGN(auto payload, open_object(object, header, file.string(), unlock, report));
  report.source = file.string();
  return install(payload, o, std::move(report));
}

status rebuild_stored_ids(targets::target_ptr target, const unlocker& unlock, const fs::path& state_dir,
                          std::set<std::string>* done) {
  CAIRN_ASSIGN(auto header, repo::repository::read_header(*target));
  if (header.encryption != crypto::encryption::x25519) return {};
  if (done && done->count(header.repository_id)) return {};
  CAIRN_ASSIGN(auto keys, unlock(header.key_slots, header.repository_id, header.encryption));
  CAIRN_ASSIGN(auto repo, repo::repository::open(target, header, keys));
  if (!repo->cipher().can_read()) return {};
  std::error_code ec;
  auto file = repo::stored_ids_file(repo::stored_ids_dir(fs::absolute(state_dir, ec)), header.repository_id);
  fs::create_directories(file.parent_path(), ec);
  fs::remove(file, ec);  // rebuilt whole: the index files are the truth
  CAIRN_ASSIGN(auto ids, repo->list_index_files());
  for (const auto& id : ids) {
    auto packs = repo->read_index_file(id);
    if (!packs) continue;  // a damaged index file: its blobs are uploaded again, which is safe
    repo::stored_ids_record record{id, {}};
    for (const auto& p : *packs)
      for (const auto& b : p.blobs) record.blobs.push_back(b.id);
    CAIRN_TRY(repo::append_stored_ids(file, record));
  }
  if (done) done->insert(header.repository_id);
  return {};
}

expected<bootstrap_report> rebuild_catalog(targets::target_ptr target, const unlocker& unlock,
                                           const bootstrap_options& o, const rebuild_options& r) {
  CAIRN_TRY(check_destination(o));
  CAIRN_ASSIGN(auto header, repo::repository::read_header(*target));
  CAIRN_ASSIGN(auto keys, unlock(header.key_slots, header.repository_id, header.encryption));
  CAIRN_ASSIGN(auto repo, repo::repository::open(target, header, keys));
  CAIRN_ASSIGN(auto ids, repo->list_checkpoints());
  bootstrap_report report;
  report.rebuilt = true;
  report.source = target->describe() + " (rebuilt from its checkpoints)";
  std::error_code ec;
  auto state = fs::absolute(o.state_dir, ec);
  CAIRN_ASSIGN(auto db, catalog::catalog::open(state));
  CAIRN_TRY(db->record_target(r.target_name, target->describe(), header.repository_id));
  CAIRN_TRY(db->set_setting("chunker_seed", std::to_string(repo->header().chunker.seed)));
  recovered_plans plans;  // from the newest checkpoint of each plan
  std::map<std::string, int64_t> newest;
  for (const auto& id : ids) {
    auto c = repo->read_checkpoint(id);
    if (!c) {
      report.notes.push_back(c.error().message() + " (skipped)");
      continue;
    }
    catalog::checkpoint_row row{id.hex(), r.target_name, c->plan, c->time_ns, c->host,
                                c->parent ? c->parent->hex() : "", c->tree.hex(), c->stats.files,
                                c->stats.bytes, repo::encode_stats(c->stats),
                                repo::encode_catalog_sources(*c)};  // with the manifest: ls and show display it
    CAIRN_TRY(db->record_checkpoint(row));
    if (c->time_ns >= newest[c->plan]) {
      newest[c->plan] = c->time_ns;
      plans[c->plan].clear();
      for (const auto& s : c->sources) plans[c->plan].push_back({s.name, s.type, s.path});
    }
  }
  if (!r.write_yaml) return fail(errc::invalid_input, "bootstrap --rebuild: no configuration writer");
  auto text = r.write_yaml(state, plans);
  CAIRN_TRY(write_file(config_path(o), as_bytes(text), 0600));
  report.checkpoints = ids.size();
  for (const auto& [plan, _] : plans) report.plans.push_back(plan);
  report.catalog = catalog::catalog::file_of(state);
  report.config = config_path(o);
  return report;
}

}  // namespace cairn::recovery
