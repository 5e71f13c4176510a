// The one table from outcomes to process exit codes (like Borg's exit_mcode).
#pragma once

#include "base/error.hpp"

namespace cairn::cli {

enum exit_code : int {
  exit_ok = 0,
  exit_failure = 1,      // the command failed; nothing was committed or restored
  exit_usage = 2,        // bad command line or configuration (file:line:col)
  exit_partial = 3,      // finished, but some files could not be read or restored (named)
  exit_tpm_unavailable = 4,  // no TPM reachable through the TCTI
  exit_tpm_foreign = 5,      // the sealed key belongs to another TPM: use the recovery keyfile
  exit_tpm_policy = 6,       // the PCR policy no longer holds: use the recovery keyfile
  exit_tpm_lockout = 7,      // the TPM is in dictionary-attack lockout
  exit_interrupted = 130,  // stopped by SIGINT or SIGTERM; the repository stays valid
};

inline int exit_code_of(const error& e) {
  switch (e.code()) {
    // Only for what the user gave (arguments, YAML, keyfiles): bytes read
    // from a target are never invalid_input but corrupt (exit 1).
    case errc::invalid_input: return exit_usage;
    case errc::cancelled: return exit_interrupted;
    case errc::tpm_unavailable: return exit_tpm_unavailable;
    case errc::tpm_foreign: return exit_tpm_foreign;
    case errc::tpm_policy: return exit_tpm_policy;
    case errc::tpm_lockout: return exit_tpm_lockout;
    default: return exit_failure;
  }
}

}  // namespace cairn::cli
