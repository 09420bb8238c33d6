// claimreg stats: counts of active claimants, a summary or grouped (--by), for people and scripts.

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/json.hpp"
#include "claimreg/stats.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

enum class Format { table, csv, tsv, json };

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

// Writes everything to stdout at once; a failed write (a full disk...) is an I/O error.
void write_stdout(std::string_view text) {
    if ((!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) ||
        std::fflush(stdout) != 0) {
        throw IoError(fmt::format("cannot write to standard output: {}", errno_text(errno)));
    }
}

// Display width of UTF-8 text: code points (the values are ASCII but for file names).
std::size_t width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// A CSV cell (RFC 4180): quoted when it holds the delimiter, a quote or a line break.
void append_csv_cell(std::string& out, std::string_view cell) {
    if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
        out += cell;
        return;
    }
    out += '"';
    for (const char c : cell) {
        if (c == '"') out += '"';
        out += c;
    }
    out += '"';
}

// A TSV cell: tab, line breaks and backslash escaped (`\t`, `\n`, `\r`, `\\`).
void append_tsv_cell(std::string& out, std::string_view cell) {
    for (const char c : cell) {
        switch (c) {
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        default: out += c;
        }
    }
}

// One table (header + rows of cells), rendered in a format. `numeric[i]`: column i holds
// numbers (right-aligned in a table, bare in JSON). `empty_label[i]`, when set: what an empty
// cell of column i shows in a table, CSV and TSV (in JSON it is null).
struct Grid {
    std::vector<std::string> header;
    std::vector<bool> numeric;
    std::vector<std::string> empty_label;
    std::vector<std::vector<std::string>> rows;

    /// The cell as shown in a table, CSV or TSV.
    std::string_view shown(const std::vector<std::string>& row, std::size_t i) const {
        return row[i].empty() && i < empty_label.size() ? std::string_view(empty_label[i])
                                                        : std::string_view(row[i]);
    }
};

std::string render(const Grid& grid, Format format) {
    std::string out;
    const std::size_t n = grid.header.size();
    switch (format) {
    case Format::csv:
    case Format::tsv: {
        const char sep = format == Format::csv ? ',' : '\t';
        const auto line = [&](const std::vector<std::string>& cells, bool header) {
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) out += sep;
                const std::string_view cell = header ? cells[i] : grid.shown(cells, i);
                if (format == Format::csv) {
                    append_csv_cell(out, cell);
                } else {
                    append_tsv_cell(out, cell);
                }
            }
            out += '\n';
        };
        line(grid.header, true);
        for (const auto& row : grid.rows) line(row, false);
        break;
    }
    case Format::json: {
        out += '[';
        for (std::size_t r = 0; r < grid.rows.size(); ++r) {
            out += r == 0 ? "\n{" : ",\n{";
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) out += ',';
                append_json_string(out, grid.header[i]);
                out += ':';
                if (grid.numeric[i]) {
                    out += grid.rows[r][i];
                } else if (grid.rows[r][i].empty() && i < grid.empty_label.size() &&
                           !grid.empty_label[i].empty()) {
                    out += "null";
                } else {
                    append_json_string(out, grid.rows[r][i]);
                }
            }
            out += '}';
        }
        out += grid.rows.empty() ? "]\n" : "\n]\n";
        break;
    }
    case Format::table: {
        std::vector<std::size_t> widths(n);
        for (std::size_t i = 0; i < n; ++i) widths[i] = width(grid.header[i]);
        for (const auto& row : grid.rows) {
            for (std::size_t i = 0; i < n; ++i) {
                widths[i] = std::max(widths[i], width(grid.shown(row, i)));
            }
        }
        const auto line = [&](const std::vector<std::string>& cells, bool header) {
            std::string text;
            for (std::size_t i = 0; i < n; ++i) {
                if (i > 0) text += "  ";
                const std::string cell(header ? std::string_view(cells[i]) : grid.shown(cells, i));
                const std::string pad(widths[i] - width(cell), ' ');
                text += grid.numeric[i] ? pad + cell : cell + pad;
            }
            while (!text.empty() && text.back() == ' ') text.pop_back();
            out += text;
            out += '\n';
        };
        line(grid.header, true);
        for (const auto& row : grid.rows) line(row, false);
        break;
    }
    }
    return out;
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
std::string render_chart(const Grid& grid, std::size_t columns) {
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
        label_width = std::max(label_width, width(label));
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
        out += fmt::format("{}{}  {:>{}}  {}", labels[r], std::string(label_width - width(labels[r]), ' '),
                           counts[r], count_width, bar);
        while (!out.empty() && out.back() == ' ') out.pop_back();
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
    if (!format || *format == Format::table) {
        std::size_t label_width = 0;
        std::size_t value_width = 0;
        for (const Line& l : lines) {
            label_width = std::max(label_width, l.label.size() + (l.indented ? 2 : 0));
            value_width = std::max(value_width, fmt::formatted_size("{}", l.value));
        }
        std::string out;
        for (const Line& l : lines) {
            const std::string label = (l.indented ? "  " : "") + std::string(l.label);
            out += fmt::format("{:<{}}  {:>{}}\n", label, label_width, l.value, value_width);
        }
        return out;
    }
    if (*format == Format::json) {
        std::string out = "{";
        for (const Line& l : lines) {
            if (out.size() > 1) out += ',';
            out += fmt::format("\"{}\":{}", l.label, l.value);
        }
        return out + "}\n";
    }
    Grid grid;
    grid.rows.emplace_back();
    for (const Line& l : lines) {
        grid.header.emplace_back(l.label);
        grid.numeric.push_back(true);
        grid.rows.back().push_back(std::to_string(l.value));
    }
    return render(grid, *format);
}

Grid grid_of(const StatsTable& table) {
    Grid grid;
    for (const StatsGroup g : table.by) {
        grid.header.emplace_back(field_name(g));
        grid.numeric.push_back(false);
        // Claimants 18 and over at first use have no age band.
        grid.empty_label.emplace_back(g == StatsGroup::age_band ? "18+" : "");
    }
    grid.header.emplace_back("count");
    grid.numeric.push_back(true);
    const bool claimed =
        std::find(table.by.begin(), table.by.end(), StatsGroup::age_band) != table.by.end();
    if (claimed) {
        grid.header.emplace_back("claimed_eur");
        grid.numeric.push_back(true);
    }
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
