#include "import_options.hpp"

#include <algorithm>
#include <cstdio>

#include <unistd.h>

#include <fmt/format.h>

#include "claimreg/json.hpp"
#include "output.hpp"
#include "render.hpp"

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
    const char* note = opt.dry_run                     ? " (dry run: nothing stored)"
                       : (opt.strict && r.rejected > 0) ? " (strict: nothing stored)"
                                                        : "";
    notice(quiet,
           "{}{} rows read: {} imported, {} linked, {} updated, {} unchanged, {} duplicates, {} "
           "rejected, {} erased{}",
           where, r.rows_read, r.imported, r.linked, r.updated, r.unchanged, r.duplicates,
           r.rejected, r.erased, note);
    if (opt.json) {
        std::string out;
        JsonWriter(out)
            .begin_object()
            .key("rows_read").integer(r.rows_read)
            .key("imported").integer(r.imported)
            .key("linked").integer(r.linked)
            .key("updated").integer(r.updated)
            .key("unchanged").integer(r.unchanged)
            .key("duplicates").integer(r.duplicates)
            .key("rejected").integer(r.rejected)
            .key("erased").integer(r.erased)
            .end_object();
        write_stdout(out + '\n');
    }
}

namespace {

// `m:ss`, or `h:mm:ss` from an hour.
std::string duration(double seconds) {
    const auto s = static_cast<long long>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    return fmt::format("{}:{:02}", s / 60, s % 60);
}

} // namespace

ProgressLine::ProgressLine(std::uint64_t total_bytes)
    : total_bytes_(total_bytes), started_(std::chrono::steady_clock::now()) {}

void ProgressLine::update(const ImportReport& r) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double rate = seconds > 0 ? static_cast<double>(r.rows_read) / seconds : 0.0;
    const double mib = static_cast<double>(r.bytes_read) / (1024.0 * 1024.0);
    if (total_bytes_ == 0) {
        show(fmt::format("{} rows, {} updated, {:.1f} MiB ({:.0f} rows/s)", r.rows_read, r.updated,
                         mib, rate));
        return;
    }
    const std::uint64_t read = std::min(r.bytes_read, total_bytes_);
    const double share = static_cast<double>(read) / static_cast<double>(total_bytes_);
    const double left = share > 0 ? seconds * (1 - share) / share : 0.0;
    show(fmt::format("{} rows, {} updated, {:.1f} of {:.1f} MiB ({}%), {:.0f} rows/s, ETA {}",
                     r.rows_read, r.updated, std::min(mib, static_cast<double>(total_bytes_) / (1024.0 * 1024.0)),
                     static_cast<double>(total_bytes_) / (1024.0 * 1024.0),
                     static_cast<int>(share * 100), rate, duration(left)));
}

void ProgressLine::finishing(const ImportReport& r) {
    if (!shown_) return;
    show(fmt::format("{} rows{}, finishing: building indexes", r.rows_read,
                     total_bytes_ > 0 ? " (100%)" : ""));
}

void ProgressLine::clear() const {
    if (shown_) fmt::print(stderr, "\r\033[K");
}

void ProgressLine::show(const std::string& text) {
    fmt::print(stderr, "\r\033[Kclaimreg: {}", text);
    std::fflush(stderr);
    shown_ = true;
}

ImportReport run_import(ImportOptions& options, ProgressLine& progress, bool quiet,
                        const std::function<std::string(std::uint64_t line)>& where,
                        std::string_view column_word,
                        const std::function<ImportReport()>& import) {
    options.on_reject = [&](const RowError& e) {
        progress.clear(); // a line of its own; the next update redraws the progress
        if (e.column.empty()) {
            fmt::print(stderr, "claimreg: {}: {}\n", where(e.line), e.rule);
        } else {
            fmt::print(stderr, "claimreg: {}: {}{}: {}\n", where(e.line), column_word, e.column,
                       e.rule);
        }
    };
    options.on_notice = [&](const RowNotice& n) {
        progress.clear();
        fmt::print(stderr, "claimreg: {}: {}{}\n", where(n.line), n.text,
                   n.kept_as_stored ? " (--no-update)" : "");
    };
    options.on_unknown_column = [quiet](std::string_view column) {
        notice(quiet, "warning: ignoring unknown column '{}'", column);
    };
    if (!quiet && ::isatty(STDERR_FILENO)) {
        options.on_progress = [&progress](const ImportReport& r) { progress.update(r); };
        options.on_finishing = [&progress](const ImportReport& r) { progress.finishing(r); };
    }
    try {
        ImportReport report = import();
        progress.clear();
        return report;
    } catch (...) {
        progress.clear(); // the error starts on a line of its own
        throw;
    }
}

} // namespace claimreg::cli
