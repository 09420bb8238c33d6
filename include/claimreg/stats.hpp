#pragma once
// Counting claimants: grouped counts and the registry summary, as data (no printing).
//
// What is counted (SPEC.md `stats`): claimants, one per child. Further registrations of the
// same child (the `registrations` table: duplicates) are never counted again. Only active
// claimants are counted, unless the grouping includes StatsGroup::state.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// What claimants can be grouped by.
enum class StatsGroup {
    state,              ///< `active`, `withdrawn`, `opted-out`
    verdict,            ///< `eligible`, `ineligible`, `review`
    platform,           ///< `tiktok`, `musical.ly`
    age_band,           ///< `under-13`, `13-15`, `16-17`, or empty (18 and over)
    birth_year,         ///< `YYYY` of the child's birth date
    postcode_area,      ///< the postcode's first two digits; empty when it does not start with two
    registration_month, ///< `YYYY-MM` of registered_at
    relation,           ///< the registrant's relation: `parent`, `guardian`, `self`
    source,             ///< where the claimant came from: `add` or `import-csv:FILE`
};
inline constexpr std::size_t stats_group_count = 9;

/// Every group, in declaration order.
std::span<const StatsGroup> stats_groups();
/// The group's name: `age-band`, `birth-year`...
std::string_view to_string(StatsGroup group);
/// The column / JSON key: `age_band`, `birth_year`...
std::string_view field_name(StatsGroup group);
/// Parses a group's name (the column spelling with underscores is accepted too); throws
/// ValueError naming the known groups otherwise.
StatsGroup parse_stats_group(std::string_view text);

/// What to count.
struct StatsQuery {
    std::vector<StatsGroup> by;        ///< group by these, in this order (none: one total row)
    std::vector<VerdictKind> verdicts; ///< count only these verdicts (none: every verdict)
};

/// One combination of group values and its counts.
struct StatsRow {
    std::vector<std::string> values; ///< one per StatsQuery::by, same order
    std::uint64_t count = 0;         ///< claimants in this combination
    /// Claimed amount in euros: the band amount (claimed_eur(AgeBand)) for each claimant in this
    /// row that is eligible, active and in an age band. 0 for rows of other verdicts or states,
    /// and for the empty age band (18 and over).
    std::uint64_t claimed_eur = 0;
};

/// Grouped counts: one row per combination that occurs, sorted by the group values (the first
/// group first). Values sort as text, except states (`active`, `withdrawn`, `opted-out`) and
/// age bands (`under-13`, `13-15`, `16-17`, then the empty band of 18 and over), which sort
/// in their natural order.
struct StatsTable {
    std::vector<StatsGroup> by;
    std::vector<StatsRow> rows;

    /// The sum of the rows' counts.
    std::uint64_t total() const;
    /// The sum of the rows' claimed amounts.
    std::uint64_t total_claimed_eur() const;
};

/// Counts claimants grouped as `query` asks, in one consistent snapshot of the registry.
/// Throws ValueError if a group is given twice.
StatsTable count_claimants(Registry& registry, const StatsQuery& query);

/// Counts active claimants (of `verdicts` only, when given).
std::uint64_t count_active(Registry& registry, std::span<const VerdictKind> verdicts = {});

/// The registry at a glance (`stats` without options).
struct StatsSummary {
    std::uint64_t active = 0;                 ///< active claimants
    std::array<std::uint64_t, 3> by_verdict{}; ///< active claimants by verdict (index: VerdictKind)
    std::uint64_t withdrawn = 0;
    std::uint64_t opted_out = 0;
    /// Further registrations of active claimants (the other parent...), not counted above, and
    /// claimants linked into another (review.hpp).
    std::uint64_t duplicates = 0;
    /// Claimed amount in euros for the eligible active claimants (their bands' amounts).
    std::uint64_t claimed_eur = 0;
    /// Claimants erased for good (GDPR Art. 17), from the audit trail; in no other count.
    std::uint64_t erased = 0;
};

/// Summarises the registry in one consistent snapshot.
StatsSummary summarize(Registry& registry);

} // namespace claimreg
