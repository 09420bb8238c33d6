#pragma once
// The report for the board, the funder and the press: aggregate figures of the active
// claimants gathered from the registry, small counts hidden, rendered as one self-contained
// HTML page with SVG charts (report_html.cpp). No personal data ever enters ReportFigures.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// Which verdicts the report shows.
struct ReportOptions {
    /// Set: every active claimant is evaluated afresh under these rules as of this date (in
    /// the same scan that gathers the other figures; nothing is stored). Unset: the verdicts
    /// stored in the registry, as last checked.
    struct Evaluation {
        const RuleSet* rules = nullptr;
        Date as_of;
    };
    std::optional<Evaluation> evaluate;
    /// Counts from 1 to min_count - 1 are hidden (0 and 1: nothing is hidden).
    std::uint64_t min_count = 10;
};

/// A labelled count.
struct LabelledCount {
    std::string label;
    std::uint64_t count = 0;
};

/// New active claimants in one week (Monday to Sunday) of their registration date.
struct WeekCount {
    std::string monday; ///< `YYYY-MM-DD`, the week's Monday
    std::uint64_t count = 0;
};

/// One import from the audit trail.
struct ImportFigures {
    std::string date; ///< `YYYY-MM-DD` (UTC)
    std::uint64_t rows = 0;
    std::uint64_t imported = 0;
    std::uint64_t rejected = 0;
};

/// Age bands in the report's order: under-13, 13-15, 16-17, then 18 and over (no band).
inline constexpr std::size_t report_band_count = 4;

/// Everything the report shows, as counts of active claimants (one per child).
struct ReportFigures {
    std::uint64_t active = 0;
    std::array<std::uint64_t, 3> by_verdict{}; ///< index: VerdictKind
    std::uint64_t claimed_eur = 0;             ///< the band amounts of the eligible claimants
    /// Rule sets and the first and last as-of date the verdicts were made under.
    std::vector<std::string> rule_sets;
    std::string first_as_of, last_as_of;
    bool evaluated = false; ///< true: evaluated for this report, not the stored verdicts
    std::vector<WeekCount> weeks;                              ///< oldest first, gaps omitted
    std::array<std::uint64_t, report_band_count> by_band{};   ///< every verdict
    std::array<std::uint64_t, report_band_count> eligible_by_band{};
    std::array<std::uint64_t, reason_count> by_reason{}; ///< claimants having each reason
    std::vector<LabelledCount> platforms;                ///< by platform, as stored
    /// By the postcode's first two digits (empty label: no Dutch postcode), largest first.
    std::vector<LabelledCount> postcode_areas;
    std::uint64_t linked = 0; ///< further registrations of the same children
    /// Claimants by their number of further registrations: none, 1, 2, 3 or more.
    std::array<std::uint64_t, 4> by_linked{};
    std::vector<ImportFigures> imports; ///< oldest first
};

/// Gathers the figures in one consistent snapshot: verdicts, age bands and claimed amounts
/// from `tallies` (unless evaluating), the rest in one scan of the claimants.
ReportFigures gather_report(Registry& registry, const ReportOptions& options);

/// Which cells of a chart to hide so that no count from 1 to min_count - 1 can be read or
/// worked out from the chart's total: the small counts, and then the next smallest cells too
/// until at least two are hidden and the hidden ones add up to 2 * min_count or more (or
/// every cell is hidden). `partition`: the cells add up to a total shown elsewhere; when
/// false (a claimant may be in several cells) only the small counts are hidden.
std::vector<bool> hidden_cells(std::span<const std::uint64_t> counts, std::uint64_t min_count,
                               bool partition = true);

/// A whole number the Dutch way: `1.469.911`.
std::string dutch_number(std::uint64_t n);

/// The report as one HTML document (language `nl`; inline CSS and SVG, no script, nothing
/// fetched), with the counts that `min_count` hides shown as `<N`. `today`: the date shown
/// as the report's date.
std::string render_report_html(const ReportFigures& figures, std::uint64_t min_count,
                               Date today);

} // namespace claimreg
