#include "repo/stored_ids.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "crypto/id_hasher.hpp"

namespace cairn::repo {

namespace {

constexpr std::string_view header_text = "cairn-stored-ids-v1\n";
constexpr size_t check_size = 8;  // truncated SHA-256 of the record before it
constexpr uint64_t max_file_bytes = uint64_t{16} << 30;

std::string errno_text(const std::filesystem::path& file, std::string_view what) {
  return file.string() + ": " + std::string(what) + ": " + std::strerror(errno);
}

}  // namespace

byte_view stored_ids_header() { return as_bytes(header_text); }

byte_buffer encode_stored_ids_record(const stored_ids_record& record) {
  byte_buffer out;
  byte_writer w(out);
  w.raw(record.index_file.bytes);
  w.varint(record.blobs.size());
  for (const auto& id : record.blobs) w.raw(id.bytes);
  auto sum = crypto::sha256_of(out);
  out.insert(out.end(), sum.bytes.begin(), sum.bytes.begin() + check_size);
  return out;
}

expected<stored_ids_contents> decode_stored_ids(byte_view bytes) {
  if (bytes.size() < header_text.size() || as_chars(bytes.first(header_text.size())) != header_text)
    return fail(errc::corrupt, "not a record of stored blob ids");
  stored_ids_contents out;
  byte_reader r(bytes.subspan(header_text.size()));
  while (!r.done()) {
    size_t start = r.position();
    stored_ids_record rec;
    auto index_file = r.raw(object_id::size);
    uint64_t n = r.varint();
    if (!r.ok() || n > r.remaining() / object_id::size) {
      out.damaged_tail = true;
      break;
    }
    rec.index_file = object_id::from_view(index_file);
    rec.blobs.reserve(n);
    for (uint64_t i = 0; i < n; ++i) rec.blobs.push_back(object_id::from_view(r.raw(object_id::size)));
    size_t end = r.position();
    auto check = r.raw(check_size);
    auto body = bytes.subspan(header_text.size() + start, end - start);
    auto sum = crypto::sha256_of(body);
    if (!r.ok() || std::memcmp(sum.bytes.data(), check.data(), check_size) != 0) {
      out.damaged_tail = true;
      break;
    }
    out.records.push_back(std::move(rec));
  }
  return out;
}

status append_stored_ids(const std::filesystem::path& file, const stored_ids_record& record) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return fail(errc::io, errno_text(file, "open"));
  struct stat st {};
  byte_buffer out;
  if (::fstat(fd, &st) == 0 && st.st_size == 0) {
    auto h = stored_ids_header();
    out.assign(h.begin(), h.end());
  }
  auto rec = encode_stored_ids_record(record);
  out.insert(out.end(), rec.begin(), rec.end());
  bool ok = ::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()) && ::fsync(fd) == 0;
  auto msg = ok ? std::string() : errno_text(file, "write");
  ::close(fd);
  if (!ok) return fail(errc::io, msg);
  return {};
}

expected<std::unordered_set<object_id>> load_stored_ids(const std::filesystem::path& file,
                                                        const std::unordered_set<object_id>& live_index_files) {
  std::unordered_set<object_id> ids;
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec == std::errc::no_such_file_or_directory) return ids;
  if (ec) return fail(errc::io, file.string() + ": " + ec.message());
  if (size > max_file_bytes) return fail(errc::corrupt, file.string() + ": larger than 16 GiB: not a record of stored blob ids");
  std::ifstream in(file, std::ios::binary);
  byte_buffer bytes(size);
  if (!in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size)))
    return fail(errc::io, file.string() + ": cannot read it");
  auto contents = decode_stored_ids(bytes);
  if (!contents) return fail(contents.error().with_context(file.string()));
  for (const auto& rec : contents->records)
    if (live_index_files.count(rec.index_file)) ids.insert(rec.blobs.begin(), rec.blobs.end());
  return ids;
}

}  // namespace cairn::repo
