#include "cli/key_generate.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "service/key_generate.hpp"

namespace cairn::cli {

int key_generate_command(const output& out, const std::string& path, bool passphrase) {
  auto r = service::generate_key(path, passphrase);
  if (!r) {
    print_error(out, r.error());
    return exit_code_of(r.error());
  }
  if (out.json) {
    std::cout << nlohmann::json{{"public_key", r->public_key}, {"private_key_file", r->private_key_file.string()},
                                {"passphrase", r->passphrase}}.dump()
              << "\n";
    return exit_ok;
  }
  std::cerr << "Private key written to " << path << " (mode 0600"
            << (passphrase ? ", protected by the passphrase" : "") << ").\n"
            << "It opens every backup sealed to the public key below: keep it (and a copy) off the\n"
            << "machines that back up. On those, set keyring.mode: write-only and keyring.public_key:\n";
  std::cout << r->public_key << "\n";
  return exit_ok;
}

}  // namespace cairn::cli
