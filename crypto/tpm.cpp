#include "crypto/tpm.hpp"

#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace cairn::crypto {

namespace {

std::string pcr_list(const std::vector<int>& pcrs) {
  std::string out;
  for (int p : pcrs) out += (out.empty() ? "" : ", ") + std::to_string(p);
  return out;
}

// The TPM's own response code without the layer (ESAPI passes TPM codes through).
uint32_t tpm_code(TSS2_RC rc) {
  uint32_t base = rc & 0xFFF;
  if ((rc & TSS2_RC_LAYER_MASK) != TSS2_TPM_RC_LAYER) return 0;
  if (base & TPM2_RC_FMT1) return TPM2_RC_FMT1 | (base & 0x3F);
  return base;
}

std::string decoded(TSS2_RC rc) { return Tss2_RC_Decode(rc); }

// One connection: the TCTI, the ESAPI context and every transient object,
// flushed and freed when it goes out of scope.
class connection {
public:
  ~connection() {
    for (auto h : transient_) Esys_FlushContext(esys_, h);
    if (esys_) Esys_Finalize(&esys_);
    if (tcti_) Tss2_TctiLdr_Finalize(&tcti_);
  }

  status open(const std::string& name) {
    setenv("TSS2_LOG", "all+NONE", 0);  // libtss2 logs to stderr otherwise
    TSS2_RC rc = Tss2_TctiLdr_Initialize(name.c_str(), &tcti_);
    if (rc == TSS2_RC_SUCCESS) rc = Esys_Initialize(&esys_, tcti_, nullptr);
    if (rc != TSS2_RC_SUCCESS)
      return fail(errc::tpm_unavailable,
                  "no TPM reachable through TCTI \"" + name + "\" (" + decoded(rc) + ")");
    return {};
  }

  ESYS_CONTEXT* esys() { return esys_; }
  void track(ESYS_TR h) { transient_.push_back(h); }
  void flush(ESYS_TR h) {
    Esys_FlushContext(esys_, h);
    transient_.erase(std::remove(transient_.begin(), transient_.end(), h), transient_.end());
  }

  // The storage primary key: ECC P-256, restricted decrypt, derived from the
  // owner seed and this fixed template, so it is the same key every time.
  expected<ESYS_TR> primary() {
    TPM2B_SENSITIVE_CREATE sensitive{};
    TPM2B_PUBLIC in{};
    auto& p = in.publicArea;
    p.type = TPM2_ALG_ECC;
    p.nameAlg = TPM2_ALG_SHA256;
    p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                         TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                         TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_NODA;
    p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
    p.parameters.eccDetail.symmetric.keyBits.aes = 128;
    p.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
    p.parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
    p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
    p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
    TPM2B_DATA outside{};
    TPML_PCR_SELECTION creation{};
    ESYS_TR handle = ESYS_TR_NONE;
    TPM2B_PUBLIC* out_public = nullptr;
    TPM2B_CREATION_DATA* creation_data = nullptr;
    TPM2B_DIGEST* creation_hash = nullptr;
    TPMT_TK_CREATION* ticket = nullptr;
    TSS2_RC rc = Esys_CreatePrimary(esys_, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                    ESYS_TR_NONE, &sensitive, &in, &outside, &creation, &handle,
                                    &out_public, &creation_data, &creation_hash, &ticket);
    Esys_Free(out_public);
    Esys_Free(creation_data);
    Esys_Free(creation_hash);
    Esys_Free(ticket);
    if (rc != TSS2_RC_SUCCESS) return fail(classify(rc, "create the storage key", {}));
    track(handle);
    return handle;
  }

  // A session salted with the primary key whose parameters are encrypted.
  expected<ESYS_TR> session(ESYS_TR salt_key, TPM2_SE type) {
    TPMT_SYM_DEF sym{};
    sym.algorithm = TPM2_ALG_AES;
    sym.keyBits.aes = 128;
    sym.mode.aes = TPM2_ALG_CFB;
    ESYS_TR s = ESYS_TR_NONE;
    TSS2_RC rc = Esys_StartAuthSession(esys_, salt_key, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                       ESYS_TR_NONE, nullptr, type, &sym, TPM2_ALG_SHA256, &s);
    if (rc != TSS2_RC_SUCCESS) return fail(classify(rc, "start a session", {}));
    track(s);
    Esys_TRSess_SetAttributes(esys_, s,
                              TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT | TPMA_SESSION_CONTINUESESSION,
                              0xff);
    return s;
  }

