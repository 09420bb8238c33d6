// claimreg import-csv: bulk import of a CSV file into the registry.

#include <sys/stat.h>

#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/files.hpp"
#include "claimreg/importer.hpp"
#include "import_options.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ImportCsvOptions : ImportCliOptions {
    std::string delimiter;
    std::string encoding;
};

ExitStatus run_import_csv(const ImportCsvOptions& opt, const GlobalOptions& global) {
    ImportOptions options;
    if (!opt.delimiter.empty()) options.csv.delimiter = parse_delimiter(opt.delimiter);
    if (!opt.encoding.empty()) {
        options.csv.encoding = parse_option("--encoding", opt.encoding, parse_encoding);
    }
    options.source_name = opt.file;
    options.dry_run = opt.dry_run;
    options.strict = opt.strict;
    options.update = !opt.no_update;
    options.today = today();
    options.now_utc = now_utc();

    FilePtr input = open_input(opt.file);
    struct stat st {};
    std::uint64_t size = 0; // of a regular file; 0 when unknown (a pipe)
    if (::fstat(::fileno(input.get()), &st) == 0 && S_ISREG(st.st_mode)) {
        size = static_cast<std::uint64_t>(st.st_size);
        options.expected_rows = size / 150; // ~150 bytes a row
    }
    // Checked before the registry is opened; replaced only when the import got to its end.
    std::optional<OutputFile> rejects;
    if (!opt.rejects.empty()) {
        open_output("--rejects", [&] {
            rejects.emplace(opt.rejects, OutputGuard{global.db, ::fileno(input.get())});
        });
        options.rejects = rejects->get();
    }
    ignore_write_signals();
    ProgressLine progress(size);
    const ImportReport report = run_import(
        options, progress, global.quiet,
        [](std::uint64_t line) { return fmt::format("line {}", line); }, "", [&] {
            return import_csv_file(input.get(), global.db, global.registry_options(), options);
        });
    if (rejects) rejects->commit();
    print_import_summary(report, opt, global.quiet);
    return report.rejected > 0 ? ExitStatus::data : ExitStatus::ok;
}

} // namespace

void setup_import_csv(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ImportCsvOptions>();
    auto* cmd = app.add_subcommand("import-csv", "Import registrations from a CSV file (- for stdin)");
    cmd->add_option("FILE", opt->file, "CSV file to import, or - for standard input")
        ->required()
        ->type_name("");
    cmd->add_option("--delimiter", opt->delimiter, "Field delimiter: , ; or tab (default: detect)")
        ->type_name("CHAR")
        ->group("Input");
    cmd->add_option("--encoding", opt->encoding, "utf-8 or windows-1252 (default: detect)")
        ->type_name("ENC")
        ->group("Input");
    add_import_options(*cmd, *opt);
    cmd->footer(
        "Headers: canonical names or Dutch aliases (see man claimreg). Dates YYYY-MM-DD or\n"
        "day-first DD-MM-YYYY. A row of a stored submission (same external_ref; without\n"
        "one, same child and registrant e-mail) that differs updates it (the changed\n"
        "field names go to the audit); a state column (active, withdrawn, opted-out)\n"
        "withdraws or opts out. Other duplicates are linked or counted unchanged. The\n"
        "import is one transaction: on failure or interruption the registry is as before.\n\n"
        "Exit status: 0 all rows fine, 65 rows rejected (the good rows are stored unless\n"
        "--strict), 64 usage error (also --rejects naming the registry or the input), 66\n"
        "missing file, 73 cannot create the registry or rejects file, 74 I/O error, 75\n"
        "registry busy.\n\n"
        "Examples:\n"
        "  claimreg import-csv aanmeldingen.csv --rejects afgekeurd.csv\n"
        "  claimreg import-csv --dry-run --json partner.csv");
    cmd->callback([opt, &global, &out] { out.status = run_import_csv(*opt, global); });
}

} // namespace claimreg::cli
