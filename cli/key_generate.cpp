#include "cli/key_generate.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "actors/keyring.hpp"
#include "cli/exit_codes.hpp"
#include "crypto/private_key_file.hpp"

namespace cairn::cli {

int key_generate_command(const output& out, const std::string& path, bool passphrase) {
  auto pair = crypto::generate_key_pair();
  std::optional<crypto::secret> phrase;
  if (passphrase) {
    auto p = actors::ask_new_passphrase("Passphrase for the private key: ");
    if (!p) {
      print_error(out, p.error());
      return exit_code_of(p.error());
    }
    phrase = std::move(*p);
  }
  std::optional<std::string_view> text;
  if (phrase) text = as_chars(phrase->view());
  if (auto st = crypto::write_private_key_file(path, pair, text); !st) {
    print_error(out, st.error());
    return exit_code_of(st.error());
  }
  auto pub = crypto::format_public_key(pair.pub);
  if (out.json) {
    std::cout << nlohmann::json{{"public_key", pub}, {"private_key_file", path},
                                {"passphrase", passphrase}}.dump()
              << "\n";
    return exit_ok;
  }
  std::cerr << "Private key written to " << path << " (mode 0600"
            << (passphrase ? ", protected by the passphrase" : "") << ").\n"
            << "It opens every backup sealed to the public key below: keep it (and a copy) off the\n"
            << "machines that back up. On those, set keyring.mode: write-only and keyring.public_key:\n";
  std::cout << pub << "\n";
  return exit_ok;
}

}  // namespace cairn::cli
