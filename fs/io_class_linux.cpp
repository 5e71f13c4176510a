#include "fs/io_class.hpp"

#include <sys/syscall.h>
#include <unistd.h>

namespace cairn::fs {

namespace {
constexpr int who_process = 1, class_shift = 13, class_idle = 3;  // linux/ioprio.h; a "process" is a thread here
}  // namespace

bool io_class_is_idle() {
  long prio = ::syscall(SYS_ioprio_get, who_process, 0);
  return prio >= 0 && (prio >> class_shift) == class_idle;
}

bool set_idle_io_class(pid_t tid) { return ::syscall(SYS_ioprio_set, who_process, tid, class_idle << class_shift) == 0; }

}  // namespace cairn::fs
