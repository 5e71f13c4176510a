#include "actors/keyring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "actors/error.hpp"
#include "crypto/keyfile.hpp"
#include "crypto/private_key_file.hpp"

namespace cairn::actors {

namespace {

using self_ptr = keyring_actor::stateful_pointer<keyring_state>;

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
  (void)!::write(fd, question, std::strlen(question));
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
  (void)!::write(fd, "\n", 1);
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

// A password for a new slot (key add, key passwd): CAIRN_NEW_PASSWORD or a prompt.
expected<crypto::secret> ask_new_password() {
  if (const char* env = std::getenv("CAIRN_NEW_PASSWORD"); env && *env)
    return crypto::secret::copy_of(as_bytes(env));
  CAIRN_ASSIGN(auto first, prompt("New password for the key slot: "));
  CAIRN_ASSIGN(auto again, prompt("Repeat the password: "));
  if (!first.equals(again)) return fail(errc::auth, "the passwords differ");
  return first;
}

expected<crypto::credential> keyfile_credential(const std::filesystem::path& path, bool create) {
  auto key = crypto::read_keyfile(path);
  if (!key && key.error().code() == errc::not_found && create) key = crypto::create_keyfile(path);
  if (!key && key.error().code() == errc::not_found)
    return fail(errc::auth, "keyfile " + path.string() +
                              " does not exist: cairn init creates it; on a new machine, copy your saved keyfile there");
  if (!key) return fail(key.error());
  return crypto::credential{crypto::slot_kind::keyfile, std::move(*key), "keyfile " + path.string()};
}

// ---- TPM ------------------------------------------------------------------

std::filesystem::path sealed_file(const keyring_options& o) { return o.state_dir / "tpm-sealed.json"; }
std::string tcti(const keyring_options& o) { return crypto::resolve_tcti(o.config.tcti); }

status save_sealed(const std::filesystem::path& file, const crypto::tpm_sealed& s) {
  nlohmann::json j{{"public", to_base64(s.public_area)}, {"private", to_base64(s.private_area)},
                   {"pcrs", s.pcrs}};
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump() << "\n";
    if (!out) return fail(errc::io, "cannot write " + tmp);
  }
  ::chmod(tmp.c_str(), 0600);
  if (::rename(tmp.c_str(), file.c_str()) != 0) return fail(errc::io, "cannot write " + file.string());
  return {};
}

std::optional<crypto::tpm_sealed> load_sealed(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto pub = from_base64(j.value("public", ""));
  auto priv = from_base64(j.value("private", ""));
  if (!pub || !priv) return std::nullopt;
  return crypto::tpm_sealed{*pub, *priv, j.value("pcrs", std::vector<int>{})};
}

crypto::credential tpm_cred(crypto::secret s) {
  return crypto::credential{crypto::slot_kind::tpm, std::move(s), "this machine's TPM"};
}

// This machine's TPM secret: unsealed from state_dir, or (when allowed) a new
// one sealed now. A sealed key that no longer unseals is replaced only when
// `create` (init, key add --tpm).
status machine_tpm(self_ptr self, bool create) {
  auto& st = self->state;
  if (st.tpm) return {};
  const auto& o = st.options;
  if (auto sealed = load_sealed(sealed_file(o))) {
    auto value = crypto::tpm_unseal(tcti(o), *sealed);
    if (value) {
      st.tpm = tpm_cred(std::move(*value));
      st.tpm_sealed = *sealed;
      return {};
    }
    if (!create || value.error().code() == errc::tpm_unavailable || value.error().code() == errc::tpm_lockout)
      return fail(value.error());
  }
  if (!create) return fail(errc::auth, "this machine has no sealed TPM key yet (run: cairn key add --tpm)");
  auto value = crypto::secret::random(32);
  CAIRN_ASSIGN(auto sealed, crypto::tpm_seal(tcti(o), value, o.config.pcrs));
  CAIRN_TRY(save_sealed(sealed_file(o), sealed));
  st.tpm = tpm_cred(std::move(value));
  st.tpm_sealed = std::move(sealed);
  return {};
}

crypto::key_slot tpm_slot(self_ptr self, const crypto::secret& master, const std::string& repo_id) {
  auto& st = self->state;
  auto slot = crypto::make_key_slot(*st.tpm, master, repo_id);
  slot.pcrs = st.tpm_sealed->pcrs;
  slot.tpm_public = st.tpm_sealed->public_area;
  slot.tpm_private = st.tpm_sealed->private_area;
  return slot;
}

// Opens through the TPM slots: each carries its own sealed key, so a reinstall
// on the same machine opens without state_dir. The secret and the slot's id.
expected<std::pair<crypto::secret, std::string>> open_tpm_slots(self_ptr self, const unlock_request& r) {
  auto& st = self->state;
  std::string used;
  if (st.tpm)
    if (auto master = crypto::open_key_slots(r.slots, *st.tpm, r.repository_id, &used))
      return std::pair{std::move(*master), used};
  std::optional<error> last;
  for (const auto& slot : r.slots) {
    if (slot.kind != crypto::slot_kind::tpm) continue;
    auto value = crypto::tpm_unseal(tcti(st.options), {slot.tpm_public, slot.tpm_private, slot.pcrs});
    if (!value) {
      last = value.error();
      continue;
    }
    auto cred = tpm_cred(std::move(*value));
    auto master = crypto::open_key_slots(r.slots, cred, r.repository_id, &used);
    if (!master) continue;
    st.tpm = std::move(cred);
    st.tpm_sealed = crypto::tpm_sealed{slot.tpm_public, slot.tpm_private, slot.pcrs};
    return std::pair{std::move(*master), used};
  }
  if (last) return fail(last->with_context(r.target));
  if (r.encryption == crypto::encryption::x25519)
    return fail(errc::auth, r.target + ": the repository has no TPM key slot that opens on this machine "
                                       "(with the private key: cairn --private-key FILE key add --tpm)");
  return fail(errc::auth, r.target + ": the repository has no TPM key slot that opens; use --keyfile with the recovery keyfile");
}

expected<key_handle> unlock_tpm(self_ptr self, const unlock_request& r) {
  CAIRN_ASSIGN(auto opened, open_tpm_slots(self, r));
  return key_handle{crypto::derive_repository_keys(std::move(opened.first)), opened.second};
}

// ---- Write-only ------------------------------------------------------------

expected<crypto::public_key> configured_public_key(const keyring_options& o) {
  auto k = crypto::parse_public_key(o.config.public_key);
  if (!k) return fail(errc::invalid_input, "keyring.public_key: " + k.error().message());
  return *k;
}

// The machine's writer key: opens the keyfile slot that wraps the writer
// secret of each repository it writes.
expected<crypto::credential> writer_credential(const keyring_options& o, bool create) {
  auto path = writer_key_file(o.state_dir);
  auto key = crypto::read_keyfile(path);
  if (!key && key.error().code() == errc::not_found && create) {
    std::error_code ec;
    std::filesystem::create_directories(o.state_dir, ec);
    key = crypto::create_writer_key(path);
  }
  if (!key && key.error().code() == errc::not_found)
    return fail(errc::auth, "this write-only machine has no writer key " + path.string() +
                              " (cairn init makes it; on a new machine: cairn bootstrap --private-key FILE)");
  if (!key) return fail(key.error());
  return crypto::credential{crypto::slot_kind::keyfile, std::move(*key), "writer key " + path.string()};
}

// --private-key FILE, opened once (its passphrase from
// CAIRN_PRIVATE_KEY_PASSPHRASE or asked).
expected<const crypto::credential*> private_key_credential(self_ptr self) {
  auto& st = self->state;
  if (st.private_key) return &*st.private_key;
  const auto& path = *st.options.private_key;
  CAIRN_ASSIGN(auto file, crypto::read_private_key_file(path));
  crypto::secret pass;
  if (file.passphrase) {
    if (const char* env = std::getenv("CAIRN_PRIVATE_KEY_PASSPHRASE"); env && *env) {
      pass = crypto::secret::copy_of(as_bytes(env));
    } else {
      auto asked = prompt("Passphrase of the private key: ");
      if (!asked)
        return fail(errc::auth, "the private key " + path.string() +
                                  " is protected: set CAIRN_PRIVATE_KEY_PASSPHRASE or type its passphrase on a terminal");
      pass = std::move(*asked);
    }
  }
  CAIRN_ASSIGN(auto key, crypto::open_private_key_file(file, as_chars(pass.view()), path.string()));
  st.private_key = crypto::credential{crypto::slot_kind::public_key, std::move(key), "private key " + path.string()};
  return &*st.private_key;
}

// The keys of a write-only repository from what a slot held: the writer
// secret alone (the machine's slot, the public-key slot) or the writer secret
// and the private key (an administrator's slot, key add).
expected<crypto::key_ptr> write_only_keys(crypto::secret opened, std::optional<crypto::public_key> recipient,
                                          crypto::secret private_key, const std::string& target) {
  if (opened.size() == 2 * crypto::x25519_size) {
    private_key = crypto::secret::copy_of(opened.view().subspan(crypto::x25519_size));
    opened = crypto::secret::copy_of(opened.view().first(crypto::x25519_size));
  }
  if (opened.size() != crypto::x25519_size)
    return fail(errc::corrupt, target + ": a key slot of the write-only repository holds a secret of the wrong size");
  if (!private_key.empty()) {
    auto pub = crypto::public_of(private_key);
    if (recipient && !(*recipient == pub))
      return fail(errc::auth, target + ": the private key is not the one this repository is sealed to");
    recipient = pub;
  }
  if (!recipient) return fail(errc::invalid_input, target + ": a write-only repository and no public key to open it with");
  return crypto::derive_write_only_keys(std::move(opened), *recipient, std::move(private_key));
}

// What a slot of a write-only repository wraps: the writer secret, and the
// private key too when the keys have it (an administrator's slot).
expected<crypto::secret> write_only_slot_value(const crypto::repository_keys& keys) {
  if (keys.private_key.empty())
    return fail(errc::invalid_input,
                "a key slot for a write-only repository opens it for reading, so it needs the private key: "
                "give --private-key FILE");
  crypto::secret v(2 * crypto::x25519_size);
  std::memcpy(v.data(), keys.master.data(), crypto::x25519_size);
  std::memcpy(v.data() + crypto::x25519_size, keys.private_key.data(), crypto::x25519_size);
  return v;
}

expected<const crypto::credential*> credential(self_ptr self, bool creating) {
  auto& st = self->state;
  if (!st.credential) {
    auto c = load_credential(st.options, creating);
    if (!c) return fail(c.error());
    st.credential = std::move(*c);
  }
  return &*st.credential;
}

bool override_given(const keyring_options& o) { return o.keyfile || o.ask_password; }

expected<key_handle> unlock_write_only(self_ptr self, const unlock_request& r) {
  const auto& o = self->state.options;
  auto recipient = r.public_key;
  if (!recipient && o.config.mode == config::keyring_mode::write_only) {
    CAIRN_ASSIGN(auto configured, configured_public_key(o));
    recipient = configured;
  }
  std::string used;
  if (o.private_key) {
    CAIRN_ASSIGN(auto cred, private_key_credential(self));
    auto w = crypto::open_key_slots(r.slots, *cred, r.repository_id, &used);
    if (!w) return fail(w.error().with_context(r.target));
    CAIRN_ASSIGN(auto keys, write_only_keys(std::move(*w), recipient, cred->material, r.target));
    return key_handle{keys, used};
  }
  std::optional<crypto::credential> writer;
  const crypto::credential* cred = nullptr;
  if (o.config.mode == config::keyring_mode::write_only && o.config.tpm && !override_given(o)) {
    CAIRN_ASSIGN(auto opened, open_tpm_slots(self, r));
    CAIRN_ASSIGN(auto keys, write_only_keys(std::move(opened.first), recipient, {}, r.target));
    return key_handle{keys, opened.second};
  }
  if (o.config.mode == config::keyring_mode::write_only && !override_given(o)) {
    CAIRN_ASSIGN(auto w, writer_credential(o, false));
    writer = std::move(w);
    cred = &*writer;
  } else if (o.config.mode == config::keyring_mode::tpm && !override_given(o)) {
    return fail(errc::invalid_input, r.target + ": a write-only repository: open it with --private-key FILE, "
                                                "or --keyfile/--password of an administrator's key slot");
  } else if (o.config.mode == config::keyring_mode::none && !override_given(o)) {
    return fail(errc::auth, r.target + ": the repository is encrypted but keyring mode is none");
  } else {
    CAIRN_ASSIGN(cred, credential(self, false));
  }
  auto w = crypto::open_key_slots(r.slots, *cred, r.repository_id, &used);
  if (!w) return fail(w.error().with_context(r.target));
  CAIRN_ASSIGN(auto keys, write_only_keys(std::move(*w), recipient, {}, r.target));
  return key_handle{keys, used};
}

expected<key_handle> unlock(self_ptr self, const unlock_request& r) {
  if (r.encryption == crypto::encryption::none) return key_handle{nullptr, ""};
  if (r.encryption == crypto::encryption::x25519) return unlock_write_only(self, r);
  const auto& o = self->state.options;
  if (o.config.mode == config::keyring_mode::write_only && !override_given(o))
    return fail(errc::invalid_input, r.target + ": not a write-only repository, but keyring mode is write-only "
                                                "(give --keyfile or --password to open it)");
  if (o.config.mode == config::keyring_mode::tpm && !override_given(o)) return unlock_tpm(self, r);
  if (o.config.mode == config::keyring_mode::none && !override_given(o))
    return fail(errc::auth, r.target + ": the repository is encrypted but keyring mode is none");
  CAIRN_ASSIGN(auto cred, credential(self, false));
  std::string used;
  auto master = crypto::open_key_slots(r.slots, *cred, r.repository_id, &used);
  if (!master) return fail(master.error().with_context(r.target));
  return key_handle{crypto::derive_repository_keys(std::move(*master)), used};
}

expected<new_keys> create(self_ptr self, const std::string& repository_id) {
  const auto& o = self->state.options;
  if (o.config.mode == config::keyring_mode::none) return new_keys{crypto::encryption::none, nullptr, {}};
  if (o.config.mode == config::keyring_mode::write_only) {
    // The writer secret: sealed to the public key (the private key's holder
    // opens everything) and wrapped by this machine's writer key.
    // With keyring.tpm the machine's slot is sealed to its TPM instead.
    CAIRN_ASSIGN(auto pub, configured_public_key(o));
    auto w = crypto::secret::random(crypto::x25519_size);
    std::vector<crypto::key_slot> wo_slots{crypto::make_public_key_slot(pub, w, repository_id)};
    if (o.config.tpm) {
      CAIRN_TRY(machine_tpm(self, true));
      wo_slots.push_back(tpm_slot(self, w, repository_id));
    } else {
      CAIRN_ASSIGN(auto writer, writer_credential(o, true));
      wo_slots.push_back(crypto::make_key_slot(writer, w, repository_id));
    }
    return new_keys{crypto::encryption::x25519, crypto::derive_write_only_keys(std::move(w), pub), std::move(wo_slots)};
  }
  auto keys = crypto::new_repository_keys();
  std::vector<crypto::key_slot> slots;
  if (o.config.mode == config::keyring_mode::tpm) {
    CAIRN_TRY(machine_tpm(self, true));
    slots.push_back(tpm_slot(self, keys->master, repository_id));
    // Always a recovery keyfile: a TPM does not move to new hardware.
    CAIRN_ASSIGN(auto recovery, keyfile_credential(o.config.recovery_keyfile, true));
    slots.push_back(crypto::make_key_slot(recovery, keys->master, repository_id));
  } else {
    CAIRN_ASSIGN(auto cred, credential(self, true));
    slots.push_back(crypto::make_key_slot(*cred, keys->master, repository_id));
  }
  return new_keys{crypto::encryption::aes256gcm, keys, std::move(slots)};
}

expected<crypto::key_slot> add_slot(self_ptr self, const slot_request& r) {
  crypto::secret wo_value;
  const auto& o = self->state.options;
  bool writer_tpm = o.config.mode == config::keyring_mode::write_only && o.config.tpm;
  if (r.keys->recipient && r.kind == crypto::slot_kind::tpm && writer_tpm) {
    wo_value = r.keys->master;  // this write-only machine's TPM: it writes, never reads
  } else if (r.keys->recipient && r.kind != crypto::slot_kind::public_key) {
    CAIRN_ASSIGN(wo_value, write_only_slot_value(*r.keys));
  }
  const auto& master = r.keys->recipient ? wo_value : r.keys->master;
  switch (r.kind) {
    case crypto::slot_kind::keyfile: {
      CAIRN_ASSIGN(auto cred, keyfile_credential(r.keyfile, true));
      return crypto::make_key_slot(cred, master, r.repository_id);
    }
    case crypto::slot_kind::password: {
      auto& cached = self->state.new_password;
      if (!cached) {
        CAIRN_ASSIGN(auto pw, ask_new_password());
        cached = std::move(pw);
      }
      crypto::credential cred{crypto::slot_kind::password, *cached, "password"};
      return crypto::make_key_slot(cred, master, r.repository_id);
    }
    case crypto::slot_kind::tpm:
      CAIRN_TRY(machine_tpm(self, true));
      return tpm_slot(self, master, r.repository_id);
    case crypto::slot_kind::public_key:
      return fail(errc::invalid_input, "a public-key slot comes with a write-only repository; key add does not make one");
  }
  return fail(errc::invalid_input, "unknown key slot kind");
}

template <class T>
caf::result<T> reply(expected<T> r) {
  if (!r) return to_caf(r.error());
  return std::move(*r);
}

}  // namespace

