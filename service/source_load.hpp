// Loading a command source's stored output back (`cairn restore CHECKPOINT
// --load NAME`): the output is streamed from the checkpoint, chunk by chunk,
// into the standard input of the source's `restore_command` from the local
// YAML (never from the checkpoint); no plaintext copy is written to disk.
#pragma once

#include <cstdint>
#include <string>

namespace cairn::service {

struct source_load_report {
  std::string source;
  std::string checkpoint;
  std::string file;     // SOURCE/OUTPUT in the checkpoint
  uint64_t bytes = 0;   // handed to the restore_command
};

}  // namespace cairn::service
