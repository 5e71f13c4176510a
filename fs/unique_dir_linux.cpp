#include "fs/unique_dir.hpp"

#include <stdlib.h>

namespace cairn::fs {

expected<std::filesystem::path> make_unique_dir(const std::filesystem::path& base, const std::string& prefix,
                                                const std::string& what) {
  std::string name = (base / (prefix + ".")).string();
  name.append(6, 'X');  // the template mkdtemp fills in
  if (!::mkdtemp(name.data())) return fail(errc::io, "cannot create a " + what + " under " + base.string());
  return std::filesystem::path(name);
}

}  // namespace cairn::fs
