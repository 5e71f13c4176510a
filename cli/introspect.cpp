#include "cli/introspect.hpp"

#include <CLI/CLI.hpp>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/version.hpp"
#include "catalog/catalog.hpp"
#include "config/suite_config.hpp"

namespace cairn::cli {

namespace {

namespace fs = std::filesystem;

// Text for roff: backslashes and a leading dot or quote would be requests.
std::string roff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

// An option's name for roff: -c, --config with their hyphens as \-.
std::string dashes(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '-' ? std::string("\\-") : std::string(1, c);
  return out;
}

std::string option_names(const CLI::Option& o) {
  std::string out;
  for (const auto& s : o.get_snames()) out += (out.empty() ? "" : ", ") + ("\\fB" + dashes("-" + s) + "\\fR");
  for (const auto& l : o.get_lnames()) out += (out.empty() ? "" : ", ") + ("\\fB" + dashes("--" + l) + "\\fR");
  if (o.get_type_size() != 0 && !o.get_option_text().empty()) out += " \\fI" + roff(o.get_option_text()) + "\\fR";
  return out;
}

// Lines as they are (examples are aligned by hand in the help text).
std::string lines(const std::string& text) {
  std::vector<std::string> all;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) all.push_back(line);
  std::string out;
  for (size_t i = 0; i < all.size(); ++i) {
    out += roff(all[i]) + "\n";
    // A line that starts with a blank breaks by itself.
    if (i + 1 < all.size() && all[i + 1].rfind(' ', 0) != 0) out += ".br\n";
  }
  return out;
}

std::string page_name(const std::vector<std::string>& path) {
  std::string out = "cairn";
  for (const auto& p : path) out += "-" + p;
  return out;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string header(const std::string& name, int section, const std::string& summary) {
  char date[16];
  std::time_t now = std::time(nullptr);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) now = static_cast<std::time_t>(std::atoll(epoch));
  std::strftime(date, sizeof date, "%Y-%m-%d", std::gmtime(&now));
  return ".TH " + upper(name) + " " + std::to_string(section) + " " + date + " \"cairn " + program_version +
         "\" \"Cairn manual\"\n.SH NAME\n" + name + " \\- " + roff(summary) + "\n";
}

std::string options_section(const CLI::App& app, const char* title) {
  std::string out;
  for (const auto* o : app.get_options()) {
    if (!o->nonpositional() || o->get_lnames() == std::vector<std::string>{"help"}) continue;
    out += ".TP\n" + option_names(*o) + "\n" + roff(o->get_description()) + "\n";
  }
  return out.empty() ? "" : std::string(".SH ") + title + "\n" + out;
}

std::string inline_markdown(const std::string& md);
std::vector<std::string> cells(const std::string& row);

// The README's "Commands" table: what each command does at length, by the
// rows whose first cell starts with the command ("`cairn key add ...`").
std::string readme_rows(const std::string& readme, const std::vector<std::string>& path) {
  std::string command = "`cairn", out, line;
  for (const auto& p : path) command += " " + p;
  std::istringstream in(readme);
  while (std::getline(in, line)) {
    if (line.rfind("| " + command, 0) != 0) continue;
    char next = line.size() > command.size() + 2 ? line[command.size() + 2] : ' ';
    if (next != ' ' && next != '`') continue;
    auto c = cells(line);
    if (c.size() >= 2) out += ".PP\n" + ("\\&" + inline_markdown(c[0])) + ":\n" + ("\\&" + inline_markdown(c[1])) + "\n";
  }
  return out;
}

std::string command_page(const CLI::App& cmd, const std::vector<std::string>& path, const std::string& readme) {
  std::string out = header(page_name(path), 1, cmd.get_description());
  std::string usage = "cairn";
  for (const auto& p : path) usage += " " + p;
  out += ".SH SYNOPSIS\n.B " + usage + "\n";
  auto subs = cmd.get_subcommands({});
  if (!subs.empty()) out += "\\fICOMMAND\\fR\n";
  for (const auto* o : cmd.get_options())
    if (o->get_positional())
      out += (o->get_required() ? "\\fI" : "[\\fI") + roff(o->get_option_text().empty() ? o->get_name() : o->get_option_text()) +
             (o->get_required() ? "\\fR\n" : "\\fR]\n");
  out += "[\\fIOPTIONS\\fR]\n.SH DESCRIPTION\n" + roff(cmd.get_description()) + ".\n" + readme_rows(readme, path);
  if (!cmd.get_footer().empty()) out += ".PP\n" + lines(cmd.get_footer());
  if (!subs.empty()) {
    out += ".SH COMMANDS\n";
    for (const auto* s : subs) {
      auto sub = path;
      sub.push_back(s->get_name());
      out += ".TP\n.BR " + page_name(sub) + " (1)\n" + roff(s->get_description()) + "\n";
    }
  }
  out += options_section(cmd, "OPTIONS");
  out += ".SH SEE ALSO\n.BR cairn (1),\n.BR cairn.yaml (5)\n";
  return out;
}

void walk(const CLI::App& cmd, std::vector<std::string> path, const std::string& readme,
          std::vector<std::pair<std::string, std::string>>& pages) {
  pages.emplace_back(page_name(path) + ".1", command_page(cmd, path, readme));
  for (const auto* s : cmd.get_subcommands({})) {
    auto sub = path;
    sub.push_back(s->get_name());
    walk(*s, sub, readme, pages);
  }
}

std::string main_page(const CLI::App& app) {
  std::string out = header("cairn", 1, "deduplicated, compressed, encrypted backups");
  out += ".SH SYNOPSIS\n.B cairn\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]\n";
  out += ".SH DESCRIPTION\n" + lines(app.get_description());
  out += ".SH COMMANDS\n";
  for (const auto* s : app.get_subcommands({}))
    out += ".TP\n.BR " + page_name({s->get_name()}) + " (1)\n" + roff(s->get_description()) + "\n";
  out += options_section(app, "GLOBAL OPTIONS");
  out += ".TP\n\\fB\\-\\-version\\fR\nPrint the version and the repository format.\n";
  out += ".SH EXIT STATUS\n" + lines(app.get_footer());
  out += ".SH FILES\n.TP\n.I /etc/cairn/cairn.yaml\nThe configuration; see\n.BR cairn.yaml (5).\n";
  out += ".SH ENVIRONMENT\n.TP\n.B CAIRN_CONFIG\nThe configuration when \\fB\\-c\\fR is not given.\n"
         ".TP\n.B CAIRN_PASSWORD\nThe password in password mode.\n"
         ".TP\n.B CAIRN_ARCHIVE_PASSPHRASE\nThe passphrase of an archive (export, restore and ls --archive).\n";
  out += ".SH SEE ALSO\n.BR cairn.yaml (5)\n";
  return out;
}

// Markdown of the README (inline code, bold, links, escaped pipes) as roff.
std::string inline_markdown(const std::string& md) {
  std::string out;
  bool code = false;
  for (size_t i = 0; i < md.size(); ++i) {
    char c = md[i];
    if (c == '`') {
      out += code ? "\\fR" : "\\fB";
      code = !code;
    } else if (!code && c == '*' && i + 1 < md.size() && md[i + 1] == '*') {
      ++i;  // bold outside code: the man page keeps the words plain
    } else if (c == '\\' && i + 1 < md.size() && md[i + 1] == '|') {
      out += '|';
      ++i;
    } else if (c == '\\') {
      out += "\\e";
    } else if (c == '-' && code) {
      out += "\\-";
    } else {
      out += c;
    }
  }
  return out;
}

// A table row "| a | b |" split at pipes that are not escaped.
std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::string cell;
  for (size_t i = 1; i < row.size(); ++i) {
    if (row[i] == '\\' && i + 1 < row.size() && row[i + 1] == '|') {
      cell += "\\|";
      ++i;
    } else if (row[i] == '|') {
      auto a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      out.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
      cell.clear();
    } else {
      cell += row[i];
    }
  }
  return out;
}

