#include "recovery/suite_state.hpp"

#include "repo/json_field.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "crypto/id_hasher.hpp"
#include "crypto/secret.hpp"

namespace cairn::recovery {

using json = nlohmann::json;

namespace {

constexpr std::string_view magic = "cairn-suite-state";
constexpr std::string_view kind = "suite-state";
constexpr uint8_t payload_version = 1;

std::string generation_name(int64_t time_ns) {
  // Sortable by name: zero-padded time, then randomness against collisions.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020lld", static_cast<long long>(time_ns));
  return std::string(suite_prefix) + buf + "-" + to_hex(crypto::random_bytes(4));
}

}  // namespace

byte_buffer encode_payload(const suite_payload& p) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(payload_version);
  w.str(p.suite_id);
  w.str(p.yaml);
  w.bytes(p.catalog);
  w.varint(p.credentials.size());
  for (const auto& [name, bytes] : p.credentials) {
    w.str(name);
    w.bytes(bytes);
  }
  return out;
}

expected<suite_payload> decode_payload(byte_view bytes) {
  byte_reader r(bytes);
  if (r.u8() != payload_version) return fail(errc::unsupported, "unknown suite-state payload version");
  suite_payload p;
  p.suite_id = r.str();
  p.yaml = r.str();
  auto catalog = r.bytes();
  p.catalog.assign(catalog.begin(), catalog.end());
  uint64_t n = r.varint();
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    auto name = r.str();
    auto value = r.bytes();
    p.credentials[name] = byte_buffer(value.begin(), value.end());
  }
  if (!r.ok() || !r.done()) return fail(errc::corrupt, "damaged suite-state payload");
  return p;
}

byte_buffer seal_suite_state(const suite_state_header& h, const suite_payload& payload,
                             const crypto::key_ptr& keys) {
  suite_payload p = payload;
  if (h.encryption == crypto::encryption::none) p.credentials.clear();  // never in the clear
  crypto::object_cipher cipher(h.encryption, keys);
  auto sealed = cipher.seal_object(kind, encode_payload(p));
  auto slots = json::parse(repo::encode_key_slots(h.key_slots));
  json j{{"magic", magic},
         {"format_version", h.format_version},
         {"suite_id", h.suite_id},
         {"host", h.host},
         {"time", format_time(h.time_ns)},
         {"repository_id", h.repository_id},
         {"encryption", crypto::to_string(h.encryption)},
         {"key_slots", slots},
         {"payload_size", sealed.size()},
         {"payload_sha256", crypto::sha256_of(sealed).hex()}};
  auto line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  byte_buffer out(line.begin(), line.end());
  out.insert(out.end(), sealed.begin(), sealed.end());
  return out;
}

expected<suite_state_header> read_suite_state_header(byte_view object, std::string_view where) {
  auto prefix = std::string(where) + ": ";
  auto text = as_chars(object);
  auto end = text.find('\n');
  if (end == std::string_view::npos) return fail(errc::corrupt, prefix + "not a Cairn suite state");
  json j = json::parse(text.substr(0, end), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("magic") || !j["magic"].is_string() ||
      j["magic"].get<std::string>() != magic)
    return fail(errc::corrupt, prefix + "not a Cairn suite state (or its header is damaged)");
  try {
    suite_state_header h;
    h.format_version = repo::int_at<int>(j, "format_version");
    if (h.format_version > 1)
      return fail(errc::unsupported, prefix + "suite state format " + std::to_string(h.format_version) +
                                        " is newer than this program; upgrade Cairn");
    h.suite_id = j.value("suite_id", "");
    h.host = j.value("host", "");
    auto t = parse_time(j.value("time", ""));
    h.time_ns = t ? *t : 0;
    h.repository_id = j.at("repository_id").get<std::string>();
    auto enc = crypto::parse_encryption(j.at("encryption").get<std::string>());
    if (!enc) return fail(enc.error().with_context(std::string(where)));
    h.encryption = *enc;
    CAIRN_ASSIGN(h.key_slots, repo::decode_key_slots(j.at("key_slots").dump(), where));
    h.payload_size = repo::int_at<uint64_t>(j, "payload_size");
    h.payload_sha256 = j.at("payload_sha256").get<std::string>();
    if (object.size() != end + 1 + h.payload_size)
      return fail(errc::corrupt, prefix + "the suite state is truncated or damaged (size)");
    return h;
  } catch (const std::exception& e) {
    return fail(errc::corrupt, prefix + "damaged suite-state header: " + e.what());
  }
}

