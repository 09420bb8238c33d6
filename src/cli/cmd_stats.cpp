// claimreg stats: counts of active claimants, a summary or grouped (--by), for people and scripts.

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/json.hpp"
#include "claimreg/stats.hpp"
#include "output.hpp"
#include "render.hpp"

namespace claimreg::cli {

namespace {

using Format = TableFormat;

struct StatsOptions {
    std::vector<std::string> by;
    std::vector<std::string> verdicts;
    std::string format; // empty: table on a terminal, tsv otherwise (--by); aligned lines (summary)
    bool count = false;
    bool chart = false;
};

Format parse_format(std::string_view text) {
    if (text == "table") return Format::table;
    if (text == "csv") return Format::csv;
    if (text == "tsv") return Format::tsv;
    if (text == "json") return Format::json;
    throw UsageError("--format: unknown format (use table|csv|tsv|json)");
}

// The terminal's width: $COLUMNS, else the terminal's own, else 80.
std::size_t terminal_columns() {
    if (const char* env = std::getenv("COLUMNS")) {
        char* end = nullptr;
        const unsigned long n = std::strtoul(env, &end, 10);
        if (end != env && *end == '\0' && n > 0 && n < 10000) return n;
    }
    winsize size{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    return 80;
}

// Grouped counts as horizontal bars: `label  count  bar` a row, the longest bar filling what
// `columns` leaves, in block characters with eighths (a count above 0 gets at least one).
std::string render_chart(const Table& grid, std::size_t columns) {
    static constexpr std::array<std::string_view, 8> eighths = {
        "", "\u258F", "\u258E", "\u258D", "\u258C", "\u258B", "\u258A", "\u2589"};
    const std::size_t groups = grid.header.size() - (grid.header.back() == "claimed_eur" ? 2 : 1);
    std::vector<std::string> labels;
    std::vector<std::uint64_t> counts;
    std::size_t label_width = 0, count_width = 0;
    std::uint64_t max = 0;
    for (const auto& row : grid.rows) {
        std::string label;
        for (std::size_t i = 0; i < groups; ++i) {
            label += (i > 0 ? " " : "") + std::string(grid.shown(row, i));
        }
        label_width = std::max(label_width, display_width(label));
        labels.push_back(std::move(label));
        counts.push_back(std::stoull(row[groups]));
        count_width = std::max(count_width, row[groups].size());
        max = std::max(max, counts.back());
    }
    const std::size_t used = label_width + count_width + 4;
    const std::size_t bar_width = columns > used + 1 ? columns - used : 1;
    std::string out;
    for (std::size_t r = 0; r < labels.size(); ++r) {
        std::uint64_t units = max == 0 ? 0 : (counts[r] * bar_width * 8 + max / 2) / max;
        if (counts[r] > 0 && units == 0) units = 1;
        std::string bar;
        for (std::uint64_t i = 0; i < units / 8; ++i) bar += "\u2588";
        bar += eighths[units % 8];
        out += fmt::format("{}{}  {:>{}}  {}", labels[r], std::string(label_width - display_width(labels[r]), ' '),
                           counts[r], count_width, bar);
        trim_trailing_spaces(out);
        out += '\n';
    }
    return out;
}

// The summary: aligned `label  value` lines (labels are single words, so `awk '$1 == "review"'`
// works), or one record of the same keys in csv/tsv/json.
std::string render_summary(const StatsSummary& s, std::optional<Format> format) {
    const auto verdict = [&](VerdictKind v) { return s.by_verdict[static_cast<std::size_t>(v)]; };
    struct Line {
        std::string_view label; // also the csv/tsv/json key
        bool indented;          // a part of the line above
        std::uint64_t value;
    };
    const std::array<Line, 9> lines = {{
        {"active", false, s.active},
        {"eligible", true, verdict(VerdictKind::eligible)},
        {"ineligible", true, verdict(VerdictKind::ineligible)},
        {"review", true, verdict(VerdictKind::review)},
        {"withdrawn", false, s.withdrawn},
        {"opted_out", false, s.opted_out},
        {"erased", false, s.erased},
        {"duplicates", false, s.duplicates},
        {"claimed_eur", false, s.claimed_eur},
    }};
    Table table;
    if (!format || *format == Format::table) {
        // Label and value columns, no header: `  eligible  7` for a part of the line above.
        table.headed = false;
        table.add_column("label", false);
        table.add_column("value", true);
        for (const Line& l : lines) {
            table.rows.push_back({(l.indented ? "  " : "") + std::string(l.label), std::to_string(l.value)});
        }
        return render(table, Format::table);
    }
    if (*format == Format::json) {
        std::string out;
        JsonWriter json(out);
        json.begin_object();
        for (const Line& l : lines) json.key(l.label).integer(l.value);
        json.end_object();
        return out + "\n";
    }
    table.rows.emplace_back();
    for (const Line& l : lines) {
        table.add_column(l.label, true);
        table.rows.back().push_back(std::to_string(l.value));
    }
    return render(table, *format);
}

Table grid_of(const StatsTable& table) {
    Table grid;
    for (const StatsGroup g : table.by) {
        // Claimants 18 and over at first use have no age band.
        grid.add_column(field_name(g), false, g == StatsGroup::age_band ? "18+" : "");
    }
    grid.add_column("count", true);
    const bool claimed =
        std::find(table.by.begin(), table.by.end(), StatsGroup::age_band) != table.by.end();
    if (claimed) grid.add_column("claimed_eur", true);
    for (const StatsRow& row : table.rows) {
        auto& cells = grid.rows.emplace_back(row.values);
        cells.push_back(std::to_string(row.count));
        if (claimed) cells.push_back(std::to_string(row.claimed_eur));
    }
    return grid;
}

ExitStatus run_stats(const StatsOptions& opt, const GlobalOptions& global) {
    // Check the whole command line before touching the registry.
    StatsQuery query;
    for (const std::string& g : opt.by) {
        const StatsGroup group = parse_option("--by", g, parse_stats_group);
        if (std::find(query.by.begin(), query.by.end(), group) != query.by.end()) {
            throw UsageError(fmt::format("--by {} given twice", to_string(group)));
        }
        query.by.push_back(group);
    }
    for (const std::string& v : opt.verdicts) {
        query.verdicts.push_back(parse_option("--verdict", v, parse_verdict));
    }
    const std::optional<Format> format =
        opt.format.empty() ? std::nullopt : std::optional(parse_format(opt.format));
    if (opt.count && !query.by.empty()) {
        throw UsageError("--count prints one number: it does not take --by");
    }
    if (opt.count && format) throw UsageError("--count prints one bare number: it takes no --format");
    if (opt.chart && (query.by.empty() || format || opt.count)) {
        throw UsageError("--chart draws the counts of --by: it takes --by, and no --format or --count");
    }
    if (!opt.count && query.by.empty() && !query.verdicts.empty()) {
        throw UsageError("--verdict filters --by or --count (the summary shows every verdict)");
    }

    Registry registry(global.db, OpenMode::read, global.registry_options());
    if (opt.count) {
        write_stdout(fmt::format("{}\n", count_active(registry, query.verdicts)));
    } else if (query.by.empty()) {
        write_stdout(render_summary(summarize(registry), format));
    } else if (opt.chart) {
        write_stdout(render_chart(grid_of(count_claimants(registry, query)), terminal_columns()));
    } else {
        const Format f = format.value_or(::isatty(STDOUT_FILENO) ? Format::table : Format::tsv);
        write_stdout(render(grid_of(count_claimants(registry, query)), f));
    }
    return ExitStatus::ok;
}

std::string group_names() {
    std::string names;
    for (const StatsGroup g : stats_groups()) {
        names += (names.empty() ? "" : "|") + std::string(to_string(g));
    }
    return names;
}

// `under-13 EUR 1500, 13-15 EUR 1250, 16-17 EUR 1000`, from the eligibility rules.
std::string band_amounts() {
    std::string text;
    for (const AgeBand b : {AgeBand::under_13, AgeBand::from_13_to_15, AgeBand::from_16_to_17}) {
        text += fmt::format("{}{} EUR {}", text.empty() ? "" : ", ", to_string(b), claimed_eur(b));
    }
    return text;
}

} // namespace

void setup_stats(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<StatsOptions>();
    auto* cmd = app.add_subcommand(
        "stats", "Count active claimants: a summary, grouped counts (--by) or one number (--count)");
    cmd->add_option("--by", opt->by,
                    "Group by GROUP (below); repeat for one row per combination")
        ->type_name("GROUP")
        ->default_str("")
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--verdict", opt->verdicts,
                    "Count only this verdict: eligible|ineligible|review (repeatable)")
        ->type_name("VERDICT")
        ->default_str("")
        ->delimiter(',')
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd->add_option("--format", opt->format,
                    "table|csv|tsv|json (default: table on a terminal, else tsv)")
        ->type_name("FORMAT");
    cmd->add_flag("--chart", opt->chart,
                  "Draw the counts of --by as bars fitted to the terminal width ($COLUMNS)");
    cmd->add_flag("--count", opt->count,
                  "Print the number of active claimants (of --verdict) alone, for $(...)");
    cmd->footer(
        "GROUP: " + group_names() + ".\n"
        "Only active claimants are counted, except with --by state (every state).\n"
        "postcode-area: the first two digits; birth-year: YYYY; registration-month: YYYY-MM.\n"
        "Claimants are children: further registrations of the same child (duplicates) are not\n"
        "counted again. Rows are sorted by the group values (age bands youngest first).\n"
        "claimed_eur (with --by age-band): the band's amount for each eligible active claimant\n"
        "in the row (" + band_amounts() + "); 0 for other verdicts\n"
        "and for 18+ (18 and over at first use: no band; null in JSON). The summary (no\n"
        "options) prints aligned `label  value` lines, or one record with --format\n"
        "csv|tsv|json. --chart: one `label  count  bar` line a row, the bars in Unicode\n"
        "block characters (no colour), the longest filling the width $COLUMNS gives (80\n"
        "when unset and not a terminal).\n\n"
        "Examples:\n"
        "  claimreg stats\n"
        "  claimreg stats --by age-band --verdict eligible\n"
        "  claimreg stats --by birth-year --by platform --format csv > by-year.csv\n"
        "  claimreg stats --by state --format json\n"
        "  claimreg stats --by age-band --verdict eligible --chart\n"
        "  n=$(claimreg stats --count --verdict review)\n\n"
        "Exit status: 0 ok; 64 usage error; 66 no registry (none is created); 74 I/O error;\n"
        "75 registry busy.");
    cmd->callback([opt, &global, &out] { out.status = run_stats(*opt, global); });
}

} // namespace claimreg::cli
