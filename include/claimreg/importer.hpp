#pragma once
// Bulk import: a record source (CSV bytes, a worksheet) -> records -> validated registrations
// -> registry, with a report.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/csv.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// Where an import's records come from, one at a time, the header row first: a CSV stream or
/// a worksheet. next() is called from one thread (not necessarily the constructing one).
class RecordSource {
  public:
    virtual ~RecordSource() = default;
    /// Reads the next record into `out`; false at the end. Empty rows are skipped. Throws
    /// DataError for input that cannot be read as records at all, IoError on a read failure.
    virtual bool next(CsvRecord& out) = 0;
    /// Bytes of input consumed so far (for progress).
    virtual std::uint64_t bytes_read() const = 0;
    /// The delimiter of the rejects file.
    virtual char rejects_delimiter() const = 0;
    /// How messages name field `index` (0-based) besides its header: empty for CSV, the
    /// column letter (`C`) for a worksheet.
    virtual std::string column_name(std::size_t index) const = 0;
    /// How a message names the row that starts at `line`: `line 12` (CSV), `row 12` (a sheet).
    virtual std::string row_name(std::uint64_t line) const = 0;
};

/// The records of a CSV stream (see CsvReader).
class CsvSource final : public RecordSource {
  public:
    /// Reads from `in` (not owned, not closed).
    CsvSource(std::FILE* in, CsvReadOptions options) : reader_(in, options) {}
    bool next(CsvRecord& out) override { return reader_.next(out); }
    std::uint64_t bytes_read() const override { return reader_.bytes_read(); }
    char rejects_delimiter() const override { return reader_.delimiter(); }
    std::string column_name(std::size_t) const override { return {}; }
    std::string row_name(std::uint64_t line) const override;

  private:
    CsvReader reader_;
};

/// One rejected row: where and why, never the values.
struct RowError {
    std::uint64_t line = 0; ///< 1-based physical line where the record starts
    std::string column;     ///< the column as named in the file (and its canonical name), or
                            ///< empty; from a worksheet also its letter (`C telefoon (...)`)
    std::string rule;       ///< what is wrong
};

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

/// Columns an export (or a rejects file) adds; ignored on import so those files re-import
/// (`state` is read: a change of it is a withdrawal or opt-out).
bool is_export_only_column(std::string_view header);

} // namespace claimreg
