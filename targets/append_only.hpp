// What `cairn serve --append-only` lets a client change: it creates objects
// and never deletes or replaces one, whatever the client sends, except the
// repository's locks, which every run writes, refreshes and removes. A put
// of the very bytes an object already holds succeeds (a retried upload); of
// other bytes it is refused. Functions over a local_target; thread-safe.
#pragma once

#include <string_view>

#include "targets/local_target.hpp"

namespace cairn::targets {

// The lock objects' folder (repo::lock_prefix; asserted where both are known).
inline constexpr std::string_view replaceable_prefix = "locks/";

// True for names an append-only server lets a client replace and remove.
bool replaceable(std::string_view name);

// put under the policy. A refusal is errc::exists, with one line naming the
// object and "append-only".
status append_only_put(local_target& store, std::string_view name, byte_view data);

// remove under the policy: only replaceable names; others are refused (exists).
status append_only_remove(local_target& store, std::string_view name);

}  // namespace cairn::targets
