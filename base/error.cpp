#include "base/error.hpp"

namespace cairn {

std::string_view to_string(errc code) {
  switch (code) {
    case errc::ok: return "ok";
    case errc::not_found: return "not found";
    case errc::corrupt: return "corrupt";
    case errc::invalid_input: return "invalid input";
    case errc::io: return "I/O error";
    case errc::transient: return "transient error";
    case errc::auth: return "authentication failed";
    case errc::locked: return "locked";
    case errc::unsupported: return "unsupported";
    case errc::cancelled: return "cancelled";
    case errc::exists: return "already exists";
    case errc::no_space: return "no space left";
    case errc::tpm_unavailable: return "no TPM";
    case errc::tpm_foreign: return "sealed by another TPM";
    case errc::tpm_policy: return "TPM policy not satisfied";
    case errc::tpm_lockout: return "TPM in lockout";
  }
  return "unknown error";
}

error error::with_context(std::string_view context) const {
  if (context.empty()) return *this;
  return error{code_, std::string(context) + ": " + message_};
}

std::string describe(const error& e) {
  if (e.message().empty()) return std::string(to_string(e.code()));
  return e.message();
}

}  // namespace cairn
