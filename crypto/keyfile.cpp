#include "crypto/keyfile.hpp"

#include "crypto/detail/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cairn::crypto {

namespace {

constexpr std::string_view header =
  "# Cairn keyfile. Whoever holds this file can read your backups.\n"
  "# Keep a copy somewhere other than this machine.\n"
  "cairn-keyfile-v1\n";

std::string errno_text(const std::filesystem::path& path, std::string_view what) {
  return "keyfile " + path.string() + ": " + std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

expected<secret> create_keyfile(const std::filesystem::path& path) {
  auto key = secret::random(32);
  std::string text(header);
  text += "key: " + to_base64(key.view()) + "\n";
  CAIRN_TRY(detail::write_secret_file(path, text, "keyfile"));
  return key;
}

expected<secret> create_writer_key(const std::filesystem::path& path, const secret& given) {
  auto key = given.empty() ? secret::random(32) : given;
  std::string text =
    "# Cairn writer key of a write-only machine: it lets this machine add backups\n"
    "# to its write-only repositories, never read them (that needs the private key).\n"
    "# cairn bootstrap --private-key FILE brings it back on a new machine.\n"
    "cairn-keyfile-v1\n";
  text += "key: " + to_base64(key.view()) + "\n";
  CAIRN_TRY(detail::write_secret_file(path, text, "writer key"));
  return key;
}

expected<secret> read_keyfile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(errno == ENOENT ? errc::not_found : errc::io, errno_text(path, "open"));
  struct stat st {};
  ::fstat(fd, &st);
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
    return fail(errc::invalid_input, "keyfile " + path.string() + " is readable by others (mode " +
                                       mode + "); run: chmod 600 " + path.string());
  }
  secret buf(4096);
  ssize_t n = ::read(fd, buf.data(), buf.size());
  ::close(fd);
  if (n < 0) return fail(errc::io, errno_text(path, "read"));
  std::string_view text(reinterpret_cast<const char*>(buf.data()), static_cast<size_t>(n));
  auto bad = [&] {
    return fail(errc::invalid_input, "keyfile " + path.string() + " is not a Cairn keyfile");
  };
  if (text.find("cairn-keyfile-v1\n") == std::string_view::npos) return bad();
  auto pos = text.find("\nkey: ");
  if (pos == std::string_view::npos) return bad();
  auto start = pos + 6;
  auto end = text.find('\n', start);
  auto encoded = text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
  auto raw = from_base64(encoded);
  if (!raw || raw->size() != 32) return bad();
  auto key = secret::copy_of(*raw);
  if (!raw->empty()) explicit_bzero(raw->data(), raw->size());
  return key;
}

}  // namespace cairn::crypto
