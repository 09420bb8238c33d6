#pragma once
// What review.cpp's decisions and the reviewed file (review_resolve.cpp) share.

#include <cstdint>
#include <string>
#include <string_view>

#include "claimreg/registry.hpp"
#include "store/pair_store.hpp"

namespace claimreg {

/// The link state of claimant `id`; throws NotFoundError when there is none.
store::LinkState require_state(Registry& registry, std::int64_t id);

/// Whether the state is `linked`.
bool is_linked(const store::LinkState& s);

/// The claimant at the end of `id`'s links (`id` itself when not linked).
std::int64_t root_of(Registry& registry, std::int64_t id);

/// link_claimants() inside the caller's transaction; `by` names what decided it (empty: a
/// person on the command line).
void link_in(Registry& registry, std::int64_t keep, std::int64_t other, const std::string& now,
             std::string_view by);

/// mark_distinct() inside the caller's transaction; false when recorded before.
bool distinct_in(Registry& registry, std::int64_t a, std::int64_t b, const std::string& now,
                 std::string_view by);

} // namespace claimreg
