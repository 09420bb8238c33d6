#pragma once
// One row of an import, from a record source's cells to what the registry stores, in stages
// with plain inputs and outputs:
//   header row -> HeaderMap (map_header)
//   record     -> RawRecord (RowPipeline::raw_record: the cells of the fields, formula guards
//                 stripped)
//   RawRecord  -> Registration (RowPipeline::registration: parse_registration)
//   Registration -> verdict and duplicate keys (RowPipeline::prepare: evaluate,
//                 Registrar::prepare)
// The importer's reading thread runs it row by row; nothing here touches a registry.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/csv.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/record.hpp"
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

/// Columns an export (or a rejects file) adds; ignored on import so those files re-import
/// (`state` is read: a change of it is a withdrawal or opt-out).
bool is_export_only_column(std::string_view header);

/// Which column of a file feeds each field, read from its header row.
struct HeaderMap {
    std::array<std::optional<std::size_t>, field_count> column_of; ///< by Field
    std::vector<std::string> headers; ///< each column's header as written (trimmed)
    std::vector<std::string> letters; ///< what the source calls each column besides its header
    std::size_t width = 0;            ///< the number of columns
    std::optional<std::size_t> state_column; ///< `state`, `status`, `status_aanmelding`
    FieldSet given = 0;                      ///< the fields with a column
    std::vector<std::string> unknown;        ///< headers that are no field: ignored

    /// How a message names the column of `field`: its header, and its canonical name when
    /// that differs (`geboortedatum (child_birth_date)`); the canonical name without a column.
    std::string column_label(Field field) const;
    /// How a message names column `index` (0-based), one that may feed no field.
    std::string column_label(std::size_t index) const;
};

/// Maps the header row `header` of `source`: canonical names and Dutch aliases
/// (field_from_header), `state` and its aliases, export-only columns ignored, other columns
/// listed as unknown. Throws DataError (naming the row, never a value) for a header row that
/// is not a well-formed record, a field or `state` given by two columns, or a required
/// field without a column.
HeaderMap map_header(const CsvRecord& header, const RecordSource& source);

/// One row after every stage that needs no registry: a registration with its verdict and
/// keys, or the reason it is rejected with its cells for a rejects file.
struct PreparedRow {
    std::uint64_t line = 0;
    std::optional<RowError> error;
    std::vector<std::string> cells; ///< only when rejected
    Registration registration;
    Verdict verdict;
    Registrar::Row stored;      ///< keys and text for the registry; content digest not computed
    std::optional<State> state; ///< the `state` cell, when given
};

/// The stages of a row of one import, for the records after its header row.
class RowPipeline {
  public:
    /// Rows under `header`, read from `source` (for how it names columns), checked on `today`
    /// (no date after it; the as-of date of the verdict) under `rules`; `now_utc` is the
    /// default registered_at. Keeps references to `source` and `rules`.
    RowPipeline(HeaderMap header, const RecordSource& source, Date today, std::string now_utc,
                const RuleSet& rules);

    const HeaderMap& header() const noexcept { return header_; }

    /// The raw record of `record` (views into its fields, formula guards stripped), or why it
    /// is rejected: a record the source could not read cleanly, a number of fields other than
    /// the header's, or a phone number that a spreadsheet stored as a number.
    std::optional<RowError> raw_record(const CsvRecord& record, RawRecord& raw) const;
    /// The registration of `raw` (parse_registration), or why the row at `line` is rejected,
    /// naming the column as the file does.
    std::optional<RowError> registration(const RawRecord& raw, std::uint64_t line,
                                         Registration& out) const;
    /// Every stage for `record`, into `row` (filled in place: a row is large).
    void prepare(const CsvRecord& record, PreparedRow& row) const;

  private:
    HeaderMap header_;
    const RecordSource& source_;
    Date today_;
    std::string now_utc_;
    const RuleSet& rules_;
};

} // namespace claimreg
