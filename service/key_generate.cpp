#include "service/key_generate.hpp"

#include "actors/keyring.hpp"
#include "crypto/private_key_file.hpp"

namespace cairn::service {

expected<generated_key> generate_key(const std::filesystem::path& path, bool passphrase) {
  auto pair = crypto::generate_key_pair();
  std::optional<crypto::secret> phrase;
  if (passphrase) {
    CAIRN_ASSIGN(phrase, actors::ask_new_passphrase("Passphrase for the private key: "));
  }
  std::optional<std::string_view> text;
  if (phrase) text = as_chars(phrase->view());
  CAIRN_TRY(crypto::write_private_key_file(path, pair, text));
  return generated_key{crypto::format_public_key(pair.pub), path, passphrase};
}

}  // namespace cairn::service
