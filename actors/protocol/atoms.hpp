// Every atom of every protocol: verbs, at most 10 characters (CAF 0.17).
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "actors/protocol/ids.hpp"
#include "base/bytes.hpp"

// Buffers travel between actors as shared immutable chunks, never copied.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::chunk_ptr)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_atoms, ::cairn::ids::atoms)
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, open, "open")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, init, "init")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, unlock, "unlock")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, create, "create")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, store, "store")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, upload, "upload")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, commit, "commit")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, abort, "abort")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, seal, "seal")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, scan, "scan")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, run, "run")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, resume, "resume")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, stop, "stop")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, add, "add")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, total, "total")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, get, "get")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, set, "set")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, tick, "tick")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, record, "record")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, list, "list")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, begin, "begin")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, finish, "finish")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, restore, "restore")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, fetch, "fetch")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, check, "check")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, browse, "browse")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, refresh, "refresh")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, snapshot, "snapshot")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, forget, "forget")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, start, "start")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, cancel, "cancel")
  CAF_ADD_ATOM(cairn_atoms, cairn::atom, flush, "flush")
CAF_END_TYPE_ID_BLOCK(cairn_atoms)
