#pragma once
// Evaluating claimants stored in the registry and storing their verdicts.

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// A claimant's stored verdict after evaluation.
struct ClaimantVerdict {
    std::int64_t id = 0;
    Verdict verdict;
};

/// Counts by verdict (index: VerdictKind).
using VerdictCounts = std::array<std::uint64_t, 3>;

/// Evaluates the claimants `ids` under `rules` as of `as_of` and stores verdict, reasons, age
/// band, rule set and as-of date on each, in one transaction. Throws NotFoundError naming the
/// first id that does not exist (nothing is stored then).
std::vector<ClaimantVerdict> check_claimants(Registry& registry, std::span<const std::int64_t> ids,
                                             const RuleSet& rules, Date as_of);

/// Evaluates and stores every claimant, in one transaction; returns counts by verdict.
VerdictCounts check_all_claimants(Registry& registry, const RuleSet& rules, Date as_of);

} // namespace claimreg
