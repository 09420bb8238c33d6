#pragma once
// The charts of the HTML report (report_html.cpp): horizontal bars and a cumulative line, as
// inline SVG, each followed by a table of its numbers; counts too small to show are hidden.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "claimreg/report.hpp"

namespace claimreg::charts {

// Okabe-Ito: told apart by readers with any common colour-vision deficiency.
inline constexpr std::string_view blue = "#0072B2";
inline constexpr std::string_view green = "#009E73";
inline constexpr std::string_view orange = "#E69F00";
inline constexpr std::string_view vermillion = "#D55E00";

/// `text` escaped for HTML text and attribute values.
std::string escape(std::string_view text);

// A count as a reader sees it (escaped for HTML): Dutch digits; when hidden, `<N` for a small
// count and `≥N` for one hidden with it (that it is not small follows from the `<N` anyway).
struct Shown {
    std::uint64_t min_count;
    std::string operator()(std::uint64_t n, bool hidden) const {
        if (!hidden) return dutch_number(n);
        return escape(fmt::format("{}{}", n < min_count ? "<" : "\u2265", min_count));
    }
};

/// An amount in euros, the Dutch way: `EUR 1.500`.
std::string euros(std::uint64_t n);

// One bar of a chart.
struct Bar {
    std::string label;      // plain text (escaped when written)
    std::uint64_t count = 0;
    bool hidden = false;    // drawn without a bar: its length would tell the count
    std::string_view colour = blue;
};

// A horizontal bar chart with its axis, then the same numbers as a table.
std::string bar_chart(std::string_view id, std::string_view title, const std::vector<Bar>& bars,
                      std::string_view count_header, const Shown& shown);

// Bars for counts that add up to a total, the small ones (and enough others) hidden.
std::vector<Bar> partition_bars(std::vector<Bar> bars, std::uint64_t min_count);

// Consecutive weeks joined until each step adds at least `min_count` claimants (a short last
// step joins the one before), so that no small weekly count can be read off the line.
struct Step {
    std::string first_monday, last_monday;
    std::uint64_t added = 0, total = 0;
};

/// The weeks' counts as steps of at least `min_count` claimants each.
std::vector<Step> cumulative_steps(const std::vector<WeekCount>& weeks, std::uint64_t min_count);

// The cumulative number of registrations as a line over time, then as a table.
std::string line_chart(std::string_view id, std::string_view title, const std::vector<Step>& steps,
                       const Shown& shown, std::uint64_t min_count);

} // namespace claimreg::charts
