// What is derived from the command-line parser itself, so that it never
// disagrees with --help: the man pages (`cairn help-man`, run at build time)
// and shell completion (`cairn __complete`, called by the bash and zsh
// scripts in completions/). Both are hidden commands. Single-threaded.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cairn::cli {

// Writes cairn.1, cairn-COMMAND.1 (cairn-key-add.1, ...) from the parser and
// cairn.yaml.5 from the README's "Configuration" section into `dir`.
// Returns an exit code; names what it cannot read or write.
int write_man_pages(const CLI::App& app, const std::filesystem::path& dir, const std::filesystem::path& readme);

// Prints the candidates for the last word of `words` (the words after
// "cairn", the last one being completed, maybe empty), one a line: commands,
// options, plan and target names of the YAML in use, checkpoint ids. A value
// that is a file prints nothing but "__files__" (the shell completes it).
// `config_file` gives the YAML for the words (their -c, $CAIRN_CONFIG, ...).
int complete(const CLI::App& app, const std::vector<std::string>& words,
             const std::function<std::string(const std::vector<std::string>&)>& config_file);

}  // namespace cairn::cli
