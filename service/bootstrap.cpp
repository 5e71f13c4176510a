// A suite recovered on a new machine, from a target or a suite-state file.
#include "service/application.hpp"

#include <fstream>
#include <set>

#include "actors/backends.hpp"
#include "base/clock.hpp"
#include "config/rebuilt_yaml.hpp"
#include "config/yaml_edit.hpp"
#include "crypto/secret.hpp"

namespace cairn::service {

namespace fs = std::filesystem;

namespace {

// The recovered YAML uses the recovered credentials, and the commands it
// would run are shown: they came from a target.
void adopt_recovered_config(recovery::bootstrap_report& report) {
  std::ifstream in(report.config, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto adopted = config::adopt_recovered(text, report.config, report.catalog.parent_path() / "credentials");
  for (auto& n : adopted.notes) report.notes.push_back(std::move(n));
  if (adopted.yaml == text) return;
  auto temp = report.config;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << adopted.yaml;
    if (!out) return report.notes.push_back("cannot write " + temp.string());
  }
  fs::permissions(temp, fs::perms::owner_read | fs::perms::owner_write);
  std::error_code ec;
  fs::rename(temp, report.config, ec);
  if (ec) report.notes.push_back("cannot write " + report.config.string() + ": " + ec.message());
}

expected<recovery::bootstrap_report> from_target(const bootstrap_request& r, const recovery::unlocker& unlock,
                                                 const recovery::bootstrap_options& o, std::set<std::string>& done) {
  config::target_config cfg;
  cfg.name = "recovered";
  CAIRN_TRY(config::parse_target_url(r.target_url, cfg));
  std::error_code ec;
  if (cfg.type == config::target_type::local) cfg.path = fs::absolute(cfg.path, ec);
  if (!r.identity.empty()) cfg.identity = fs::absolute(r.identity, ec);
  if (!r.known_hosts.empty()) cfg.known_hosts = fs::absolute(r.known_hosts, ec);
  if (cfg.type == config::target_type::sftp && cfg.identity.empty())
    return fail(errc::invalid_input, "an sftp:// target needs --identity FILE (the private key)");
  CAIRN_ASSIGN(auto target, actors::make_backend(cfg));
  if (!r.rebuild) {
    CAIRN_ASSIGN(auto report, recovery::bootstrap_from_target(*target, unlock, o));
    if (auto st = recovery::rebuild_stored_ids(target, unlock, o.state_dir, &done); !st)
      report.notes.push_back("the record of stored blobs was not rebuilt (the next backup uploads everything again): " +
                             st.error().message());
    return report;
  }
  recovery::rebuild_options ro;
  ro.target_name = cfg.name;
  ro.write_yaml = [&](const fs::path& state_dir, const recovery::recovered_plans& plans) {
    config::rebuilt_config c;
    c.from = target->describe();
    c.date = format_time(now_ns()).substr(0, 10);
    c.state_dir = state_dir;
    c.key_mode = r.keyfile    ? config::keyring_mode::keyfile
                     : r.password ? config::keyring_mode::password
                                  : config::keyring_mode::none;
    if (r.keyfile) c.keyfile = fs::absolute(*r.keyfile, ec);
    c.target = cfg;
    for (const auto& [plan, sources] : plans)
      for (const auto& s : sources) c.plans[plan].push_back({s.name, s.type, s.path});
    return config::rebuilt_yaml(c);
  };
  return recovery::rebuild_catalog(target, unlock, o, ro);
}

// A write-only suite: every target of the recovered YAML gets this machine's
// record of stored blobs back from its index files (the target bootstrapped
// from is in `done`), so that no target's next backup uploads everything again.
void rebuild_every_record(recovery::bootstrap_report& report, const recovery::unlocker& unlock,
                          const fs::path& state_dir, std::set<std::string>& done) {
  auto suite = config::load_config(report.config);
  if (!suite) return report.notes.push_back("the records of stored blobs were not rebuilt: " + suite.error().message());
  if (suite->keyring.mode != config::keyring_mode::write_only) return;
  for (const auto& t : suite->targets) {
    auto st = [&]() -> status {
      CAIRN_ASSIGN(auto target, actors::make_backend(t));
      return recovery::rebuild_stored_ids(target, unlock, state_dir, &done);
    }();
    if (!st)
      report.notes.push_back("target " + t.name + ": the record of stored blobs was not rebuilt (its next backup "
                             "uploads everything again): " + st.error().message());
  }
}

}  // namespace

expected<recovery::bootstrap_report> application::bootstrap(const bootstrap_request& r) {
  crypto::disable_core_dumps();
  if (r.state_dir.empty()) return fail(errc::invalid_input, "bootstrap needs --state-dir DIR");
  if (r.target_url.empty() == r.suite_file.empty())
    return fail(errc::invalid_input, "bootstrap needs a target URL or --suite-file FILE (one of them)");
  actors::bootstrap_keyring keyring(r.keyfile, r.password, r.private_key);
  recovery::bootstrap_options o{r.state_dir, r.config_out};
  std::set<std::string> done;  // repositories whose record of stored blobs is rebuilt
  auto report = r.suite_file.empty() ? from_target(r, keyring.unlocker(), o, done)
                                     : recovery::bootstrap_from_file(r.suite_file, keyring.unlocker(), o);
  if (report && !report->rebuilt) {
    adopt_recovered_config(*report);
    rebuild_every_record(*report, keyring.unlocker(), r.state_dir, done);
  }
  return report;
}

}  // namespace cairn::service
