// claimreg import-xlsx: bulk import of one worksheet of an xlsx workbook into the registry.


#include <cstdio>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/files.hpp"
#include "claimreg/importer.hpp"
#include "claimreg/xlsx_reader.hpp"
#include "import_options.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ImportXlsxOptions : ImportCliOptions {
    std::string sheet;
};

// A sheet name as messages show it: control characters replaced, so a name cannot move the
// terminal's cursor.
std::string printable(std::string_view name) {
    std::string out;
    for (const char c : name) out += static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c;
    return out;
}

ExitStatus run_import_xlsx(const ImportXlsxOptions& opt, const GlobalOptions& global) {
    ImportOptions options;
    options.source_name = opt.file;
    options.dry_run = opt.dry_run;
    options.strict = opt.strict;
    options.update = !opt.no_update;
    options.today = today();
    options.now_utc = now_utc();
    if (opt.file == "-") {
        throw UsageError("import-xlsx: a workbook is read from a file, not from standard input");
    }

    FilePtr input = open_input(opt.file);
    XlsxReadOptions read;
    read.sheet = opt.sheet;
    std::optional<XlsxSource> source;
    try {
        source.emplace(::fileno(input.get()), read);
    } catch (const ValueError& e) { // no such sheet: the one value of ours it reads
        throw UsageError(std::string("--sheet: ") + e.what());
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
    const std::string sheet = printable(source->sheet_name());
    ProgressLine progress(source->sheet_size()); // the bytes of the worksheet's XML
    const ImportReport r = run_import(
        options, progress, global.quiet,
        [&sheet](std::uint64_t line) { return fmt::format("sheet '{}' row {}", sheet, line); },
        "column ", [&] {
            return import_records_file(*source, global.db, global.registry_options(), options);
        });
    if (rejects) rejects->commit();
    print_import_summary(r, opt, global.quiet, fmt::format("sheet '{}': ", sheet));
    return r.rejected > 0 ? ExitStatus::data : ExitStatus::ok;
}

} // namespace

void setup_import_xlsx(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ImportXlsxOptions>();
    auto* cmd = app.add_subcommand("import-xlsx", "Import registrations from a worksheet of an xlsx workbook");
    cmd->add_option("FILE", opt->file, "The .xlsx workbook to import")->required()->type_name("");
    cmd->add_option("--sheet", opt->sheet,
                    "The worksheet to read: its name, or its position (1 is the first; default)")
        ->type_name("NAME|N")
        ->group("Input");
    add_import_options(*cmd, *opt);
    cmd->footer(
        "The first non-empty row is the header (the names and Dutch aliases of import-csv);\n"
        "empty rows are skipped. Cells are read as a spreadsheet shows them: date cells as\n"
        "dates (1900 and 1904 date systems), numbers without a needless .0, booleans as\n"
        "true/false, a formula by its saved result (never evaluated). A phone number stored\n"
        "as a number is rejected (its leading 0 or + is lost). Messages name the sheet, the\n"
        "row and the column letter with its header, never a value. Rows then go the way of\n"
        "import-csv: rules, duplicates, one transaction.\n\n"
        "Exit status: 0 all rows fine, 65 rows rejected (the good rows are stored unless\n"
        "--strict) or not a readable workbook (not a zip, damaged, a zip bomb), 64 usage\n"
        "error (also no such --sheet), 66 missing file, 73 cannot create the registry or\n"
        "rejects file, 74 I/O error, 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg import-xlsx aanmeldingen.xlsx --rejects afgekeurd.csv\n"
        "  claimreg import-xlsx --sheet Aanmeldingen --dry-run --json partner.xlsx");
    cmd->callback([opt, &global, &out] { out.status = run_import_xlsx(*opt, global); });
}

} // namespace claimreg::cli
