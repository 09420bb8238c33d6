// claimreg resolve: applies a reviewed duplicates file (`a,b,decision`) in one transaction.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/files.hpp"
#include "claimreg/review.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ResolveOptions {
    std::string file;
    std::string delimiter;
    std::string encoding;
};

ExitStatus run_resolve(const ResolveOptions& opt, const GlobalOptions& global) {
    CsvReadOptions csv;
    if (!opt.delimiter.empty()) csv.delimiter = parse_delimiter(opt.delimiter);
    if (!opt.encoding.empty())
        csv.encoding = parse_option("--encoding", opt.encoding, parse_encoding);
    FilePtr input = open_input(opt.file);
    Registry registry(global.db, OpenMode::update, global.registry_options());
    const ResolveReport r = resolve_decisions(registry, input.get(), csv, now_utc());
    std::size_t bad_rows = 0; // errors come in line order, a row's together
    for (std::size_t i = 0; i < r.errors.size(); ++i) {
        const ResolveError& e = r.errors[i];
        if (i == 0 || r.errors[i - 1].line != e.line) ++bad_rows;
        fmt::print(stderr, "claimreg: line {}: {}{}{}\n", e.line, e.column,
                   e.column.empty() ? "" : ": ", e.reason);
    }
    if (!r.errors.empty()) {
        throw DataError(
            fmt::format("{} bad row{}: nothing applied", bad_rows, bad_rows == 1 ? "" : "s"));
    }
    notice(global.quiet,
           "{} rows read: {} linked, {} distinct, {} skipped (no decision), {} decided before",
           r.rows, r.linked, r.distinct, r.skipped, r.already);
    return ExitStatus::ok;
}

} // namespace

void setup_resolve(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ResolveOptions>();
    auto* cmd = app.add_subcommand(
        "resolve",
        "Apply a reviewed duplicates CSV (a,b,decision) in one transaction (- for stdin)");
    cmd->add_option("FILE", opt->file, "The reviewed CSV file, or - for standard input")
        ->required()
        ->type_name("");
    cmd->add_option("--delimiter", opt->delimiter, "Field delimiter: , ; or tab (default: detect)")
        ->type_name("CHAR");
    cmd->add_option("--encoding", opt->encoding, "utf-8 or windows-1252 (default: detect)")
        ->type_name("ENC");
    cmd->footer(
        "Reads the columns a, b and decision by their header (other columns, such as score\n"
        "and the field levels of 'claimreg duplicates --format csv', are ignored). A decision\n"
        "is same or distinct (Dutch: zelfde, verschillend; any case); an empty one is skipped\n"
        "(not reviewed yet). same links the two claimants (each followed through its links)\n"
        "into the lower id, as 'claimreg link'; distinct records them as different children.\n"
        "A file decided before changes nothing. One transaction: a bad row (an unknown or\n"
        "non-active id, a bad value, a pair that contradicts another row or an earlier\n"
        "decision) is reported with its line and column, and nothing is applied. Summary on\n"
        "stderr.\n\n"
        "Exit status: 0 ok, 64 usage error, 65 bad rows (nothing applied) or a missing column,\n"
        "66 missing file or registry, 74 I/O error, 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg duplicates --format csv > review.csv   # fill in the decision column\n"
        "  claimreg resolve review.csv");
    cmd->callback([opt, &global, &out] { out.status = run_resolve(*opt, global); });
}

} // namespace claimreg::cli
