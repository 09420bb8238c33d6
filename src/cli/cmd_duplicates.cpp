// claimreg duplicates: probable duplicates among the active claimants, scored, for a person to
// decide. Field names and comparison levels only; personal values only with --show.

#include <charconv>

#include <fmt/format.h>

#include "app.hpp"
#include "claimant_text.hpp"
#include "claimreg/csv.hpp"
#include "claimreg/duplicates.hpp"
#include "claimreg/exporter.hpp"
#include "claimreg/json.hpp"
#include "output.hpp"
#include "render.hpp"

namespace claimreg::cli {

namespace {

enum class Format { tsv, csv, json };

struct DuplicatesOptions {
    std::string min_score;
    std::string since;
    std::size_t limit = 0;
    std::string format = "tsv";
    bool show = false;
};

Format parse_format(std::string_view text) {
    if (text == "tsv") return Format::tsv;
    if (text == "csv") return Format::csv;
    if (text == "json") return Format::json;
    throw UsageError("--format: unknown format (use tsv|csv|json)");
}

double parse_min_score(std::string_view text) {
    double value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0.0 && value <= 1.0))
        throw UsageError("--min-score: expected a number from 0 to 1");
    return value;
}

std::string levels_text(const Levels& levels) {
    std::string out;
    for (std::size_t f = 0; f < compared_count; ++f) {
        if (f != 0) out += ' ';
        out += compared_name(static_cast<Compared>(f));
        out += '=';
        out += to_string(levels[f]);
    }
    return out;
}

// `{"score":0.973,"a":12,"b":873,"fields":{"child_first_name":"typo",...}}` and a line break.
void append_json_line(std::string& out, const DuplicatePair& p) {
    JsonWriter json(out);
    json.begin_object();
    json.key("score").number(format_score(p.score));
    json.key("a").integer(p.a);
    json.key("b").integer(p.b);
    json.key("fields").begin_object();
    for (std::size_t f = 0; f < compared_count; ++f) {
        json.key(compared_name(static_cast<Compared>(f))).string(to_string(p.levels[f]));
    }
    json.end_object().end_object();
    out += '\n';
}

ExitStatus run_duplicates(const DuplicatesOptions& opt, const GlobalOptions& global) {
    const Format format = parse_format(opt.format);
    if (opt.show && format != Format::tsv)
        throw UsageError("--show: only with --format tsv (csv and json carry no personal values)");
    DuplicateOptions options;
    if (!opt.min_score.empty()) options.min_score = parse_min_score(opt.min_score);
    if (!opt.since.empty()) options.since = parse_option("--since", opt.since, parse_since);
    options.limit = opt.limit;

    Registry registry(global.db, OpenMode::read, global.registry_options());
    const DuplicateReport report = find_duplicates(registry, options);
    // Counts only: how much was looked at, for people and the benchmark.
    notice(global.quiet, "{} active claimant{}, {} pairs compared, {} proposed", report.claimants,
           report.claimants == 1 ? "" : "s",
           report.compared, report.pairs.size());

    if (format == Format::csv) {
        CsvWriter csv(stdout, ',', true);
        const std::array<std::string_view, 5> header = {"score", "a", "b", "levels", "decision"};
        csv.write_row(header);
        for (const DuplicatePair& p : report.pairs) {
            const std::array<std::string, 5> row = {format_score(p.score), std::to_string(p.a),
                                                    std::to_string(p.b), levels_text(p.levels), ""};
            csv.write_row(row);
        }
        csv.flush();
        return ExitStatus::ok;
    }
    std::string buffer;
    for (const DuplicatePair& p : report.pairs) {
        if (format == Format::json) {
            append_json_line(buffer, p);
        } else {
            buffer += fmt::format("{}\t{}\t{}\t{}\n", format_score(p.score), p.a, p.b,
                                  levels_text(p.levels));
            if (opt.show) {
                buffer += claimants_side_by_side(show_claimant(registry, p.a),
                                                 show_claimant(registry, p.b));
                buffer += '\n';
            }
        }
        write_stdout_when_full(buffer);
    }
    write_stdout(buffer);
    return ExitStatus::ok;
}

} // namespace

void setup_duplicates(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<DuplicatesOptions>();
    auto* cmd = app.add_subcommand(
        "duplicates", "List probable duplicates among the active claimants, best first, for review");
    cmd->add_option("--min-score", opt->min_score,
                    "Only pairs scoring at least this probability, 0 to 1 (default 0.9)")
        ->type_name("P");
    cmd->add_option("--since", opt->since,
                    "Only pairs with a claimant added or changed at or after this time: "
                    "YYYY-MM-DD (00:00 UTC) or YYYY-MM-DDTHH:MM:SS with Z or an offset")
        ->type_name("WHEN");
    cmd->add_option("--limit", opt->limit, "At most this many pairs (the best)")
        ->type_name("N")
        ->check(count_validator())
        ->default_str("");
    cmd->add_option("--format", opt->format, "tsv (default), csv (for review in a spreadsheet) or json")
        ->type_name("FORMAT");
    cmd->add_flag("--show", opt->show,
                  "Also print both records of each pair side by side (personal data; tsv only)");
    cmd->footer(
        "Each pair: score (estimated probability that both are one child, 3 decimals), the\n"
        "ids a < b, and a comparison level per field: child_first_name, child_last_name\n"
        "(prefix and last name), child_birth_date, postcode, house_number, registrant_email,\n"
        "registrant_phone; levels exact, variant (case, accents, spacing, a dropped or moved\n"
        "prefix), typo (a small edit), swapped (day and month, or first and last name),\n"
        "different, missing. Pairs already decided (link, distinct) are left out.\n"
        "tsv: score<TAB>a<TAB>b<TAB>field=level ...; csv: score,a,b,levels,decision with a\n"
        "header and an empty decision column to fill in (same or distinct); json: one object\n"
        "per line, {\"score\":0.973,\"a\":12,\"b\":873,\"fields\":{\"child_first_name\":\"typo\",...}}.\n"
        "No names or other personal values unless --show. A summary on stderr (unless -q):\n"
        "claimants considered, pairs compared and pairs proposed.\n\n"
        "The score is a Fellegi-Sunter model whose weights are estimated from the registry\n"
        "(EM over the blocked pairs, u from random pairs), with name frequencies taken into\n"
        "account. Children of one family (same family name, same address or registrant,\n"
        "other first names, or first names a letter apart that are both common first names)\n"
        "score at most 0.5: twins are not proposed at the default threshold.\n\n"
        "Exit status: 0 ok, 64 usage error (also a bad --since or --min-score), 65 registry\n"
        "refused, 66 missing registry (none is created), 74 write error, 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg duplicates --limit 20\n"
        "  claimreg duplicates --since 2024-06-01 --format csv > review.csv\n"
        "  claimreg duplicates --min-score 0.5 --format json | jq -c 'select(.score < 0.9)'");
    cmd->callback([opt, &global, &out] { out.status = run_duplicates(*opt, global); });
}

} // namespace claimreg::cli
