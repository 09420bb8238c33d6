#pragma once
// Reading a worksheet of an xlsx workbook (Office Open XML, as Excel, LibreOffice and openpyxl
// save it) as import records: the zip through libzip and ISA-L, the XML through libxml2,
// streamed row by row with every part's size bounded.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "claimreg/importer.hpp"

namespace claimreg {

/// Which worksheet to read and the bounds on what a workbook may make claimreg read.
struct XlsxReadOptions {
    /// A worksheet's name, or its 1-based position when no sheet has that name; empty: the first.
    std::string sheet;
    std::uint64_t max_part_bytes = 64ull << 20;          ///< inflated workbook, styles, relations
    std::uint64_t max_shared_strings_bytes = 512ull << 20; ///< inflated shared strings part
    std::uint64_t max_sheet_bytes = 8ull << 30;          ///< inflated worksheet XML
    std::uint64_t max_inflate_ratio = 100; ///< inflated / compressed size of any part, checked ...
    std::uint64_t ratio_checked_after = 64ull << 20; ///< ... once this much of it has been inflated
    std::size_t max_row_bytes = 1 << 20;   ///< the text of one row; a longer row is rejected
};

/// The rows of one worksheet, the first non-empty row being the header. Cells come out as the
/// text a spreadsheet shows: shared, inline and rich-text strings as their text; numbers
/// without a needless `.0`; date cells (1900 or 1904 date system, by the cell's number format)
/// as `YYYY-MM-DD` (with `THH:MM:SS` when they hold a time); booleans as `true`/`false`;
/// formulas by their stored result, never evaluated. Rows are padded to the header's width.
class XlsxSource final : public RecordSource {
  public:
    /// Opens the workbook on descriptor `fd` (not taken over) and prepares `options.sheet`.
    /// Throws DataError for a file that is not a readable xlsx workbook (not a zip, a part
    /// missing, damaged or too large, a zip bomb) and UsageError when no sheet matches.
    XlsxSource(int fd, const XlsxReadOptions& options);
    ~XlsxSource() override;
    XlsxSource(const XlsxSource&) = delete;
    XlsxSource& operator=(const XlsxSource&) = delete;

    /// The name of the worksheet being read.
    const std::string& sheet_name() const;

    bool next(CsvRecord& out) override;
    /// Bytes of the worksheet's XML inflated so far (for progress).
    std::uint64_t bytes_read() const override;
    /// The size the workbook declares for the worksheet's XML, 0 if none: what bytes_read()
    /// grows to (for progress only; what is read is bounded by the options, not by this).
    std::uint64_t sheet_size() const;
    char rejects_delimiter() const override { return ','; }
    std::string column_name(std::size_t index) const override;
    std::string row_name(std::uint64_t line) const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The column letters of 0-based column `index` (`A`, `Z`, `AA`, ... `XFD`).
std::string column_letters(std::size_t index);

/// The text of spreadsheet serial date `serial` in the given date system: `YYYY-MM-DD`, with
/// `THH:MM:SS` when it has a time of day. The 1900 system keeps its fictitious 29 February
/// 1900 (serial 60, which a date rule then rejects) and counts day 0 as `1900-01-00`.
std::string serial_date_text(double serial, bool date1904);

/// Whether a cell number format shows a date or time: the built-in ids 14-22, 27-36, 45-47 and
/// 50-58, or a format code with a date or time part outside quotes, escapes and brackets.
bool is_date_format(unsigned id, std::string_view code);

/// The text a spreadsheet shows for number `value` in its general format (`12`, `12.5`,
/// `31612345678`): at most 15 significant digits, no trailing zeros.
std::string general_number_text(double value);

} // namespace claimreg