  static error classify(TSS2_RC rc, const std::string& what, const std::vector<int>& pcrs) {
    uint32_t code = tpm_code(rc);
    std::string detail = " (" + decoded(rc) + ")";
    if (code == TPM2_RC_LOCKOUT)
      return error{errc::tpm_lockout, "the TPM is in dictionary-attack lockout and refuses to " +
                                         what + "; it unlocks after its lockout interval" + detail};
    if (code == TPM2_RC_POLICY_FAIL || code == TPM2_RC_PCR_CHANGED)
      return error{errc::tpm_policy,
                   "the TPM refuses to unseal: PCR " + pcr_list(pcrs) +
                     " changed since the key was sealed (firmware or boot configuration?); open "
                     "with the recovery keyfile (--keyfile PATH), then re-seal with: cairn key add --tpm" +
                     detail};
    if (code == TPM2_RC_OBJECT_MEMORY || code == TPM2_RC_SESSION_MEMORY)
      return error{errc::io, "the TPM could not " + what + ": it has no room left, other programs left "
                             "objects or sessions loaded (use the kernel resource manager, tcti "
                             "\"device:/dev/tpmrm0\", or free them with tpm2_flushcontext -t -s)" + detail};
    return error{errc::io, "the TPM could not " + what + detail};
  }

private:
  TSS2_TCTI_CONTEXT* tcti_ = nullptr;
  ESYS_CONTEXT* esys_ = nullptr;
  std::vector<ESYS_TR> transient_;
};

TPML_PCR_SELECTION selection(const std::vector<int>& pcrs) {
  TPML_PCR_SELECTION sel{};
  sel.count = 1;
  sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
  sel.pcrSelections[0].sizeofSelect = 3;
  for (int p : pcrs) sel.pcrSelections[0].pcrSelect[p / 8] |= static_cast<uint8_t>(1u << (p % 8));
  return sel;
}

// The policy digest of "these PCRs have their current values" (a trial session).
expected<TPM2B_DIGEST> policy_digest(connection& c, const std::vector<int>& pcrs) {
  TPMT_SYM_DEF none{};
  none.algorithm = TPM2_ALG_NULL;
  ESYS_TR trial = ESYS_TR_NONE;
  TSS2_RC rc = Esys_StartAuthSession(c.esys(), ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                     ESYS_TR_NONE, nullptr, TPM2_SE_TRIAL, &none, TPM2_ALG_SHA256, &trial);
  if (rc != TSS2_RC_SUCCESS) return fail(connection::classify(rc, "start a trial session", pcrs));
  c.track(trial);
  TPM2B_DIGEST empty{};
  auto sel = selection(pcrs);
  rc = Esys_PolicyPCR(c.esys(), trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
  TPM2B_DIGEST* digest = nullptr;
  if (rc == TSS2_RC_SUCCESS)
    rc = Esys_PolicyGetDigest(c.esys(), trial, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &digest);
  c.flush(trial);
  if (rc != TSS2_RC_SUCCESS) return fail(connection::classify(rc, "compute the PCR policy", pcrs));
  TPM2B_DIGEST out = *digest;
  Esys_Free(digest);
  return out;
}

status check_pcrs(const std::vector<int>& pcrs) {
  for (int p : pcrs)
    if (p < 0 || p > 23) return fail(errc::invalid_input, "PCR " + std::to_string(p) + " does not exist (0-23)");
  return {};
}

}  // namespace

std::string resolve_tcti(const std::string& configured) {
  if (!configured.empty()) return configured;
  for (const char* var : {"TPM2TOOLS_TCTI", "TSS2_TCTI"})
    if (const char* v = std::getenv(var); v && *v) return v;
  return "device:/dev/tpmrm0";
}

expected<tpm_sealed> tpm_seal(const std::string& tcti, const secret& value,
                              const std::vector<int>& pcrs) {
  CAIRN_TRY(check_pcrs(pcrs));
  connection c;
  CAIRN_TRY(c.open(tcti));
  CAIRN_ASSIGN(ESYS_TR primary, c.primary());
  TPM2B_SENSITIVE_CREATE sensitive{};
  sensitive.sensitive.data.size = static_cast<UINT16>(value.size());
  std::memcpy(sensitive.sensitive.data.buffer, value.data(), value.size());
  TPM2B_PUBLIC in{};
  auto& p = in.publicArea;
  p.type = TPM2_ALG_KEYEDHASH;
  p.nameAlg = TPM2_ALG_SHA256;
  p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT;
  p.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
  if (pcrs.empty()) {
    p.objectAttributes |= TPMA_OBJECT_USERWITHAUTH;
  } else {
    auto digest = policy_digest(c, pcrs);
    if (!digest) {
      explicit_bzero(&sensitive, sizeof sensitive);
      return fail(digest.error());
    }
    p.authPolicy = *digest;
  }
  auto session = c.session(primary, TPM2_SE_HMAC);
  if (!session) {
    explicit_bzero(&sensitive, sizeof sensitive);
    return fail(session.error());
  }
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation{};
  TPM2B_PRIVATE* out_private = nullptr;
  TPM2B_PUBLIC* out_public = nullptr;
  TPM2B_CREATION_DATA* creation_data = nullptr;
  TPM2B_DIGEST* creation_hash = nullptr;
  TPMT_TK_CREATION* ticket = nullptr;
  TSS2_RC rc = Esys_Create(c.esys(), primary, ESYS_TR_PASSWORD, *session, ESYS_TR_NONE, &sensitive,
                           &in, &outside, &creation, &out_private, &out_public, &creation_data,
                           &creation_hash, &ticket);
  explicit_bzero(&sensitive, sizeof sensitive);
  Esys_Free(creation_data);
  Esys_Free(creation_hash);
  Esys_Free(ticket);
  if (rc != TSS2_RC_SUCCESS) {
    Esys_Free(out_private);
    Esys_Free(out_public);
    return fail(connection::classify(rc, "seal the key", pcrs));
  }
  tpm_sealed out;
  out.pcrs = pcrs;
  uint8_t buffer[sizeof(TPM2B_PUBLIC) + sizeof(TPM2B_PRIVATE)];
  size_t offset = 0;
  rc = Tss2_MU_TPM2B_PUBLIC_Marshal(out_public, buffer, sizeof buffer, &offset);
  out.public_area.assign(buffer, buffer + offset);
  offset = 0;
  if (rc == TSS2_RC_SUCCESS) rc = Tss2_MU_TPM2B_PRIVATE_Marshal(out_private, buffer, sizeof buffer, &offset);
  out.private_area.assign(buffer, buffer + offset);
  Esys_Free(out_private);
  Esys_Free(out_public);
  if (rc != TSS2_RC_SUCCESS) return fail(errc::io, "could not marshal the sealed key (" + decoded(rc) + ")");
  return out;
}

expected<secret> tpm_unseal(const std::string& tcti, const tpm_sealed& sealed) {
  CAIRN_TRY(check_pcrs(sealed.pcrs));
  TPM2B_PUBLIC pub{};
  TPM2B_PRIVATE priv{};
  size_t offset = 0;
  if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(sealed.public_area.data(), sealed.public_area.size(), &offset, &pub) !=
        TSS2_RC_SUCCESS ||
      (offset = 0, Tss2_MU_TPM2B_PRIVATE_Unmarshal(sealed.private_area.data(), sealed.private_area.size(),
                                                   &offset, &priv)) != TSS2_RC_SUCCESS)
    return fail(errc::corrupt, "the sealed TPM key in the key slot is damaged");
  connection c;
  CAIRN_TRY(c.open(tcti));
  CAIRN_ASSIGN(ESYS_TR primary, c.primary());
  ESYS_TR object = ESYS_TR_NONE;
  TSS2_RC rc = Esys_Load(c.esys(), primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &object);
  if (rc != TSS2_RC_SUCCESS) {
    // Only a blob that fails the TPM's own checks is another TPM's (its
    // storage key differs); full memory, lockout and the rest say what they are.
    uint32_t code = tpm_code(rc);
    bool foreign = code == TPM2_RC_INTEGRITY || code == TPM2_RC_VALUE || code == TPM2_RC_SIZE ||
                   code == TPM2_RC_KEY || code == TPM2_RC_BINDING;
    if (!foreign) return fail(connection::classify(rc, "load the sealed key", {}));
    return fail(errc::tpm_foreign,
                "the TPM key slot was sealed by another TPM (new hardware, or a cleared TPM?): open "
                "with the recovery keyfile (--keyfile PATH), then re-seal with: cairn key add --tpm (" +
                  decoded(rc) + ")");
  }
  c.track(object);
  TPM2B_SENSITIVE_DATA* out = nullptr;
  if (sealed.pcrs.empty()) {
    CAIRN_ASSIGN(ESYS_TR session, c.session(primary, TPM2_SE_HMAC));
    rc = Esys_Unseal(c.esys(), object, ESYS_TR_PASSWORD, session, ESYS_TR_NONE, &out);
  } else {
    CAIRN_ASSIGN(ESYS_TR policy, c.session(primary, TPM2_SE_POLICY));
    TPM2B_DIGEST empty{};
    auto sel = selection(sealed.pcrs);
    rc = Esys_PolicyPCR(c.esys(), policy, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &empty, &sel);
    if (rc == TSS2_RC_SUCCESS) rc = Esys_Unseal(c.esys(), object, policy, ESYS_TR_NONE, ESYS_TR_NONE, &out);
  }
  if (rc != TSS2_RC_SUCCESS) return fail(connection::classify(rc, "unseal the key", sealed.pcrs));
  auto value = secret::copy_of(byte_view(out->buffer, out->size));
  explicit_bzero(out->buffer, out->size);
  Esys_Free(out);
  return value;
}

}  // namespace cairn::crypto
