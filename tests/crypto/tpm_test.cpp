#include <doctest/doctest.h>

#include <cstdlib>

#include "crypto/tpm.hpp"
#include "support/swtpm.hpp"

using namespace cairn;
using namespace cairn::crypto;

TEST_CASE("tpm: the TCTI comes from the configuration then the environment then the default") {
  ::unsetenv("TPM2TOOLS_TCTI");
  ::unsetenv("TSS2_TCTI");
  CHECK(resolve_tcti("") == "device:/dev/tpmrm0");
  ::setenv("TSS2_TCTI", "swtpm:port=1", 1);
  CHECK(resolve_tcti("") == "swtpm:port=1");
  ::setenv("TPM2TOOLS_TCTI", "swtpm:port=2", 1);
  CHECK(resolve_tcti("") == "swtpm:port=2");
  CHECK(resolve_tcti("mssim:port=3") == "mssim:port=3");
  ::unsetenv("TPM2TOOLS_TCTI");
  ::unsetenv("TSS2_TCTI");
}

TEST_CASE("tpm: no TPM is tpm_unavailable naming the TCTI") {
  auto r = tpm_seal("swtpm:host=127.0.0.1,port=1", secret::random(32), {});
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::tpm_unavailable);
  CHECK(r.error().message().find("port=1") != std::string::npos);
}

TEST_CASE("tpm: a sealed secret unseals on its TPM only (software TPM)") {
  if (!testing::swtpm::available()) {
    MESSAGE("swtpm is not installed: skipped");
    return;
  }
  testing::swtpm a;
  REQUIRE(a.ok());
  auto value = secret::random(32);
  auto sealed = tpm_seal(a.tcti(), value, {});
  REQUIRE(sealed);
  auto back = tpm_unseal(a.tcti(), *sealed);
  REQUIRE(back);
  CHECK(back->equals(value));
  auto with_pcr = tpm_seal(a.tcti(), value, {16, 23});
  REQUIRE(with_pcr);
  CHECK(tpm_unseal(a.tcti(), *with_pcr)->equals(value));

  testing::swtpm b;  // another machine
  REQUIRE(b.ok());
  auto foreign = tpm_unseal(b.tcti(), *sealed);
  REQUIRE_FALSE(foreign);
  CHECK(foreign.error().code() == errc::tpm_foreign);

  auto damaged = *sealed;
  damaged.public_area.resize(3);
  CHECK(tpm_unseal(a.tcti(), damaged).error().code() == errc::corrupt);
  CHECK(tpm_seal(a.tcti(), value, {24}).error().code() == errc::invalid_input);
}
