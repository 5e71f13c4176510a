// TPM 2.0 sealing through tpm2-tss (ESAPI): a 32-byte secret sealed as a
// keyed-hash object under the owner hierarchy's storage primary key, with an
// optional PCR policy, created and unsealed in salted, encrypted sessions.
// Every function opens its own TPM connection and flushes every transient
// object before returning, whatever happens. Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

#include "base/error.hpp"
#include "crypto/secret.hpp"

namespace cairn::crypto {

struct tpm_sealed {
  byte_buffer public_area;   // marshaled TPM2B_PUBLIC (not secret)
  byte_buffer private_area;  // marshaled TPM2B_PRIVATE (encrypted by the TPM)
  std::vector<int> pcrs;     // SHA-256 bank; empty: no PCR policy
};

// The TCTI to use: the configured one, else $TPM2TOOLS_TCTI, else $TSS2_TCTI,
// else the kernel's resource manager "device:/dev/tpmrm0".
std::string resolve_tcti(const std::string& configured);

// Errors: tpm_unavailable (names the TCTI), tpm_foreign, tpm_policy (names the
// PCRs), tpm_lockout, io for anything else; messages carry the decoded TPM code.
expected<tpm_sealed> tpm_seal(const std::string& tcti, const secret& value,
                              const std::vector<int>& pcrs);
expected<secret> tpm_unseal(const std::string& tcti, const tpm_sealed& sealed);

}  // namespace cairn::crypto
