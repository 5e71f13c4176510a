// The dir source actor: runs the backup walk of one source (backup/dir_walk.hpp)
// and is its sink: chunks go to the plan's sealers, file cache rows to the
// catalog actor, counters to the progress actor. Application sources (sqlite,
// command, resources) are staged into a folder first, then walked like any
// directory. Detached: directory I/O blocks.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>

#include "actors/protocol/catalog.hpp"
#include "actors/protocol/progress.hpp"
#include "actors/protocol/sealer.hpp"
#include "actors/protocol/source.hpp"
#include "backup/dir_walk.hpp"

namespace cairn::actors {

struct source_options {
  backup::walk_options walk;
  std::shared_ptr<const seal_context> context;  // its targets' repositories become walk.repos
  std::vector<sealer_actor> sealers;
  progress_actor progress;
  catalog_actor catalog;
  // Set when the run stops: a running command or database copy is stopped.
  std::shared_ptr<const std::atomic<bool>> cancel_stage;
};

class source_sink;

struct dir_source_state {
  static inline const char* name = "dir-source";
  std::shared_ptr<source_sink> sink;       // defined in dir_source.cpp; outlives the walk
  std::shared_ptr<backup::dir_walk> walk;
  std::filesystem::path staged;    // an application source's staging folder, removed at the end
  ~dir_source_state();
};

source_actor::behavior_type dir_source(source_actor::stateful_pointer<dir_source_state> self,
                                       source_options options);

}  // namespace cairn::actors
