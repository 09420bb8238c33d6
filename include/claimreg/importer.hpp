#pragma once
// Bulk import: a record source (CSV bytes, a worksheet) -> records -> validated registrations
// (row_pipeline.hpp) -> registry, with a report.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/csv.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/row_pipeline.hpp"

namespace claimreg {

/// Counts of an import (SPEC.md, "Corrections and changes from the source").
struct ImportReport {
    std::uint64_t rows_read = 0;
    std::uint64_t imported = 0;   ///< new claimants
    std::uint64_t linked = 0;     ///< new registrations of a stored claimant by someone else
    std::uint64_t updated = 0;    ///< same submissions that changed what is stored
    std::uint64_t unchanged = 0;  ///< same submissions equal to what is stored (or kept as stored)
    std::uint64_t duplicates = 0; ///< linked + unchanged
    std::uint64_t rejected = 0;
    std::uint64_t erased = 0;     ///< registrations of erased children, not stored again
    std::uint64_t bytes_read = 0;
};

/// A row of the import that is neither stored as it is nor rejected, for the caller to report.
struct RowNotice {
    std::uint64_t line = 0;
    std::int64_t claimant_id = 0; ///< the stored claimant it is about (0 for an erased child)
    std::string text;             ///< what happened: field names and codes, never values
    /// A difference from what is stored that was not applied because updates are off
    /// (ImportOptions::update false); the caller may say how they were turned off.
    bool kept_as_stored = false;
};

/// Import settings and the callbacks through which the caller reports as it goes.
struct ImportOptions {
    CsvReadOptions csv;
    std::string source_name = "-";     ///< the file name recorded as each row's source
    std::uint64_t expected_rows = 0;   ///< an estimate of the rows (sizes the duplicate index)
    bool dry_run = false;              ///< validate and count; store nothing
    bool strict = false;               ///< store nothing if any row is rejected
    bool update = true;                ///< false: keep stored values, report differing rows
    Date today;                        ///< bounds dates; also the as-of date of new verdicts
    std::string now_utc;               ///< default registered_at
    std::FILE* rejects = nullptr;      ///< when set, rejected rows are written here as CSV
    std::function<void(const RowError&)> on_reject;                 ///< each rejected row
    std::function<void(const RowNotice&)> on_notice;                ///< each row to report
    std::function<void(std::string_view column)> on_unknown_column; ///< each ignored column
    std::function<void(const ImportReport&)> on_progress;           ///< every few thousand rows
    /// Once, after the last row and before the indexes are rebuilt (not on a dry run, nor when
    /// --strict refuses the file).
    std::function<void(const ImportReport&)> on_finishing;
};

/// Imports the records of `source` into `registry` in one write transaction (committed unless
/// dry-run, or strict with a rejected row). Throws DataError for input without a usable header
/// (empty, or a required column missing) before any row is stored.
ImportReport import_records(RecordSource& source, Registry& registry, const ImportOptions& options);

/// Imports the records of `source` into the registry file at `registry_path`, created when
/// missing, as import_csv_file() does for CSV.
ImportReport import_records_file(RecordSource& source, const std::string& registry_path,
                                 const RegistryOptions& registry_options,
                                 const ImportOptions& options);

/// Imports CSV from `in` into `registry` in one write transaction (committed unless dry-run,
/// or strict with a rejected row). Throws DataError for a file without a usable header
/// (empty, or a required column missing) before any row is stored.
ImportReport import_csv(std::FILE* in, Registry& registry, const ImportOptions& options);

/// Imports CSV from `in` into the registry file at `registry_path`, which is created when
/// missing: a new registry is built in a private temporary file next to it, without a journal,
/// and renamed into place only when complete (a crash leaves no registry; another process
/// creating the registry meanwhile gives BusyError). A dry run on a missing registry uses a
/// scratch registry. Nothing is created when the file is refused at its header.
ImportReport import_csv_file(std::FILE* in, const std::string& registry_path,
                             const RegistryOptions& registry_options, const ImportOptions& options);

} // namespace claimreg
