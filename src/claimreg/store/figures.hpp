#pragma once
// Counts the registry keeps or can tell at once, for `stats` and `report`: grouped claimant
// counts (from `tallies` where it covers the groups), linked registrations, checks.

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/stats.hpp"

namespace claimreg::store {

/// One combination of group values (one per group asked) and its counts, as read.
struct GroupCount {
    std::vector<std::string> values;
    std::uint64_t count = 0;
    std::uint64_t claimed_eur = 0;
};

/// Counts the claimants (active ones, or all but linked ones when `all_states`) of `verdicts`
/// (none: every verdict) grouped by `by`; a combination may come in more than one row.
std::vector<GroupCount> count_groups(Registry& registry, std::span<const StatsGroup> by,
                                     std::span<const VerdictKind> verdicts, bool all_states);

/// Active claimants by their number of further registrations: (registrations, claimants) for
/// each number that occurs (claimants without any are not counted).
std::vector<std::pair<std::uint64_t, std::uint64_t>> linked_registration_counts(Registry& registry);

/// Further registrations of active claimants.
std::uint64_t registrations_of_active(Registry& registry);

/// The claimants in `state`, as `tallies` counts them.
std::uint64_t tallied_claimants(Registry& registry, State state);

/// The id of the newest check of all rows (0: none).
std::int64_t latest_check_of_all(Registry& registry);

/// The rule set and as-of date of check `id`; false when there is no such check.
bool read_check(Registry& registry, std::int64_t id, std::string& rule_set, std::string& as_of);

} // namespace claimreg::store
