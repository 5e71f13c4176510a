#include "crypto/private_key_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>

#include "crypto/cipher.hpp"
#include "crypto/detail/secret_file.hpp"

namespace cairn::crypto {

namespace {

constexpr std::string_view magic = "cairn-private-key-v1";
constexpr size_t max_file_bytes = 4096;
constexpr size_t wrapped_size = 12 + x25519_size + tag_size;

std::string aad_of(const public_key& pub) {
  return "cairn/v1/private-key|" + format_public_key(pub);
}

std::string errno_text(const std::filesystem::path& path, std::string_view what) {
  return "private key " + path.string() + ": " + std::string(what) + ": " + std::strerror(errno);
}

bool parse_u32(std::string_view text, uint32_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

// "argon2id M T P"
bool parse_kdf(std::string_view text, argon2_params& p) {
  constexpr std::string_view name = "argon2id ";
  if (text.substr(0, name.size()) != name) return false;
  text.remove_prefix(name.size());
  uint32_t* fields[] = {&p.memory_kib, &p.iterations, &p.parallelism};
  for (size_t i = 0; i < 3; ++i) {
    auto space = text.find(' ');
    if ((i < 2) != (space != std::string_view::npos)) return false;
    if (!parse_u32(text.substr(0, space), *fields[i])) return false;
    text.remove_prefix(i < 2 ? space + 1 : text.size());
  }
  return true;
}

expected<std::string> render(const key_pair& pair, std::optional<std::string_view> passphrase,
                             argon2_params kdf) {
  std::string text =
    "# Cairn private key: it opens every write-only backup sealed to the public key below.\n"
    "# Keep it off the machines that back up, and keep a copy somewhere safe.\n";
  text += std::string(magic) + "\npublic: " + format_public_key(pair.pub) + "\n";
  if (!passphrase) return text + "key: " + to_base64(pair.private_key.view()) + "\n";
  auto salt = random_bytes(salt_size);
  CAIRN_ASSIGN(auto kek, argon2id(*passphrase, salt, kdf));
  auto sealed = wrap_secret(kek, pair.private_key, as_bytes(aad_of(pair.pub)));
  text += "kdf: argon2id " + std::to_string(kdf.memory_kib) + " " + std::to_string(kdf.iterations) +
          " " + std::to_string(kdf.parallelism) + "\n";
  return text + "salt: " + to_base64(salt) + "\nsealed: " + to_base64(sealed) + "\n";
}

}  // namespace

expected<private_key_file> parse_private_key_file(std::string_view text, std::string_view where) {
  auto bad = [&](std::string what) {
    return fail(errc::invalid_input, "private key " + std::string(where) + ": " + what);
  };
  if (text.size() > max_file_bytes) return bad("larger than 4 KiB: not a Cairn private key file");
  private_key_file f;
  bool seen_magic = false, seen_public = false, seen_kdf = false;
  std::optional<byte_buffer> key, salt, sealed;
  int line_no = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    auto at = "line " + std::to_string(line_no) + ": ";
    if (line == magic) {
      if (seen_magic) return bad(at + "a second header line");
      seen_magic = true;
      continue;
    }
    if (!seen_magic) return bad("not a Cairn private key file (no " + std::string(magic) + " line)");
    auto colon = line.find(": ");
    if (colon == std::string_view::npos) return bad(at + "expected NAME: VALUE");
    auto name = line.substr(0, colon), value = line.substr(colon + 2);
    if (name == "public") {
      if (seen_public) return bad(at + "public appears twice");
      auto pub = parse_public_key(value);
      if (!pub) return bad(at + pub.error().message());
      f.pub = *pub;
      seen_public = true;
    } else if (name == "kdf") {
      if (seen_kdf) return bad(at + "kdf appears twice");
      if (!parse_kdf(value, f.kdf)) return bad(at + "kdf must be: argon2id MEMORY_KIB ITERATIONS PARALLELISM");
      seen_kdf = true;
    } else if (name == "key" || name == "salt" || name == "sealed") {
      auto& slot = name == "key" ? key : name == "salt" ? salt : sealed;
      if (slot) return bad(at + std::string(name) + " appears twice");
      auto raw = from_base64(value);
      if (!raw) return bad(at + std::string(name) + " is not base64");
      slot = std::move(*raw);
    } else {
      return bad(at + "unknown field \"" + std::string(name.substr(0, 32)) + "\"");
    }
  }
  if (!seen_magic) return bad("not a Cairn private key file (no " + std::string(magic) + " line)");
  if (!seen_public) return bad("no public: line");
  f.passphrase = seen_kdf || salt || sealed;
  if (f.passphrase) {
    if (key) return bad("holds both a plain key and a sealed one");
    if (!seen_kdf || !salt || !sealed) return bad("a protected key needs kdf, salt and sealed");
    if (salt->size() != salt_size) return bad("salt is not 32 bytes");
    if (sealed->size() != wrapped_size) return bad("sealed is not " + std::to_string(wrapped_size) + " bytes");
    f.salt = std::move(*salt);
    f.sealed = std::move(*sealed);
    return f;
  }
  if (!key || key->size() != x25519_size) {
    if (key && !key->empty()) explicit_bzero(key->data(), key->size());
    return bad("no 32-byte key: line");
  }
  f.key = secret::copy_of(*key);
  explicit_bzero(key->data(), key->size());
  return f;
}

expected<secret> open_private_key_file(const private_key_file& file, std::string_view passphrase,
                                       std::string_view where) {
  secret key;
  if (!file.passphrase) {
    key = file.key;
  } else {
    CAIRN_ASSIGN(auto kek, argon2id(passphrase, file.salt, file.kdf));
    auto opened = unwrap_secret(kek, file.sealed, as_bytes(aad_of(file.pub)));
    if (!opened) return fail(errc::auth, "private key " + std::string(where) + ": the passphrase does not open it");
    key = std::move(*opened);
  }
  if (key.size() != x25519_size || !(public_of(key) == file.pub))
    return fail(errc::corrupt, "private key " + std::string(where) + " does not match its public key (damaged)");
  return key;
}

status write_private_key_file(const std::filesystem::path& path, const key_pair& pair,
                              std::optional<std::string_view> passphrase, argon2_params kdf) {
  CAIRN_ASSIGN(auto text, render(pair, passphrase, kdf));
  CAIRN_TRY(detail::write_secret_file(path, text, "private key"));
  return {};
}

expected<private_key_file> read_private_key_file(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errno == ENOENT ? errc::not_found : errc::io, errno_text(path, "open"));
  struct stat st {};
  ::fstat(fd, &st);
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return fail(errc::invalid_input, "private key " + path.string() + " is readable by others (mode " +
                                       mode + "); run: chmod 600 " + path.string());
  }
  secret buf(max_file_bytes + 1);
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n < 0) return fail(errc::io, errno_text(path, "read"));
  return parse_private_key_file(std::string_view(reinterpret_cast<const char*>(buf.data()),
                                                 static_cast<size_t>(n)),
                                path.string());
}

}  // namespace cairn::crypto
