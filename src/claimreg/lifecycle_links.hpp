#pragma once
// What lifecycle's parts share.

#include <cstdint>

#include "claimreg/registry.hpp"

namespace claimreg {

/// Whether claimant `id` was ever part of a link (an audit row says so): only then can
/// claimants be linked into it, and the unindexed search for them is worth its scan.
bool ever_linked(Registry& registry, std::int64_t id);

} // namespace claimreg
