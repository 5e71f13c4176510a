// Serving a checkpoint_view through FUSE (libfuse3), read-only. The only
// user of libfuse. run() blocks until the file system is unmounted
// (fusermount3 -u MOUNTPOINT, or stop() from any thread, e.g. on SIGTERM).
#pragma once

#include <filesystem>
#include <memory>

#include "mount/checkpoint_view.hpp"

namespace cairn::mount {

class fuse_mount {
public:
  // Mounts `view` at `mountpoint` (an existing, empty directory).
  static expected<std::unique_ptr<fuse_mount>> create(std::shared_ptr<checkpoint_view> view,
                                                      const std::filesystem::path& mountpoint);
  ~fuse_mount();

  // Serves requests until unmounted; then the mount point is free again.
  status run();
  // Unmounts (lazily: open files stay readable until closed); run() returns.
  void stop();

  struct impl;

private:
  explicit fuse_mount(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace cairn::mount
