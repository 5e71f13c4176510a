// Checkpoints: JSON sealed as objects of kind "checkpoint".
// Input (fuzz_support.hpp): mode byte | checkpoint JSON (or stored object).
#include "fuzz_support.hpp"
#include "repo/checkpoint.hpp"
#include "repo/repo_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto in = fuzz::split(data, size);
  auto object = fuzz::stored_object(in, repo::kind_checkpoint);
  auto plain = fuzz::cipher_for(in.mode).open_object(repo::kind_checkpoint, object);
  if (plain) (void)repo::decode_checkpoint(*plain);
  // The manifest as the catalog keeps it: the same parser of the same fields.
  if (plain) (void)repo::decode_manifest(std::string_view(reinterpret_cast<const char*>(plain->data()), plain->size()));
  return 0;
}
