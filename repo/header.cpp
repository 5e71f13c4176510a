#include "repo/json_field.hpp"
#include "repo/header.hpp"

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "repo/repo_format.hpp"

namespace cairn::repo {

using json = nlohmann::json;

namespace {

json slot_to_json(const crypto::key_slot& s) {
  json j{{"id", s.id},
         {"kind", crypto::to_string(s.kind)},
         {"created", format_time(s.created_ns)},
         {"salt", to_base64(s.salt)},
         {"wrapped_key", to_base64(s.wrapped)}};
  if (s.kind == crypto::slot_kind::password)
    j["kdf"] = {{"algorithm", "argon2id"},
                {"memory_kib", s.kdf.memory_kib},
                {"iterations", s.kdf.iterations},
                {"parallelism", s.kdf.parallelism}};
  else
    j["fingerprint"] = s.fingerprint;
  if (s.kind == crypto::slot_kind::tpm) {
    j["pcrs"] = s.pcrs;
    j["tpm_public"] = to_base64(s.tpm_public);
    j["tpm_private"] = to_base64(s.tpm_private);
  }
  return j;
}

byte_buffer b64(const json& j, const char* key) {
  auto r = from_base64(j.at(key).get<std::string>());
  if (!r) throw std::runtime_error(std::string("field ") + key + " is not base64");
  return *r;
}

crypto::key_slot slot_from_json(const json& j) {
  crypto::key_slot s;
  s.id = j.at("id").get<std::string>();
  auto kind = crypto::parse_slot_kind(j.at("kind").get<std::string>());
  if (!kind) throw std::runtime_error(kind.error().message());
  s.kind = *kind;
  auto created = parse_time(j.at("created").get<std::string>());
  s.created_ns = created ? *created : 0;
  s.salt = b64(j, "salt");
  s.wrapped = b64(j, "wrapped_key");
  if (j.contains("kdf")) {
    const auto& k = j["kdf"];
    if (k.at("algorithm").get<std::string>() != "argon2id")
      throw std::runtime_error("unknown KDF " + k.at("algorithm").get<std::string>());
    s.kdf = {int_at<uint32_t>(k, "memory_kib"), int_at<uint32_t>(k, "iterations"),
             int_at<uint32_t>(k, "parallelism")};
    // The same bounds as crypto::argon2id; refused here, as damage, before
    // a password prompt or an allocation depends on them.
    if (s.kdf.memory_kib < 8 || s.kdf.memory_kib > 4u * 1024 * 1024 || s.kdf.iterations < 1 ||
        s.kdf.iterations > 100 || s.kdf.parallelism < 1 || s.kdf.parallelism > 64)
      throw std::runtime_error("key slot " + s.id + ": Argon2id parameters out of range");
  }
  if (j.contains("fingerprint")) s.fingerprint = j["fingerprint"].get<std::string>();
  if (j.contains("pcrs")) s.pcrs = j["pcrs"].get<std::vector<int>>();
  if (j.contains("tpm_public")) s.tpm_public = b64(j, "tpm_public");
  if (j.contains("tpm_private")) s.tpm_private = b64(j, "tpm_private");
  return s;
}

// The settings that must not change behind our back, in canonical form.
json settings_of(const repository_header& h, bool with_seed) {
  json chunker{{"algorithm", "fastcdc-gear64"},
               {"min_size", h.chunker.min_size},
               {"avg_size", h.chunker.avg_size},
               {"max_size", h.chunker.max_size}};
  if (with_seed) chunker["seed"] = h.chunker.seed;
  json j{{"format_version", h.format_version},
         {"repository_id", h.repository_id},
         {"chunker", chunker},
         {"id_algorithm", h.keyed_ids ? "hmac-sha256" : "sha256"},
         {"compression", {{"algorithm", "zstd"}, {"level", h.zstd_level}}},
         {"encryption", crypto::to_string(h.encryption)},
         {"pack_size", h.pack_size}};
  if (h.public_key) j["public_key"] = crypto::format_public_key(*h.public_key);
  return j;
}

// Settings a reader sizes buffers and loops by (repo_format.hpp, "Limits").
const char* bad_settings(const repository_header& h) {
  const auto& c = h.chunker;
  if (c.min_size < 64 || c.min_size > c.avg_size || c.avg_size > c.max_size || c.max_size > max_chunk_limit)
    return "chunker sizes out of range";
  if (h.pack_size < 4096 || h.pack_size > max_pack_size_setting) return "pack_size out of range";
  if (h.zstd_level < -7 || h.zstd_level > 22) return "compression level out of range";
  // It names files in this machine's state directory (stored blob ids,
  // upload marks): 32 lowercase hex digits, nothing else.
  if (h.repository_id.size() != 32 ||
      h.repository_id.find_first_not_of("0123456789abcdef") != std::string::npos)
    return "repository_id is not 32 hex digits";
  return nullptr;
}

}  // namespace

std::string encode_key_slots(const std::vector<crypto::key_slot>& slots) {
  json out = json::array();
  for (const auto& s : slots) out.push_back(slot_to_json(s));
  return out.dump();
}

expected<std::vector<crypto::key_slot>> decode_key_slots(std::string_view text, std::string_view where) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    return fail(errc::corrupt, std::string(where) + ": damaged key slots");
  try {
    std::vector<crypto::key_slot> out;
    for (const auto& s : j) out.push_back(slot_from_json(s));
    return out;
  } catch (const std::exception& e) {
    return fail(errc::corrupt, std::string(where) + ": damaged key slots: " + e.what());
  }
}

