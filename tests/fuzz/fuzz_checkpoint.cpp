// Checkpoints: JSON sealed as objects of kind "checkpoint".
// Input (fuzz_support.hpp): mode byte | checkpoint JSON (or stored object).
// A checkpoint that decodes has plain names and known source types, and the
// YAML bootstrap --rebuild writes from it loads back with the same paths and
// no key the checkpoint could have smuggled in (seeds: corpus/checkpoint/yaml-injection-*).
#include "base/names.hpp"
#include "config/rebuilt_yaml.hpp"
#include "fuzz_support.hpp"
#include "repo/checkpoint.hpp"
#include "repo/repo_format.hpp"

namespace {

void check_rebuilt_yaml(const cairn::repo::checkpoint& c) {
  using namespace cairn;
  if (!is_plain_name(c.plan)) std::abort();
  config::rebuilt_config r;
  r.state_dir = "/var/lib/cairn";
  r.key_mode = config::keyring_mode::none;
  r.target.name = "recovered";
  r.target.type = config::target_type::local;
  r.target.path = "/mnt/cairn";
  size_t paths = 0;
  for (const auto& s : c.sources) {
    if (!is_plain_name(s.name)) std::abort();
    r.plans[c.plan].push_back({s.name, s.type, s.path});
    if (s.type == source_type::dir || s.type == source_type::sqlite) ++paths;
  }
  auto loaded = config::parse_config(config::rebuilt_yaml(r), "/tmp/rebuilt.yaml");
  if (!loaded) {
    // Refused as a whole is safe (the user sees the error); only a path the
    // configuration itself refuses (empty, duplicate names) may cause it.
    return;
  }
  size_t seen = 0;
  for (const auto& p : loaded->plans) {
    if (p.name != c.plan || !p.before.empty() || !p.after.empty() || !p.on_failure.empty()) std::abort();
    for (const auto& s : p.sources) {
      if (!s.post_restore.empty() || s.type == config::source_type::command) std::abort();
      ++seen;
    }
  }
  if (seen > paths) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto in = fuzz::split(data, size);
  auto object = fuzz::stored_object(in, repo::kind_checkpoint);
  auto plain = fuzz::cipher_for(in.mode).open_object(repo::kind_checkpoint, object);
  if (plain) {
    auto c = repo::decode_checkpoint(*plain);
    if (c) check_rebuilt_yaml(*c);
  }
  // The manifest as the catalog keeps it: the same parser of the same fields.
  if (plain) (void)repo::decode_manifest(std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size()));
  return 0;
}
