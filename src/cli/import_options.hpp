#pragma once
// What the import commands (import-csv, import-xlsx) share on the command line.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "claimreg/importer.hpp"

namespace claimreg::cli {

/// The options every import command has besides its input's own.
struct ImportCliOptions {
    std::string file;
    std::string rejects;
    bool dry_run = false;
    bool strict = false;
    bool no_update = false;
    bool json = false;
};

/// Adds --rejects, --json, --dry-run, --strict and --no-update to `cmd`, filling `opt`.
void add_import_options(CLI::App& cmd, ImportCliOptions& opt);

/// Prints an import's summary: one JSON object on stdout with --json, and a line on stderr
/// (unless quiet) that starts with `where` (e.g. `sheet 'Aanmeldingen': `).
void print_import_summary(const ImportReport& r, const ImportCliOptions& opt, bool quiet,
                          std::string_view where = "");

/// Progress on a terminal: rows, MiB and rows/s; with the input's size (a regular file, or a
/// worksheet's XML) also the share read and an estimate of the time left, as pv(1) and rsync(1)
/// show them. One line, rewritten.
class ProgressLine {
  public:
    /// `total_bytes`: what ImportReport::bytes_read grows to; 0 when unknown (a pipe).
    explicit ProgressLine(std::uint64_t total_bytes);

    void update(const ImportReport& r);

    /// The last line, for the pause while the indexes are rebuilt (after a progress line only:
    /// a small import finishes at once).
    void finishing(const ImportReport& r);

    /// Clears the line for what follows.
    void clear() const;

  private:
    void show(const std::string& text);

    std::uint64_t total_bytes_;
    std::chrono::steady_clock::time_point started_;
    bool shown_ = false;
};

/// Runs `import` and returns its report, reporting on stderr as it goes: each rejected row and
/// notice on a line of its own, as `claimreg: WHERE: ...` where `where(line)` names the row
/// (`line 12`, `sheet 'S' row 12`) and `column_word` comes before a column's name ("" or
/// "column "); each ignored column as a warning unless `quiet`; and `progress` on a terminal,
/// cleared before anything else is printed (an error included).
ImportReport run_import(ImportOptions& options, ProgressLine& progress, bool quiet,
                        const std::function<std::string(std::uint64_t line)>& where,
                        std::string_view column_word,
                        const std::function<ImportReport()>& import);

} // namespace claimreg::cli
