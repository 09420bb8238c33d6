#pragma once
// Streaming CSV: an RFC 4180 reader (`,` `;` tab, CRLF/LF, quotes, BOM, Windows-1252 decoding)
// and a writer (quoting, optional spreadsheet-formula neutralisation).

#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace claimreg {

/// Text encoding of an input file.
enum class Encoding { detect, utf8, windows1252 };

/// Parses `utf-8|windows-1252` (also `utf8`, `cp1252`, `win1252`); throws ValueError otherwise.
Encoding parse_encoding(std::string_view text);

/// Reader settings.
struct CsvReadOptions {
    char delimiter = 0;                ///< 0: detect from the header line (`,` `;` tab)
    Encoding encoding = Encoding::detect;
    std::size_t max_record_bytes = 1 << 20; ///< longer records are reported, not held
};

/// What is wrong with a record as a whole (field-level rules live in record.hpp).
enum class RowProblem {
    none,
    bad_encoding,        ///< invalid UTF-8 in a UTF-8 file
    unterminated_quote,  ///< a quoted field runs to the end of the file
    bad_quote,           ///< text after a closing quote, or a quote inside an unquoted field
    too_long,            ///< the record exceeds max_record_bytes
    error_value,         ///< a workbook cell holds an error value (`#N/A`, `#VALUE!`)
    beyond_header,       ///< a workbook cell holds a value in a column without a header
    cell_twice,          ///< a workbook row names the same cell twice
};

/// What a typed source (a workbook) knew of a cell's value; a CSV field is always `text`.
enum class CellKind : std::uint8_t { text, number, date, boolean };

/// A short description of a row problem (`invalid UTF-8`...).
std::string_view to_string(RowProblem p);

/// One record. Field views stay valid until the next call to CsvReader::next().
struct CsvRecord {
    std::vector<std::string_view> fields; ///< decoded to UTF-8 (unless bad_encoding)
    std::uint64_t line = 0;               ///< 1-based physical line where the record starts
    RowProblem problem = RowProblem::none;
    /// The field a problem is in, when a source knows it (a workbook cell); else no_column.
    std::size_t problem_column = no_column;
    /// Per field, what a typed source read (a workbook); empty for CSV (all text).
    std::vector<CellKind> kinds;
    /// problem_column when the problem is the record's as a whole.
    static constexpr std::size_t no_column = static_cast<std::size_t>(-1);
};

/// Reads records one at a time from a stream, holding at most one record in memory.
class CsvReader {
  public:
    /// Reads from `in` (not owned, not closed). Throws ValueError for a delimiter that is a
    /// quote or a line end.
    CsvReader(std::FILE* in, CsvReadOptions options);
    ~CsvReader();
    CsvReader(const CsvReader&) = delete;
    CsvReader& operator=(const CsvReader&) = delete;

    /// Reads the next record into `out`; false at end of input. Blank lines are skipped.
    /// Throws IoError on a read failure.
    bool next(CsvRecord& out);

    /// The delimiter in use (known after the first record).
    char delimiter() const;
    /// The encoding in use: detect until the first non-ASCII byte has been seen.
    Encoding encoding() const;
    /// Bytes consumed so far (for progress).
    std::uint64_t bytes_read() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Whether a cell would be evaluated as a formula by a spreadsheet: it starts with `=`, `+`,
/// `-`, `@`, tab or CR and is not a plain number (`^[+-]?[0-9]+([.,][0-9]+)?$`).
bool is_formula_like(std::string_view cell);

/// Undoes the export's neutralisation: drops a leading apostrophe only when the next
/// character is `=`, `+`, `-`, `@`, tab or CR (so `'t Hart` stays).
std::string_view strip_formula_guard(std::string_view cell);

/// Writes CSV rows (RFC 4180: quotes when needed, CRLF line ends) to a stream.
/// Output is buffered: call flush() to see write errors; the destructor flushes best-effort.
class CsvWriter {
  public:
    /// `neutralise_formulas`: prefix formula-like cells with an apostrophe.
    /// `line_end`: what ends each row ("\r\n" by RFC 4180; "\n" for Unix tools).
    CsvWriter(std::FILE* out, char delimiter = ',', bool neutralise_formulas = false,
              std::string_view line_end = "\r\n");
    /// Flushes what is buffered, ignoring errors (call flush() first to see them).
    ~CsvWriter();
    CsvWriter(const CsvWriter&) = delete;
    CsvWriter& operator=(const CsvWriter&) = delete;
    /// Writes one row. Throws IoError on a write failure.
    void write_row(std::span<const std::string_view> cells);
    void write_row(std::span<const std::string> cells);
    /// Appends one cell to the current row; end_row() finishes it.
    void cell(std::string_view value);
    void end_row();
    /// Writes everything buffered to the stream and fflush()es it. Throws IoError on failure.
    void flush();

  private:
    void write_buffer(); ///< fwrite()s the buffer and empties it; throws IoError on failure
    std::FILE* out_;
    char delimiter_;
    bool neutralise_;
    bool first_in_row_ = true;
    /// The row so far is one empty cell: end_row() writes it as "" so it is not a blank line.
    bool row_blank_ = false;
    std::string line_end_; ///< the row terminator given to the constructor
    std::string buffer_;   ///< output storage; only the first used_ bytes are output
    std::size_t used_ = 0; ///< bytes of buffer_ waiting to be written
};

} // namespace claimreg
