// Builds the storage behind a configured target: local, SFTP or S3, with
// retries (exponential backoff, jitter, a time budget) for remote ones and
// bandwidth limits when configured. Reads S3 credentials and names the
// credential files the suite-state backup carries. Free functions.
#pragma once

#include <map>

#include "config/suite_config.hpp"
#include "targets/target.hpp"

namespace cairn::actors {

expected<targets::target_ptr> make_backend(const config::target_config& target);

// What a target needs before anything is sent (S3 credentials, readable):
// invalid_input naming what is missing and the target, a configuration error.
status check_target_config(const config::target_config& target);

// How many uploads run at once on this target by default.
size_t default_connections(const config::target_config& target);

// target name -> the bytes of its secret (SSH private key, S3 key pair): what
// a new machine needs to reach the targets again. Only for encrypted payloads.
std::map<std::string, byte_buffer> target_credentials(const config::suite_config& suite);

}  // namespace cairn::actors