std::string yaml_page(const std::string& readme) {
  std::string out = header("cairn.yaml", 5, "the configuration of Cairn");
  out += ".SH SYNOPSIS\n/etc/cairn/cairn.yaml\n.SH DESCRIPTION\n";
  std::istringstream in(readme);
  std::string line, paragraph;
  bool inside = false, table = false;
  auto flush = [&] {
    bool first = out.size() >= 16 && out.compare(out.size() - 16, 16, ".SH DESCRIPTION\n") == 0;
    if (!paragraph.empty()) out += (first ? "" : ".PP\n") + ("\\&" + inline_markdown(paragraph)) + "\n";
    paragraph.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) {
      if (inside) break;
      inside = line == "## Configuration";
      continue;
    }
    if (!inside) continue;
    if (line.rfind("|", 0) == 0) {
      flush();
      auto c = cells(line);
      if (c.size() < 2 || c[0] == "key" || c[0].rfind("---", 0) == 0) continue;
      if (!table) out += ".SH KEYS\n";
      table = true;
      out += ".TP\n" + ("\\&" + inline_markdown(c[0])) + "\n" + ("\\&" + inline_markdown(c[1])) + "\n";
    } else if (line.empty()) {
      flush();
    } else {
      paragraph += (paragraph.empty() ? "" : " ") + line;
    }
  }
  flush();
  out += ".SH EXAMPLE\nA commented configuration to start from:\n.PP\n.EX\ncairn config example > /etc/cairn/cairn.yaml\n"
         "cairn config check\n.EE\n.SH SEE ALSO\n.BR cairn (1),\n.BR cairn-config-check (1)\n";
  return out;
}

