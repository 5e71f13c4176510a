// The suite's YAML. Input: the file's text.
#include "config/suite_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cairn::config::parse_config(text, "/fuzz/cairn.yaml");
  return 0;
}