std::filesystem::path writer_key_file(const std::filesystem::path& state_dir) {
  return state_dir / std::string(recovery::writer_key_file_name);
}

expected<crypto::secret> ask_new_passphrase(const char* question) {
  if (const char* env = std::getenv("CAIRN_NEW_PASSWORD"); env && *env)
    return crypto::secret::copy_of(as_bytes(env));
  auto first = prompt(question);
  auto again = first ? prompt("Repeat it: ") : expected<crypto::secret>(fail(first.error()));
  if (!first || !again)
    return fail(errc::auth, "no passphrase: set CAIRN_NEW_PASSWORD or type it on a terminal");
  if (!first->equals(*again)) return fail(errc::auth, "the passphrases differ");
  return std::move(*first);
}

expected<crypto::credential> load_credential(const keyring_options& o, bool creating) {
  if (o.keyfile) return keyfile_credential(*o.keyfile, false);
  if (o.ask_password || o.config.mode == config::keyring_mode::password) {
    CAIRN_ASSIGN(auto pw, password(o, creating));
    return crypto::credential{crypto::slot_kind::password, std::move(pw), "password"};
  }
  if (o.config.mode == config::keyring_mode::keyfile) return keyfile_credential(o.config.keyfile, creating);
  return fail(errc::invalid_input, "keyring mode " + std::string(config::to_string(o.config.mode)) + " has no credential");
}

keyring_actor::behavior_type keyring(self_ptr self, keyring_options options) {
  self->state.options = std::move(options);
  return {
    [=](atom::unlock, const unlock_request& r) { return reply(unlock(self, r)); },
    [=](atom::create, const std::string& id) { return reply(create(self, id)); },
    [=](atom::add, const slot_request& r) { return reply(add_slot(self, r)); },
    [=](atom::seal, const suite_seal_request& r) -> caf::result<chunk_ptr> {
      return make_chunk(recovery::seal_suite_state(r.header, *r.payload, r.keys));
    },
  };
}

}  // namespace cairn::actors
