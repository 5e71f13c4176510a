// Source protocol: a dir source walks its tree twice — first to count what
// must be read (files whose quick content id changed), then to back it up —
// and replies with its root node for every target.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/atoms.hpp"
#include "backup/results.hpp"

namespace cairn {

using backup::source_result;
using backup::source_totals;

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::backup::source_totals)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::backup::source_result)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_source, ::cairn::ids::source)
  CAF_ADD_TYPE_ID(cairn_source, (cairn::backup::source_totals))
  CAF_ADD_TYPE_ID(cairn_source, (cairn::backup::source_result))
CAF_END_TYPE_ID_BLOCK(cairn_source)

namespace cairn {

using source_actor = caf::typed_actor<
  // Counts files and the bytes that will have to be read.
  caf::replies_to<atom::scan>::with<source_totals>,
  // Backs the source up; replies when every blob was accepted by the targets.
  caf::replies_to<atom::run>::with<source_result>,
  // Internal: continue walking and reading while the window allows.
  caf::reacts_to<atom::resume>,
  // Stops early; the pending `run` fails with cancelled.
  caf::reacts_to<atom::stop>>;

}  // namespace cairn
