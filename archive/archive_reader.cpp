#include "archive/archive_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "repo/compression.hpp"

namespace cairn::archive {

namespace {

constexpr size_t scan_window = 1u << 20;
// Frames tried before a reader that opened none says the key is wrong.
constexpr size_t frames_before_giving_up = 16;

struct fd_holder {
  explicit fd_holder(int f) : fd(f) {}
  fd_holder(const fd_holder&) = delete;
  fd_holder& operator=(const fd_holder&) = delete;
  ~fd_holder() { ::close(fd); }
  int fd;
};

}  // namespace

expected<byte_source> file_source(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    return fail(err == ENOENT ? errc::not_found : errc::io, path + ": " + std::strerror(err));
  }
  auto holder = std::make_shared<fd_holder>(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    return fail(errc::invalid_input, path + ": not a regular file");
  byte_source s;
  s.size = static_cast<uint64_t>(st.st_size);
  s.read_at = [holder, path](uint64_t offset, size_t n) -> expected<byte_buffer> {
    byte_buffer out(n);
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(holder->fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return fail(errc::io, path + ": " + std::strerror(errno));
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    out.resize(got);
    return out;
  };
  return s;
}

byte_source memory_source(byte_view data) {
  byte_source s;
  s.size = data.size();
  s.read_at = [data](uint64_t offset, size_t n) -> expected<byte_buffer> {
    if (offset >= data.size()) return byte_buffer{};
    auto part = data.subspan(offset, std::min<uint64_t>(n, data.size() - offset));
    return byte_buffer(part.begin(), part.end());
  };
  return s;
}

expected<std::unique_ptr<archive_reader>> archive_reader::open(byte_source source, const credential_source& key,
                                                               const std::string& name) {
  std::unique_ptr<archive_reader> r(new archive_reader(std::move(source), name));
  CAIRN_ASSIGN(auto head, r->source_.read_at(0, header_size));
  auto h = decode_header(head);
  if (!h) return fail(h.error().with_context(name));
  r->header_ = *h;
  r->info_.kind = h->kind;
  credential c;
  if (h->kind != protection::plain) {
    CAIRN_ASSIGN(c, key(h->kind));
  }
  auto cipher = record_cipher::make(*h, c);
  if (!cipher) return fail(cipher.error().with_context(name));
  r->cipher_ = std::move(*cipher);
  if (auto st = r->load_toc(); !st) {
    r->info_.damage.push_back("table of contents: " + st.error().message() + "; records found by scanning");
    r->blobs_.clear();
    r->info_.checkpoint.reset();
    CAIRN_TRY(r->scan());
  }
  if (r->info_.root.is_zero())
    return fail(errc::corrupt, name + ": damaged beyond use: neither the table of contents nor the meta record opens");
  return r;
}

expected<std::pair<frame, byte_buffer>> archive_reader::read_record(uint64_t offset) {
  auto where = [&] { return name_ + ": record at byte " + std::to_string(offset); };
  if (offset >= source_.size || source_.size - offset < frame_header_size)
    return fail(errc::corrupt, where() + ": past the end of the file");
  CAIRN_ASSIGN(auto head, source_.read_at(offset, frame_header_size));
  auto f = decode_frame(head);
  if (!f) return fail(errc::corrupt, where() + ": damaged record header");
  if (source_.size - offset - frame_header_size < f->length) return fail(errc::corrupt, where() + ": cut short");
  read_bytes_ += f->length;
  CAIRN_ASSIGN(auto sealed, source_.read_at(offset + frame_header_size, f->length));
  if (sealed.size() != f->length) return fail(errc::corrupt, where() + ": cut short");
  auto plain = cipher_->open(f->type, f->seq, sealed);
  if (!plain) return fail(errc::corrupt, where() + ": does not open (" + plain.error().message() + ")");
  return std::make_pair(*f, std::move(*plain));
}

status archive_reader::read_meta(byte_view payload) {
  byte_reader r(payload);
  auto json = r.bytes();
  auto id = r.raw(object_id::size);
  uint64_t n = r.varint();
  if (!r.ok() || n > max_paths) return fail(errc::corrupt, name_ + ": damaged meta record");
  std::vector<std::string> paths;
  for (uint64_t i = 0; i < n; ++i) {
    auto p = r.bytes();
    if (!r.ok() || p.size() > max_path_bytes) return fail(errc::corrupt, name_ + ": damaged meta record");
    paths.emplace_back(as_chars(p));
  }
  if (!r.done()) return fail(errc::corrupt, name_ + ": damaged meta record (trailing bytes)");
  auto c = repo::decode_checkpoint(json);
  if (!c) return fail(errc::corrupt, name_ + ": damaged meta record: " + c.error().message());
  info_.checkpoint = std::move(*c);
  info_.checkpoint_id = object_id::from_view(id);
  info_.paths = std::move(paths);
  if (info_.root.is_zero()) info_.root = info_.checkpoint->tree;
  return {};
}

status archive_reader::load_toc() {
  if (source_.size < header_size + trailer_size) return fail(errc::corrupt, "no trailer (the file is cut short)");
  CAIRN_ASSIGN(auto trailer, source_.read_at(source_.size - trailer_size, trailer_size));
  if (trailer.size() != trailer_size || std::memcmp(trailer.data() + 8, end_magic.data(), 8) != 0)
    return fail(errc::corrupt, "no trailer (the file is cut short)");
  uint64_t toc_offset = byte_reader(trailer).u64();
  if (toc_offset < header_size || toc_offset > source_.size - trailer_size)
    return fail(errc::corrupt, "the trailer points outside the file");
  CAIRN_ASSIGN(auto rec, read_record(toc_offset));
  if (rec.first.type != record_type::toc) return fail(errc::corrupt, "the trailer does not point at one");
  byte_reader r(rec.second);
  auto root = r.raw(object_id::size);
  uint64_t meta_offset = r.varint();
  uint64_t n = r.varint();
  if (!r.ok() || n > max_records || n > r.remaining() / min_toc_entry) return fail(errc::corrupt, "damaged");
  blobs_.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t type = r.u8();
    auto id = r.raw(object_id::size);
    uint64_t offset = r.varint();
    uint64_t raw = r.varint();
    if (!r.ok() || (type != static_cast<uint8_t>(record_type::tree) && type != static_cast<uint8_t>(record_type::data)) ||
        offset < header_size || offset >= toc_offset || raw > max_raw(static_cast<record_type>(type)))
      return fail(errc::corrupt, "damaged entry " + std::to_string(i));
    blobs_.emplace(object_id::from_view(id), place{static_cast<record_type>(type), offset, static_cast<uint32_t>(i),
                                                   static_cast<uint32_t>(raw)});
  }
  if (!r.done()) return fail(errc::corrupt, "damaged (trailing bytes)");
  info_.root = object_id::from_view(root);
  info_.toc_found = true;
  info_.records = n + 1;
  auto meta = read_record(meta_offset);
  if (meta && meta->first.type == record_type::meta) {
    if (auto st = read_meta(meta->second); !st) info_.damage.push_back(st.error().message());
    else ++info_.records;
  } else {
    info_.damage.push_back(meta ? name_ + ": the meta record is missing" : meta.error().message());
  }
  return {};
}

uint64_t archive_reader::max_raw(record_type type) {
  return type == record_type::tree ? repo::max_tree_bytes : repo::max_chunk_limit;
}

status archive_reader::add_blob(record_type type, byte_view payload, uint64_t offset) {
  byte_reader r(payload);
  auto id = r.raw(object_id::size);
  uint64_t raw = r.varint();
  if (!r.ok() || raw > max_raw(type)) {
    info_.damage.push_back(name_ + ": record at byte " + std::to_string(offset) + ": damaged blob record");
    return {};
  }
  if (blobs_.size() >= max_records) return fail(errc::corrupt, name_ + ": more records than the format allows");
  blobs_.emplace(object_id::from_view(id), place{type, offset, static_cast<uint32_t>(blobs_.size()),
                                                 static_cast<uint32_t>(raw)});
  return {};
}

status archive_reader::scan() {
  uint64_t offset = header_size;
  size_t tried = 0, opened = 0;
  object_id toc_root;  // used when no meta record names the root
  // Frames that overlap (a crafted file, or damage) could make every byte
  // start a large record: the scan reads at most about 4 times the file.
  const uint64_t budget = read_bytes_ + 4 * source_.size + (64u << 20);
  while (offset + frame_header_size <= source_.size) {
    if (read_bytes_ > budget) {
      info_.damage.push_back(name_ + ": scan stopped at byte " + std::to_string(offset) +
                             ": too many damaged records overlap");
      break;
    }
    auto rec = read_record(offset);
    if (rec) {
      ++opened;
      ++tried;
      auto& [f, payload] = *rec;
      if (f.type == record_type::tree || f.type == record_type::data) {
        CAIRN_TRY(add_blob(f.type, payload, offset));
      } else if (f.type == record_type::meta) {
        if (auto st = read_meta(payload); !st) info_.damage.push_back(st.error().message());
      } else if (f.type == record_type::toc && payload.size() >= object_id::size) {
        toc_root = object_id::from_view(byte_view(payload).first(object_id::size));
      }
      ++info_.records;
      offset += frame_header_size + f.length;
      continue;
    }
    // A frame header that is intact but whose record does not open counts
    // towards "wrong key"; then look for the next sync mark.
    CAIRN_ASSIGN(auto head, source_.read_at(offset, frame_header_size));
    if (decode_frame(head)) ++tried;
    if (opened == 0 && tried >= frames_before_giving_up) break;
    info_.damage.push_back(rec.error().message());
    uint64_t next = source_.size;
    for (uint64_t at = offset + 1; at < source_.size && next == source_.size; at += scan_window) {
      CAIRN_ASSIGN(auto window, source_.read_at(at, scan_window + sizeof record_sync - 1));
      auto it = std::search(window.begin(), window.end(), std::begin(record_sync), std::end(record_sync));
      if (it != window.end()) next = at + static_cast<uint64_t>(it - window.begin());
    }
    offset = next;
  }
  if (opened == 0 && tried > 0)
    return fail(errc::auth, name_ + ": wrong " + std::string(to_string(header_.kind)) +
                              " (or the archive is damaged throughout: no record opens)");
  if (info_.root.is_zero()) info_.root = toc_root;
  if (info_.damage.size() > 1000) info_.damage.resize(1000);
  return {};
}

std::optional<archive_reader::place> archive_reader::find(const object_id& id) const {
  auto it = blobs_.find(id);
  if (it == blobs_.end()) return std::nullopt;
  return it->second;
}

expected<byte_buffer> archive_reader::read_blob(const object_id& id, record_type type) {
  auto it = blobs_.find(id);
  if (it == blobs_.end() || it->second.type != type)
    return fail(errc::not_found, name_ + ": " + (type == record_type::tree ? "tree " : "blob ") + id.short_hex() +
                                   " is not in the archive");
  CAIRN_ASSIGN(auto rec, read_record(it->second.offset));
  auto& [f, payload] = rec;
  byte_reader r(payload);
  auto stored = r.raw(object_id::size);
  uint64_t raw = r.varint();
  if (!r.ok() || f.type != type || object_id::from_view(stored) != id || raw != it->second.raw_length)
    return fail(errc::corrupt, name_ + ": record at byte " + std::to_string(it->second.offset) + " is not " +
                                 id.short_hex() + " (damaged table of contents)");
  auto encoded = byte_view(payload).subspan(r.position());
  auto plain = repo::decode_blob(encoded, raw);
  if (!plain) return fail(errc::corrupt, name_ + ": blob " + id.short_hex() + ": " + plain.error().message());
  return plain;
}

expected<repo::tree> archive_reader::read_tree(const object_id& id) {
  CAIRN_ASSIGN(auto bytes, read_blob(id, record_type::tree));
  auto t = repo::decode_tree(bytes);
  if (!t) return fail(errc::corrupt, name_ + ": tree " + id.short_hex() + ": " + t.error().message());
  return t;
}

expected<byte_buffer> archive_reader::read_data(const object_id& id) {
  return read_blob(id, record_type::data);
}

}  // namespace cairn::archive
