// claimreg export: claimants to CSV, JSON or NDJSON, on stdout or atomically into a file.

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/exporter.hpp"
#include "claimreg/files.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ExportCliOptions {
    std::string format = "csv";
    std::string output;
    std::string delimiter;
    bool bom = false;
    std::vector<std::string> verdicts;
    std::string since;
    bool include_withdrawn = false;
    bool pseudonymize = false;
};

ExportOptions library_options(const ExportCliOptions& opt) {
    ExportOptions options;
    options.format = parse_option("--format", opt.format, parse_export_format);
    if (options.format != ExportFormat::csv && (!opt.delimiter.empty() || opt.bom)) {
        throw UsageError("--delimiter and --bom apply to --format csv only");
    }
    if (!opt.delimiter.empty()) options.delimiter = parse_delimiter(opt.delimiter);
    options.bom = opt.bom;
    for (const std::string& v : opt.verdicts) {
        options.verdicts.push_back(parse_option("--verdict", v, parse_verdict));
    }
    if (!opt.since.empty()) options.since = parse_since(opt.since);
    options.include_withdrawn = opt.include_withdrawn;
    options.pseudonymize = opt.pseudonymize;
    return options;
}

ExitStatus run_export(const ExportCliOptions& opt, const GlobalOptions& global) {
    const ExportOptions options = library_options(opt);
    const bool to_stdout = opt.output.empty() || opt.output == "-";
    if (to_stdout && ::fcntl(STDOUT_FILENO, F_GETFL) < 0) {
        throw IoError("cannot write the output: standard output is closed");
    }
    // A closed pipe (`claimreg export | head`) or a file-size limit (ulimit -f) is a write
    // error (74), not a silent death.
    ignore_write_signals();
    if (to_stdout) {
        Registry registry(global.db, OpenMode::read, global.registry_options());
        export_claimants(registry, options, stdout);
        return ExitStatus::ok;
    }
    // Checked and created before the registry is read: a refused path costs nothing.
    OutputFile file(opt.output, "--output", OutputGuard{global.db, -1});
    Registry registry(global.db, OpenMode::read, global.registry_options());
    export_claimants(registry, options, file.get());
    file.commit();
    return ExitStatus::ok;
}

} // namespace

void setup_export(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ExportCliOptions>();
    auto* cmd = app.add_subcommand("export", "Write claimants as CSV, JSON or NDJSON, to stdout or a file");
    cmd->add_option("--format", opt->format, "csv, json (one array) or ndjson (one object a line)")
        ->type_name("FORMAT")
        ->group("Output");
    cmd->add_option("-o,--output", opt->output,
                    "Write FILE atomically, mode 0600; a symlink's target is replaced, a FIFO or "
                    "/dev/stdout written to (default: - for stdout)")
        ->type_name("FILE")
        ->group("Output");
    cmd->add_flag("--pseudonymize", opt->pseudonymize,
                  "Only the non-identifying columns (below): no names, e-mail, phone, house "
                  "number or references")
        ->group("Output");
    cmd->add_option("--delimiter", opt->delimiter, "CSV field delimiter: , ; or tab (default ,)")
        ->type_name("CHAR")
        ->group("CSV");
    cmd->add_flag("--bom", opt->bom, "Start with a UTF-8 byte order mark (for Excel)")->group("CSV");
    cmd->add_option("--verdict", opt->verdicts,
                    "Only this verdict: eligible, ineligible or review (repeatable)")
        ->type_name("VERDICT")
        ->default_str("")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->delimiter(',')
        ->group("Filters");
    cmd->add_option("--since", opt->since,
                    "Only claimants added or changed at or after this time: YYYY-MM-DD (00:00 "
                    "UTC) or YYYY-MM-DDTHH:MM:SS with Z or an offset (+01:00)")
        ->type_name("WHEN")
        ->group("Filters");
    cmd->add_flag("--include-withdrawn", opt->include_withdrawn,
                  "Also withdrawn and opted-out claimants (excluded by default)")
        ->group("Filters");
    cmd->footer(
        "Columns: the import's canonical fields, then id, state, verdict, reasons, age_band,\n"
        "rule_set, checked_at, source; JSON keys are the same names. --pseudonymize: id,\n"
        "birth_year, postcode_digits, country, platform, first_use, last_use, state, verdict,\n"
        "reasons, age_band, registered_on. CSV is RFC 4180 with CRLF line ends; a cell a\n"
        "spreadsheet would run as a formula gets a leading apostrophe (import-csv removes it),\n"
        "so an exported CSV re-imports as the same claimants. Withdrawn and opted-out\n"
        "claimants are left out unless --include-withdrawn. Silent on success.\n\n"
        "Exit status: 0 ok, 64 usage error (also a bad --since, or --output naming the\n"
        "registry), 66 missing registry, 73 cannot create the output file,\n"
        "74 write error (disk full, closed pipe), 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg export --verdict eligible --bom --delimiter ';' -o eligible.csv\n"
        "  claimreg export --since 2024-06-01T00:00:00+02:00 --format ndjson -o changes.ndjson\n"
        "  claimreg export --pseudonymize --format json > research.json");
    cmd->callback([opt, &global, &out] { out.status = run_export(*opt, global); });
}

} // namespace claimreg::cli
