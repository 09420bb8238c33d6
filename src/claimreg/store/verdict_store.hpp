#pragma once
// Storing evaluated verdicts on claimants, and the claimant reads a check needs.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

namespace claimreg::store {

/// A claimant whose stored verdict differs from its evaluation: the new verdict, and what its
/// `tallies` row was (state, verdict, age band, birth date).
struct VerdictChange {
    std::int64_t id;
    Verdict verdict;
    std::string state, old_verdict, old_age_band, birth;
};

/// The stored state of claimant `id`; none when there is no such claimant.
std::optional<std::string> claimant_state(Registry& registry, std::int64_t id);

/// Stores the new verdicts (verdict, reasons, age band, changed_at `now`) inside the caller's
/// transaction. Many changes (a new rule set) move their `tallies` counts in one pass instead
/// of through a trigger each.
void store_verdicts(Registry& registry, std::span<const VerdictChange> changes,
                    const std::string& now);

/// Records that check `check` evaluated claimant `id` (its own check), inside the caller's
/// transaction.
void set_claimant_check(Registry& registry, std::int64_t id, std::int64_t check);

} // namespace claimreg::store
