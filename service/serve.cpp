#include "service/serve.hpp"

#include "repo/repo_format.hpp"
#include "targets/append_only.hpp"
#include "targets/remote_protocol.hpp"
#include "targets/remote_server.hpp"

namespace cairn::service {

// The protocol carries every object the repository writes, and the append-only
// policy spares exactly the repository's locks.
static_assert(targets::remote::max_object_bytes >= repo::max_pack_bytes);
static_assert(targets::remote::max_object_bytes >= repo::max_index_file_bytes);
static_assert(targets::replaceable_prefix == repo::lock_prefix);

status serve(const serve_request& r) {
  std::error_code ec;
  auto dir = std::filesystem::absolute(r.dir, ec);
  targets::serve_options o;
  o.append_only = r.append_only;
  if (ec || !std::filesystem::is_directory(dir, ec))
    o.refuse = error{errc::invalid_input, "cairn serve: " + r.dir.string() +
                                            " is not a directory on the server (create it, or correct the command)"};
  targets::local_target store(dir);
  return targets::serve(store, o);
}

}  // namespace cairn::service
