// An application's resource descriptor (resources.d/NAME.yaml). Input: the file's text.
#include "config/resource.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = cairn::config::parse_resource(text, "/fuzz/resources.d/app.yaml");
  if (r) (void)r->is_sensitive("a/b");
  return 0;
}
