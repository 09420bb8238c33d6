// claimreg import-csv: bulk import of a CSV file into the registry.

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
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

// Progress on a terminal: rows, MiB and rows/s; with the input's size (a regular file) also the
// share read and an estimate of the time left, as pv(1) and rsync(1) show them.
class ProgressLine {
  public:
    explicit ProgressLine(std::uint64_t total_bytes)
        : total_bytes_(total_bytes), started_(std::chrono::steady_clock::now()) {}

    void update(const ImportReport& r) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
        const double rate = seconds > 0 ? static_cast<double>(r.rows_read) / seconds : 0.0;
        const double mib = static_cast<double>(r.bytes_read) / (1024.0 * 1024.0);
        if (total_bytes_ == 0) {
            show(fmt::format("{} rows, {} updated, {:.1f} MiB ({:.0f} rows/s)", r.rows_read,
                             r.updated, mib, rate));
            return;
        }
        const std::uint64_t read = std::min(r.bytes_read, total_bytes_);
        const double share = static_cast<double>(read) / static_cast<double>(total_bytes_);
        const double left = share > 0 ? seconds * (1 - share) / share : 0.0;
        show(fmt::format("{} rows, {} updated, {:.1f} of {:.1f} MiB ({}%), {:.0f} rows/s, ETA {}",
                         r.rows_read, r.updated, mib, static_cast<double>(total_bytes_) / (1024.0 * 1024.0),
                         static_cast<int>(share * 100), rate, duration(left)));
    }

    /// The last line, for the pause while the indexes are rebuilt (after a progress line only:
    /// a small import finishes at once).
    void finishing(const ImportReport& r) {
        if (!shown_) return;
        show(fmt::format("{} rows{}, finishing: building indexes", r.rows_read,
                         total_bytes_ > 0 ? " (100%)" : ""));
    }

    /// Clears the line for what follows.
    void clear() const {
        if (shown_) fmt::print(stderr, "\r\033[K");
    }

  private:
    void show(const std::string& text) {
        fmt::print(stderr, "\r\033[Kclaimreg: {}", text);
        std::fflush(stderr);
        shown_ = true;
    }

    // `m:ss`, or `h:mm:ss` from an hour.
    static std::string duration(double seconds) {
        const auto s = static_cast<long long>(seconds + 0.5);
        if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
        return fmt::format("{}:{:02}", s / 60, s % 60);
    }

    std::uint64_t total_bytes_;
    std::chrono::steady_clock::time_point started_;
    bool shown_ = false;
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
        rejects.emplace(opt.rejects, "--rejects", OutputGuard{global.db, ::fileno(input.get())});
        options.rejects = rejects->get();
    }
    ignore_write_signals();
    const bool show_progress = !global.quiet && ::isatty(STDERR_FILENO);
    ProgressLine progress(size);
    options.on_reject = [&](const RowError& e) {
        progress.clear(); // a line of its own; the next update redraws the progress
        fmt::print(stderr, "claimreg: line {}: {}{}{}\n", e.line, e.column,
                   e.column.empty() ? "" : ": ", e.rule);
    };
    options.on_notice = [&](const RowNotice& n) {
        progress.clear();
        fmt::print(stderr, "claimreg: line {}: {}\n", n.line, n.text);
    };
    options.on_unknown_column = [&](std::string_view column) {
        notice(global.quiet, "warning: ignoring unknown column '{}'", column);
    };
    if (show_progress) {
        options.on_progress = [&progress](const ImportReport& r) { progress.update(r); };
        options.on_finishing = [&progress](const ImportReport& r) { progress.finishing(r); };
    }

    const ImportReport report = [&] {
        try {
            return import_csv_file(input.get(), global.db, global.registry_options(), options);
        } catch (...) {
            progress.clear(); // the error starts on a line of its own
            throw;
        }
    }();
    progress.clear();
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
