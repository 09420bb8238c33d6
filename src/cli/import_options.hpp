#pragma once
// What the import commands (import-csv, import-xlsx) share on the command line.

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

} // namespace claimreg::cli