expected<suite_payload> open_suite_state(byte_view object, const suite_state_header& h,
                                         const crypto::key_ptr& keys) {
  auto sealed = object.last(h.payload_size);
  if (crypto::sha256_of(sealed).hex() != h.payload_sha256)
    return fail(errc::corrupt, "the suite state's payload is damaged (checksum)");
  crypto::object_cipher cipher(h.encryption, keys);
  auto plain = cipher.open_object(kind, sealed);
  if (!plain) return fail(errc::corrupt, "the suite state's payload does not open: " + plain.error().message());
  auto payload = decode_payload(*plain);
  if (!plain->empty()) explicit_bzero(plain->data(), plain->size());
  return payload;
}

status write_suite_state(targets::target& target, byte_view object, int64_t time_ns, size_t keep) {
  std::vector<std::string> notes;
  auto previous = suite_state_generations(target, notes);
  std::vector<std::string> names;
  if (previous) names = std::move(*previous);
  auto name = generation_name(time_ns);
  CAIRN_TRY(target.put(name, object));  // never overwrites an older generation
  names.insert(names.begin(), name);
  keep = std::max<size_t>(keep, 1);
  std::vector<std::string> kept(names.begin(), names.begin() + std::min(keep, names.size()));
  json pointer{{"magic", "cairn-suite-pointer"}, {"generations", kept}};
  auto text = pointer.dump() + "\n";
  auto pointed = target.put(std::string(suite_pointer), as_bytes(text));
  // An append-only server (cairn serve --append-only) keeps the first pointer and every
  // generation: readers list suite/ there, so the new generation is found all the same.
  if (!pointed && pointed.error().code() == errc::exists) return {};
  CAIRN_TRY(pointed);
  for (size_t i = kept.size(); i < names.size(); ++i) (void)target.remove(names[i]);
  return {};
}

namespace {

// Names from the target: only generations under suite/, never a path elsewhere.
bool generation_like(const std::string& name) {
  return name.rfind(suite_prefix, 0) == 0 && name.size() > suite_prefix.size() && name.size() < 256 &&
         name.find('/', suite_prefix.size()) == std::string::npos && name.find("..") == std::string::npos &&
         name != suite_pointer;
}

}  // namespace

expected<std::vector<std::string>> suite_state_generations(targets::target& target,
                                                           std::vector<std::string>& notes) {
  // The pointer names the generations for targets that cannot list; where the
  // target lists, the listing is added, because a pointer that could not be
  // replaced (an append-only server) names only older generations.
  std::vector<std::string> names;
  auto pointer = target.get(std::string(suite_pointer));
  if (pointer) {
    json j = json::parse(pointer->begin(), pointer->end(), nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.contains("magic") && j["magic"].is_string() &&
        j["magic"].get<std::string>() == "cairn-suite-pointer" && j.contains("generations") &&
        j["generations"].is_array()) {
      for (const auto& g : j["generations"])
        if (g.is_string() && generation_like(g.get<std::string>())) names.push_back(g.get<std::string>());
    } else {
      notes.push_back(std::string(suite_pointer) + " is damaged; looking for generations by listing");
    }
  } else if (pointer.error().code() != errc::not_found) {
    return fail(pointer.error());
  }
  auto listed = target.list(suite_prefix, [&](const targets::object_info& info) {
    if (generation_like(info.name)) names.push_back(info.name);
    return true;
  });
  if (!listed && listed.error().code() != errc::unsupported) return fail(listed.error());
  std::sort(names.rbegin(), names.rend());  // names sort by time: newest first
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

}  // namespace cairn::recovery
