#include "actors/keyring.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>

#include "actors/error.hpp"
#include "crypto/keyfile.hpp"

namespace cairn::actors {

namespace {

expected<crypto::secret> read_password_file(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return fail(errc::invalid_input, "cannot read password_file " + file.string());
  std::string line;
  std::getline(in, line);
  auto s = crypto::secret::copy_of(as_bytes(line));
  explicit_bzero(line.data(), line.size());
  if (s.empty()) return fail(errc::invalid_input, "password_file " + file.string() + " is empty");
  return s;
}

expected<crypto::secret> prompt(const char* question) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return fail(errc::auth,
                "password mode needs CAIRN_PASSWORD, a password_file or a terminal to ask on");
  (void)::write(fd, question, std::strlen(question));
  struct termios old {};
  tcgetattr(fd, &old);
  struct termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(fd, TCSAFLUSH, &quiet);
  crypto::secret buf(1024);
  size_t n = 0;
  char c;
  while (n < buf.size() && ::read(fd, &c, 1) == 1 && c != '\n') buf.data()[n++] = static_cast<uint8_t>(c);
  tcsetattr(fd, TCSAFLUSH, &old);
  (void)::write(fd, "\n", 1);
  ::close(fd);
  auto s = crypto::secret::copy_of(byte_view(buf.data(), n));
  if (s.empty()) return fail(errc::auth, "no password given");
  return s;
}

expected<crypto::secret> password(const keyring_options& o, bool creating) {
  if (const char* env = std::getenv("CAIRN_PASSWORD"); env && *env)
    return crypto::secret::copy_of(as_bytes(env));
  if (!o.config.password_file.empty() && !o.ask_password) return read_password_file(o.config.password_file);
  CAIRN_ASSIGN(auto first, prompt(creating ? "New repository password: " : "Repository password: "));
  if (creating) {
    CAIRN_ASSIGN(auto again, prompt("Repeat the password: "));
    if (!first.equals(again)) return fail(errc::auth, "the passwords differ");
  }
  return first;
}

}  // namespace

expected<crypto::credential> load_credential(const keyring_options& o, bool creating) {
  if (o.keyfile) {
    auto key = crypto::read_keyfile(*o.keyfile);
    if (!key) return fail(key.error());
    return crypto::credential{crypto::slot_kind::keyfile, std::move(*key), "keyfile " + o.keyfile->string()};
  }
  if (o.ask_password || o.config.mode == "password") {
    CAIRN_ASSIGN(auto pw, password(o, creating));
    return crypto::credential{crypto::slot_kind::password, std::move(pw), "password"};
  }
  if (o.config.mode == "keyfile") {
    const auto& path = o.config.keyfile;
    auto key = crypto::read_keyfile(path);
    if (!key && key.error().code() == errc::not_found && creating) key = crypto::create_keyfile(path);
    if (!key && key.error().code() == errc::not_found)
      return fail(errc::auth, "keyfile " + path.string() +
                                " does not exist: cairn init creates it; on a new machine, copy your saved keyfile there");
    if (!key) return fail(key.error());
    return crypto::credential{crypto::slot_kind::keyfile, std::move(*key), "keyfile " + path.string()};
  }
  if (o.config.mode == "tpm")
    return fail(errc::unsupported,
                "keyring mode tpm is not available in this build yet; use keyfile or password");
  return fail(errc::invalid_input, "keyring mode " + o.config.mode + " has no credential");
}

keyring_actor::behavior_type keyring(keyring_actor::stateful_pointer<keyring_state> self,
                                     keyring_options options) {
  self->state.options = std::move(options);
  auto credential = [self](bool creating) -> expected<const crypto::credential*> {
    if (!self->state.credential) {
      auto c = load_credential(self->state.options, creating);
      if (!c) return fail(c.error());
      self->state.credential = std::move(*c);
    }
    return &*self->state.credential;
  };
  return {
    [=](atom::unlock, const unlock_request& r) -> caf::result<key_handle> {
      if (r.encryption == crypto::encryption::none) return key_handle{nullptr};
      if (self->state.options.config.mode == "none" && !self->state.options.keyfile &&
          !self->state.options.ask_password)
        return to_caf(error{errc::auth, r.target + ": the repository is encrypted but keyring mode is none"});
      auto cred = credential(false);
      if (!cred) return to_caf(cred.error());
      auto master = crypto::open_key_slots(r.slots, **cred, r.repository_id);
      if (!master) return to_caf(master.error().with_context(r.target));
      return key_handle{crypto::derive_repository_keys(std::move(*master))};
    },
    [=](atom::create, const std::string& repository_id) -> caf::result<new_keys> {
      if (self->state.options.config.mode == "none")
        return new_keys{crypto::encryption::none, nullptr, {}};
      auto cred = credential(true);
      if (!cred) return to_caf(cred.error());
      auto keys = crypto::new_repository_keys();
      std::vector<crypto::key_slot> slots{crypto::make_key_slot(**cred, keys->master, repository_id)};
      return new_keys{crypto::encryption::aes256gcm, keys, std::move(slots)};
    },
  };
}

}  // namespace cairn::actors