byte_buffer encode_header(const repository_header& h) {
  json j = settings_of(h, false);
  j["magic"] = header_magic;
  j["created"] = format_time(h.created_ns);
  j["program"] = h.program;
  j["chunker"]["seed"] = "sealed";
  json slots = json::array();
  for (const auto& s : h.key_slots) slots.push_back(slot_to_json(s));
  j["key_slots"] = slots;
  j["sealed"] = to_base64(h.sealed);
  auto text = j.dump(2) + "\n";
  return byte_buffer(text.begin(), text.end());
}

expected<repository_header> decode_header(byte_view bytes, std::string_view where) {
  auto prefix = std::string(where) + ": ";
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("magic") || !j["magic"].is_string() ||
      j["magic"].get<std::string>() != header_magic)
    return fail(errc::corrupt, prefix + "not a Cairn repository header (damaged or not Cairn's)");
  try {
    repository_header h;
    h.format_version = int_at<int>(j, "format_version");
    if (h.format_version > format_version)
      return fail(errc::unsupported,
                  prefix + "repository format " + std::to_string(h.format_version) +
                    " is newer than this program understands (" + std::to_string(format_version) +
                    "); upgrade Cairn");
    h.repository_id = j.at("repository_id").get<std::string>();
    auto created = parse_time(j.value("created", ""));
    h.created_ns = created ? *created : 0;
    h.program = j.value("program", "");
    const auto& c = j.at("chunker");
    if (c.at("algorithm").get<std::string>() != "fastcdc-gear64")
      return fail(errc::unsupported, prefix + "unknown chunker " + c.at("algorithm").dump());
    h.chunker = {int_at<uint32_t>(c, "min_size"), int_at<uint32_t>(c, "avg_size"),
                 int_at<uint32_t>(c, "max_size"), 0};
    auto id_algorithm = j.at("id_algorithm").get<std::string>();
    if (id_algorithm != "hmac-sha256" && id_algorithm != "sha256")
      return fail(errc::unsupported, prefix + "unknown id algorithm " + id_algorithm);
    h.keyed_ids = id_algorithm == "hmac-sha256";
    h.zstd_level = int_at<int>(j.at("compression"), "level");
    auto enc = crypto::parse_encryption(j.at("encryption").get<std::string>());
    if (!enc) return fail(enc.error().with_context(std::string(where)));
    if (j.contains("public_key")) {
      auto pub = crypto::parse_public_key(j.at("public_key").get<std::string>());
      if (!pub) return fail(errc::corrupt, prefix + "damaged repository header (" + pub.error().message() + ")");
      h.public_key = *pub;
    }
    if ((*enc == crypto::encryption::x25519) != h.public_key.has_value())
      return fail(errc::corrupt, prefix + "damaged repository header (a public key belongs to, and only to, "
                                          "encryption x25519-aes-256-gcm)");
    h.encryption = *enc;
    h.pack_size = int_at<uint32_t>(j, "pack_size");
    if (auto why = bad_settings(h)) return fail(errc::corrupt, prefix + "damaged repository header (" + why + ")");
    const auto& slots = j.at("key_slots");
    if (!slots.is_array() || slots.size() > max_key_slots)
      return fail(errc::corrupt, prefix + "damaged repository header (key_slots)");
    for (const auto& s : slots) h.key_slots.push_back(slot_from_json(s));
    auto sealed = from_base64(j.at("sealed").get<std::string>());
    if (!sealed) return fail(errc::corrupt, prefix + "damaged repository header");
    h.sealed = *sealed;
    return h;
  } catch (const std::exception& e) {
    return fail(errc::corrupt, prefix + "damaged repository header: " + e.what());
  }
}

void seal_header(repository_header& h, const crypto::object_cipher& cipher) {
  auto text = settings_of(h, true).dump();
  h.sealed = cipher.seal_object(kind_header, as_bytes(text));
}

status verify_header(repository_header& h, const crypto::object_cipher& cipher) {
  auto plain = cipher.open_object(kind_header, h.sealed);
  if (!plain) return fail(errc::corrupt, "the repository header's sealed settings do not open");
  json sealed = json::parse(plain->begin(), plain->end(), nullptr, false);
  if (sealed.is_discarded() || !sealed.is_object() || !sealed.contains("chunker") || !sealed["chunker"].is_object())
    return fail(errc::corrupt, "the repository header's sealed settings are damaged");
  uint64_t seed = int_field<uint64_t>(sealed["chunker"], "seed", 0);
  sealed["chunker"].erase("seed");
  if (sealed != settings_of(h, false))
    return fail(errc::corrupt, "the repository header was modified (settings differ from their sealed copy)");
  h.chunker.seed = seed;
  return {};
}

}  // namespace cairn::repo
