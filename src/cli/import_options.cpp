#include "import_options.hpp"

#include <fmt/format.h>

#include "output.hpp"

namespace claimreg::cli {

void add_import_options(CLI::App& cmd, ImportCliOptions& opt) {
    cmd.add_option("--rejects", opt.rejects,
                   "Write rejected rows, with a reason column, to this CSV file (mode 0600; "
                   "replaced when the import got to its end)")
        ->type_name("FILE")
        ->group("Output");
    cmd.add_flag("--json", opt.json, "Print the summary as one JSON object on stdout")
        ->group("Output");
    cmd.add_flag("--dry-run", opt.dry_run, "Validate and count; store nothing")->group("Mode");
    cmd.add_flag("--strict", opt.strict, "Store nothing if any row is rejected")->group("Mode");
    cmd.add_flag("--no-update", opt.no_update,
                 "Keep stored registrations as they are; report rows that differ")
        ->group("Mode");
}

void print_import_summary(const ImportReport& r, const ImportCliOptions& opt, bool quiet,
                          std::string_view where) {
    if (opt.json) {
        fmt::print("{{\"rows_read\":{},\"imported\":{},\"linked\":{},\"updated\":{},"
                   "\"unchanged\":{},\"duplicates\":{},\"rejected\":{},\"erased\":{}}}\n",
                   r.rows_read, r.imported, r.linked, r.updated, r.unchanged, r.duplicates,
                   r.rejected, r.erased);
    }
    const char* note = opt.dry_run                     ? " (dry run: nothing stored)"
                       : (opt.strict && r.rejected > 0) ? " (strict: nothing stored)"
                                                        : "";
    notice(quiet,
           "{}{} rows read: {} imported, {} linked, {} updated, {} unchanged, {} duplicates, {} "
           "rejected, {} erased{}",
           where, r.rows_read, r.imported, r.linked, r.updated, r.unchanged, r.duplicates,
           r.rejected, r.erased, note);
}

} // namespace claimreg::cli
