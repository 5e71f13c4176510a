#include "actors/error.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace cairn::actors {

caf::error to_caf(const error& e) { return caf::make_error(e.code(), e.message()); }

error from_caf(const caf::error& e) {
  if (e.category() == caf::atom("cairn")) {
    std::string message;
    const auto& ctx = e.context();
    if (ctx.size() > 0 && ctx.match_element<std::string>(0)) message = ctx.get_as<std::string>(0);
    return error{static_cast<errc>(e.code()), message};
  }
  if (e.category() == caf::atom("system")) {
    auto code = static_cast<caf::sec>(e.code());
    if (code == caf::sec::request_timeout)
      return error{errc::transient, "an internal request timed out"};
    if (code == caf::sec::request_receiver_down)
      return error{errc::io, "an internal component stopped unexpectedly"};
    return error{errc::io, "internal error: " + caf::to_string(e)};
  }
  return error{errc::io, "internal error: " + caf::to_string(e)};
}

}  // namespace cairn::actors
