// The kernel's I/O scheduling class of a thread (ioprio_get/ioprio_set,
// linux/ioprio.h). The daemon puts its threads in the idle class (daemon.io:
// served only when nobody else needs the disk); new threads inherit their
// creator's class. Linux.
#pragma once

#include <sys/types.h>

namespace cairn::fs {

// Whether the calling thread is in the idle class (`ionice -c3`).
bool io_class_is_idle();

// Puts thread `tid` (0: the calling one) in the idle class; false when refused.
bool set_idle_io_class(pid_t tid);

}  // namespace cairn::fs
