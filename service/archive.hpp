// Single-file archives (docs/FORMAT.md, docs/RECOVERY.md): `cairn export`
// writes one checkpoint (or parts) to a file or stdout; `restore --archive`
// and `ls --archive` read one with nothing else: no YAML, repository,
// catalog or target. Methods block on the caller's thread.
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "archive/archive_reader.hpp"
#include "archive/archive_writer.hpp"
#include "service/application.hpp"

namespace cairn::service {

// Where an archive's passphrase or keyfile comes from.
struct archive_key_options {
  bool plain = false;                 // --plain: unencrypted, on purpose
  bool passphrase = false;            // --passphrase: CAIRN_ARCHIVE_PASSPHRASE or a prompt
  std::filesystem::path passphrase_file;
  std::filesystem::path keyfile;
};

struct export_options {
  std::vector<std::string> paths;  // "source/dir/file"
  std::string resource;            // only this application resource
  std::string to;                  // a file, or "-" for stdout
  archive_key_options key;
};

struct export_result {
  archive::export_report report;
  std::string to;
  bool encrypted = false;
};

// Writes FILE through FILE.tmp-PID-RANDOM, fsync and rename: on failure
// nothing is left under FILE. An existing FILE is not replaced. A plain
// archive leaves out the sensitive paths of resources (from this machine's
// resources.d descriptors; a resource without one here is refused).
expected<export_result> export_archive(application& app, const resolved_checkpoint& cp, const export_options& options);

// The credential to open an archive of `kind` (reads the keyfile, the
// passphrase file, CAIRN_ARCHIVE_PASSPHRASE, or asks on the terminal).
archive::credential_source archive_credentials(const archive_key_options& options);

expected<std::unique_ptr<archive::archive_reader>> open_archive(const std::string& file,
                                                                const archive_key_options& options);

// The entries of the archive at `path` ("" = its root: one per source).
expected<std::vector<repo::node>> list_archive(archive::archive_reader& reader, const std::string& path);

// Restores into `to` through fs::destination. damaged names each file that
// was not restored, and what the archive lost (the caller exits 3).
expected<restore_report> restore_archive(archive::archive_reader& reader, const std::vector<std::string>& paths,
                                         const std::filesystem::path& to);

}  // namespace cairn::service
