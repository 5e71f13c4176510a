// Error and expected types shared by every layer. Values only; thread-safe to copy.
// Model: LevelDB's Status. A small set of codes drives behaviour (retry, exit code);
// the message says what and where, in one line, and never carries key material.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace cairn {

enum class errc : unsigned char {
  ok = 0,
  not_found,      // object, file or name does not exist
  corrupt,        // data failed verification (id, tag, format)
  invalid_input,  // bad configuration, argument or file format from the user
  io,             // permanent I/O failure (permission, disk full, ...)
  transient,      // may succeed when retried (timeout, reset, 5xx)
  auth,           // wrong key, password or credential
  locked,         // someone else holds a lock
  unsupported,    // the target or format cannot do this
  cancelled,      // stopped on request (SIGINT, stop message)
  exists,         // would overwrite something that must not be overwritten
  no_space,       // target or local disk is full
  tpm_unavailable,  // no TPM reachable through the TCTI
  tpm_foreign,      // the sealed key belongs to another TPM (new hardware)
  tpm_policy,       // the TPM's PCR policy is no longer satisfied
  tpm_lockout,      // the TPM is in dictionary-attack lockout
};

std::string_view to_string(errc code);

class error {
public:
  error() = default;
  error(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  errc code() const { return code_; }
  const std::string& message() const { return message_; }
  bool transient() const { return code_ == errc::transient; }

  // Prefixes the message with context: "usb: " + "put data/ab/..: disk full".
  error with_context(std::string_view context) const;

private:
  errc code_ = errc::ok;
  std::string message_;
};

template <class T>
using expected = tl::expected<T, error>;
using status = expected<void>;

inline tl::unexpected<error> fail(errc code, std::string message) {
  return tl::unexpected<error>(error{code, std::move(message)});
}
inline tl::unexpected<error> fail(error e) { return tl::unexpected<error>(std::move(e)); }

// Returns the error's message prefixed by its code name when that adds information.
std::string describe(const error& e);

}  // namespace cairn

// Propagates an error from an expression returning expected<...>/status.
#define CAIRN_TRY(expr)                                     \
  do {                                                      \
    if (auto cairn_try_r = (expr); !cairn_try_r)            \
      return ::tl::unexpected(std::move(cairn_try_r).error()); \
  } while (0)

#define CAIRN_CONCAT_INNER(a, b) a##b
#define CAIRN_CONCAT(a, b) CAIRN_CONCAT_INNER(a, b)
// Declares `lhs` from an expected<T> expression or returns its error.
#define CAIRN_ASSIGN(lhs, expr) CAIRN_ASSIGN_IMPL(CAIRN_CONCAT(cairn_r_, __LINE__), lhs, expr)
#define CAIRN_ASSIGN_IMPL(tmp, lhs, expr)                   \
  auto tmp = (expr);                                        \
  if (!tmp) return ::tl::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
