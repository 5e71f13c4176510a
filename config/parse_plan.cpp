// Parser of one plan (plans.NAME) and of its sources.
#include "config/detail/config_parser.hpp"

#include <fstream>

namespace cairn::config::detail {

// One pattern a line; blank lines and lines starting with '#' are ignored,
// as in restic's --exclude-file and rsync's --exclude-from.
void parser::read_exclude_file(const YAML::Node& n, source_config& s) const {
  s.exclude_from = path_of(n, "exclude_from");
  std::error_code ec;
  auto unreadable = [&](const std::string& why) {
    s.exclude_from_error = where(n).str() + ": cannot read exclude_from " + s.exclude_from.string() + ": " + why;
  };
  if (fs::is_directory(s.exclude_from, ec)) return unreadable("it is a directory");
  std::ifstream in(s.exclude_from);
  if (!in) return unreadable(fs::exists(s.exclude_from, ec) ? "permission denied" : "no such file");
  std::string line;
  while (std::getline(in, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') continue;
    auto last = line.find_last_not_of(" \t\r");
    s.exclude.push_back(line.substr(first, last - first + 1));
    ++s.exclude_from_count;
  }
  if (in.bad()) unreadable("read error");
}

std::optional<source_config> parser::parse_source(const YAML::Node& n) const {
  source_config s;
  s.where = where(n);
  expect_map(n, "a source");
  if (!n["type"]) error_at(n, "a source needs a type (dir, sqlite, command, resource or resources)");
  auto word = scalar(n["type"], "source type");
  if (word == "resources") {
    check_keys(n, {"type"}, "resources source (every registered resource)");
    return std::nullopt;
  }
  auto type = parse_source_type(word);
  if (!type)
    error_at(n["type"], "source type \"" + word + "\" is not supported (supported: dir, sqlite, command, resource, resources)");
  s.type = *type;
  if (s.type == source_type::resource) return parse_resource_source(n, s);
  if (s.type == source_type::dir)
    check_keys(n, {"type", "path", "name", "exclude", "exclude_from", "exclude_caches", "exclude_if_present",
                   "one_file_system", "post_restore"},
               "dir source");
  else if (s.type == source_type::sqlite)
    check_keys(n, {"type", "path", "name", "post_restore"}, "sqlite source");
  else
    check_keys(n, {"type", "command", "name", "output", "post_restore", "restore_command", "timeout"},
               "command source");
  if (s.type == source_type::command) {
    if (!n["command"]) error_at(n, "a command source needs a command (its standard output is backed up)");
    s.command = scalar(n["command"], "command");
    if (s.command.empty()) error_at(n["command"], "the command is empty");
    s.where = where(n["command"]);
    if (!n["name"]) error_at(n, "a command source needs a name (its folder in the checkpoint)");
  } else {
    if (!n["path"]) error_at(n, "a " + word + " source needs a path");
    s.path = path_of(n["path"], "source path");
    s.where = where(n["path"]);
  }
  if (n["name"]) {
    s.name = scalar(n["name"], "source name");
    check_name(n["name"], s.name, "source name");
  } else {
    s.name = s.path.filename().string();
    if (s.name.empty()) s.name = "root";
  }
  if (s.type == source_type::command) {
    s.output = n["output"] ? scalar(n["output"], "output") : s.name + ".out";
    check_name(n["output"] ? n["output"] : n["name"], s.output, "output");
    if (n["timeout"]) {
      s.timeout = static_cast<uint32_t>(number(n["timeout"], "timeout", 7 * 24 * 3600));
      if (s.timeout == 0) error_at(n["timeout"], "timeout must be at least 1 second (leave it out for no limit)");
    }
    if (n["restore_command"]) {
      s.restore_command = scalar(n["restore_command"], "restore_command");
      s.restore_command_where = where(n["restore_command"]);
      if (s.restore_command.empty()) error_at(n["restore_command"], "the restore_command is empty (leave it out for none)");
    }
  }
  if (n["exclude"]) s.exclude = string_list(n["exclude"], "exclude");
  if (n["exclude_from"]) read_exclude_file(n["exclude_from"], s);
  if (n["exclude_caches"]) s.exclude_caches = flag(n["exclude_caches"], "exclude_caches");
  if (n["exclude_if_present"]) {
    s.exclude_if_present = string_list(n["exclude_if_present"], "exclude_if_present");
    for (const auto& name : s.exclude_if_present)
      if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
        error_at(n["exclude_if_present"], "exclude_if_present entries are file names (no '/'), not \"" + name + "\"");
  }
  if (n["one_file_system"]) s.one_file_system = flag(n["one_file_system"], "one_file_system");
  if (n["post_restore"]) s.post_restore = scalar(n["post_restore"], "post_restore");
  return s;
}

source_config parser::resource_source(const resource_config& r, const location& where) const {
  source_config s;
  s.type = source_type::resource;
  s.name = r.name;
  s.resource = std::make_shared<const resource_config>(r);
  s.where = where;
  return s;
}

// `{type: resource, name: NAME}` names one registered resource; `{type:
// resources}` stands for all of them and is expanded by parse_plan.
source_config parser::parse_resource_source(const YAML::Node& n, source_config& s) const {
  check_keys(n, {"type", "name"}, "resource source");
  if (!n["name"]) error_at(n, "a resource source needs the name of a resource (resources.d/NAME.yaml)");
  auto name = scalar(n["name"], "resource name");
  check_name(n["name"], name, "resource name");
  for (const auto& r : resources_)
    if (r.name == name) return resource_source(r, where(n["name"]));
  error_at(n["name"], "no resource \"" + name + "\" is registered (" + (base_ / "resources.d" / (name + ".yaml")).string() +
                        " does not exist)");
}

plan_config parser::parse_plan(const std::string& name, const YAML::Node& key, const YAML::Node& n,
                               const std::vector<target_config>& targets) const {
  plan_config p;
  p.name = name;
  p.where = where(key);
  check_name(key, name, "plan name");
  expect_map(n, "plan \"" + name + "\"");
  check_keys(n, {"sources", "targets", "schedule", "keep", "before", "after", "on_failure", "readers"},
             "plan \"" + name + "\"");
  if (n["readers"]) {
    p.readers = static_cast<size_t>(number(n["readers"], "readers", 64));
    if (p.readers == 0) error_at(n["readers"], "readers must be a whole number from 1 to 64");
  }
  if (n["before"]) p.before = scalar(n["before"], "before");
  if (n["after"]) p.after = scalar(n["after"], "after");
  if (n["on_failure"]) p.on_failure = scalar(n["on_failure"], "on_failure");
  if (n["keep"]) {
    const auto& k = n["keep"];
    std::string what = "keep of plan \"" + name + "\"";
    expect_map(k, what);
    check_keys(k, {"last", "hourly", "daily", "weekly", "monthly", "yearly", "within"}, what);
    auto count = [&](const char* key, int& out) {
      if (k[key]) out = static_cast<int>(number(k[key], std::string(key), 100000));
    };
    count("last", p.keep.last);
    count("hourly", p.keep.hourly);
    count("daily", p.keep.daily);
    count("weekly", p.keep.weekly);
    count("monthly", p.keep.monthly);
    count("yearly", p.keep.yearly);
    if (k["within"]) {
      auto d = parse_duration(scalar(k["within"], "within"));
      if (!d) error_at(k["within"], what + ": " + d.error().message());
      p.keep.within = *d;
    }
    if (p.keep.empty())
      error_at(k, what + " keeps nothing: give at least one of last, hourly, daily, weekly, monthly, yearly, within");
  }
  if (n["schedule"]) {
    auto when = parse_schedule(scalar(n["schedule"], "schedule"));
    if (!when) error_at(n["schedule"], "plan \"" + name + "\": " + when.error().message());
    p.when = std::move(*when);
  }
  if (!n["sources"] || !n["sources"].IsSequence() || n["sources"].size() == 0)
    error_at(n["sources"] ? n["sources"] : key, "plan \"" + name + "\" needs a list of sources");
  std::set<std::string> names;
  for (const auto& s : n["sources"]) {
    auto src = parse_source(s);
    if (!src) {
      if (resources_.empty())
        error_at(s, "plan \"" + name + "\" includes every registered resource, and none is registered in " +
                      (base_ / "resources.d").string());
      for (const auto& r : resources_) {
        auto one = resource_source(r, where(s));
        if (!names.insert(one.name).second)
          error_at(s, "two sources of plan \"" + name + "\" are named \"" + one.name + "\"; give one a different name:");
        p.sources.push_back(std::move(one));
      }
      continue;
    }
    if (!names.insert(src->name).second)
      error_at(s, "two sources of plan \"" + name + "\" are named \"" + src->name +
                    "\"; give one a different name:");
    p.sources.push_back(std::move(*src));
  }
  if (!n["targets"]) error_at(key, "plan \"" + name + "\" needs a list of targets");
  if (!n["targets"].IsSequence() || n["targets"].size() == 0)
    error_at(n["targets"], "plan \"" + name + "\" needs a list of targets");
  for (const auto& t : n["targets"]) {
    auto tname = scalar(t, "target name");
    bool known = false;
    for (const auto& def : targets) known = known || def.name == tname;
    if (!known) error_at(t, "plan \"" + name + "\" names unknown target \"" + tname + "\"");
    p.targets.push_back(tname);
  }
  return p;
}

}  // namespace cairn::config::detail