const CLI::Option* find_option(const CLI::App* cmd, const std::string& word) {
  for (; cmd; cmd = cmd->get_parent())
    for (const auto* o : cmd->get_options())
      if (o->nonpositional() && o->check_name(word)) return o;
  return nullptr;
}

std::vector<std::string> plan_or_target_names(const std::string& config_file, bool plans) {
  std::vector<std::string> out;
  auto c = config::load_config(config_file);
  if (!c) return out;
  if (plans)
    for (const auto& p : c->plans) out.push_back(p.name);
  else
    for (const auto& t : c->targets) out.push_back(t.name);
  return out;
}

// Checkpoint id prefixes from the catalog (read-only; nothing when there is none).
std::vector<std::string> checkpoint_ids(const std::string& config_file) {
  std::vector<std::string> out{"latest"};
  auto c = config::load_config(config_file);
  std::error_code ec;
  if (!c || !fs::exists(catalog::catalog::file_of(c->state_dir), ec)) return out;
  auto cat = catalog::catalog::open(c->state_dir, true);
  if (!cat) return out;
  auto rows = (*cat)->checkpoints("", "");
  if (rows)
    for (const auto& r : *rows) out.push_back(r.id.substr(0, 8));
  return out;
}

bool file_valued(const CLI::Option& o) {
  for (const auto& name : {"config", "keyfile", "to", "suite-file", "state-dir", "config-out", "identity", "known-hosts"})
    if (o.check_lname(name)) return true;
  return false;
}

}  // namespace

int complete(const CLI::App& app, const std::vector<std::string>& words,
             const std::function<std::string(const std::vector<std::string>&)>& config_file) {
  if (words.empty()) return 0;
  const CLI::App* cmd = &app;
  size_t positionals = 0;
  const CLI::Option* pending = nullptr;  // an option whose value is the next word
  for (size_t i = 0; i + 1 < words.size(); ++i) {
    const auto& w = words[i];
    if (pending) {
      pending = nullptr;
    } else if (w.size() > 1 && w[0] == '-') {
      auto o = find_option(cmd, w.substr(0, w.find('=')));
      if (o && o->get_type_size() != 0 && w.find('=') == std::string::npos) pending = o;
    } else if (auto subs = cmd->get_subcommands([&](const CLI::App* s) { return s->get_name() == w; }); !subs.empty()) {
      cmd = subs.front();
      positionals = 0;
    } else {
      ++positionals;
    }
  }
  const auto& current = words.back();
  std::vector<std::string> candidates;
  if (pending) {
    if (pending->check_lname("plan")) candidates = plan_or_target_names(config_file(words), true);
    else if (pending->check_lname("target")) candidates = plan_or_target_names(config_file(words), false);
    else if (pending->check_lname("id")) candidates = checkpoint_ids(config_file(words));
    else if (file_valued(*pending)) candidates = {"__files__"};
  } else if (!current.empty() && current[0] == '-') {
    for (const CLI::App* c = cmd; c; c = c->get_parent())
      for (const auto* o : c->get_options()) {
        for (const auto& l : o->get_lnames()) candidates.push_back("--" + l);
        for (const auto& s : o->get_snames()) candidates.push_back("-" + s);
      }
  } else {
    for (const auto* s : cmd->get_subcommands({})) candidates.push_back(s->get_name());
    auto name = cmd->get_name();
    auto parent = cmd->get_parent() ? cmd->get_parent()->get_name() : "";
    if (name == "backup" || name == "forget" || ((name == "run" || name == "cancel" || name == "pause" || name == "resume") && positionals == 0))
      candidates = plan_or_target_names(config_file(words), true);
    else if ((name == "ls" || name == "restore") && positionals == 0)
      candidates = checkpoint_ids(config_file(words));
    else if (name == "diff" && positionals < 2)
      candidates = checkpoint_ids(config_file(words));
    else if (name == "bootstrap" && positionals == 0)
      candidates = {"__files__"};
  }
  for (const auto& c : candidates)
    if (c == "__files__" || c.rfind(current, 0) == 0) std::cout << c << "\n";
  return 0;
}

int write_man_pages(const CLI::App& app, const fs::path& dir, const fs::path& readme) {
  std::ifstream r(readme);
  if (!r) {
    std::cerr << "cairn help-man: cannot read " << readme << "\n";
    return 2;
  }
  std::stringstream text;
  text << r.rdbuf();
  std::vector<std::pair<std::string, std::string>> pages{{"cairn.1", main_page(app)},
                                                         {"cairn.yaml.5", yaml_page(text.str())}};
  for (const auto* s : app.get_subcommands({})) walk(*s, {s->get_name()}, text.str(), pages);
  std::error_code ec;
  fs::create_directories(dir, ec);
  for (const auto& [name, body] : pages) {
    std::ofstream out(dir / name);
    out << body;
    if (!out.flush()) {
      std::cerr << "cairn help-man: cannot write " << (dir / name) << "\n";
      return 1;
    }
  }
  return 0;
}

}  // namespace cairn::cli
