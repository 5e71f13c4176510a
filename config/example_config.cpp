// The starting configuration `cairn config example` prints and the Debian
// package installs as /etc/cairn/cairn.yaml. Every key is documented in
// cairn.yaml(5) and the README's table; tests load this text as it is.
#include "config/effective.hpp"

namespace cairn::config {

std::string_view example_yaml() {
  return R"(# Cairn's configuration. `cairn config check` validates it and prints it with
# every default filled in; man cairn.yaml (or the README) describes every key.
# Relative paths resolve against this file's folder.

# The catalog (SQLite: checkpoints, file cache, run history).
state_dir: /var/lib/cairn

keyring:
  # keyfile (default), password, tpm (with recovery_keyfile) or none.
  mode: keyfile
  # `cairn init` creates it (0600). Copy it somewhere other than this
  # machine: without it the backups cannot be read.
  keyfile: /etc/cairn/cairn.key

targets:
  # A directory on a mounted disk. Other kinds:
  #   offsite: {url: "sftp://backup@nas.example.org/srv/cairn", identity: /etc/cairn/id_ed25519}
  #   cloud:   {url: "s3://s3.example.org/my-bucket/cairn", access_key_file: /etc/cairn/s3.keys}
  usb:
    type: local
    path: /mnt/usb/cairn
    # limits: {upload_kbps: 0, connections: 1}

plans:
  home:
    sources:
      - type: dir
        path: /home
        exclude: ["**/.cache", "*.tmp"]
        exclude_caches: true            # directories with a CACHEDIR.TAG
        exclude_if_present: [.nobackup]
      # - type: sqlite
      #   path: /var/lib/app/app.db
      # - type: command
      #   name: postgres
      #   command: pg_dumpall
    targets: [usb]
    # When `cairn daemon` runs it: every 6h, hourly :15, daily 02:30, weekly sat 04:00.
    schedule: daily 02:30
    # Which checkpoints `cairn forget` (and the daemon after each run) keeps.
    keep: {last: 3, daily: 7, weekly: 4, monthly: 12}

# The daemon: CPU and I/O priority, retry after a failed run, pausing.
daemon:
  nice: 19
  io: idle
  retry: 15m
  # pause_when: {on_battery: true}
)";
}

}  // namespace cairn::config
