#pragma once
// Export: the claimants table streamed to CSV, JSON, NDJSON or an xlsx workbook, filtered by verdict, change time
// and state; optionally pseudonymised. One scan of the store is stepped row by row, so memory
// stays flat however large the registry.

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// Output format of an export.
enum class ExportFormat { csv, json, ndjson, xlsx };

/// Parses `csv|json|ndjson|xlsx`; throws ValueError otherwise.
ExportFormat parse_export_format(std::string_view text);

/// What to export and how.
struct ExportOptions {
    ExportFormat format = ExportFormat::csv;
    char delimiter = ',';                ///< CSV only: `,` `;` or tab
    bool bom = false;                    ///< CSV only: start with a UTF-8 byte order mark
    std::vector<VerdictKind> verdicts;   ///< only these verdicts; empty: all
    std::string since;                   ///< `YYYY-MM-DDTHH:MM:SSZ` (see parse_since); empty: all
    bool include_withdrawn = false;      ///< also withdrawn and opted-out claimants
    bool pseudonymize = false;           ///< only the pseudonymised columns
    std::uint64_t rows_per_sheet = 1048575; ///< xlsx only: data rows a worksheet holds (Excel's limit)
};

/// The columns of a full export, in order: the canonical record fields, then `id, state,
/// verdict, reasons, age_band, rule_set, checked_at, source`.
std::span<const std::string_view> export_columns();
/// The columns of a pseudonymised export: `id, birth_year, postcode_digits, country,
/// platform, first_use, last_use, state, verdict, reasons, age_band, registered_on`.
std::span<const std::string_view> pseudonymized_columns();

/// Parses a changed-since time as a person types it into UTC `YYYY-MM-DDTHH:MM:SSZ`: a date `YYYY-MM-DD` (that day,
/// 00:00:00Z) or a date-time `YYYY-MM-DDTHH:MM[:SS[.fff]]` with `Z` or an offset (`+01:00`,
/// `-0530`); fractions of a second are dropped. Throws ValueError (the message names the
/// accepted forms, not the value).
std::string parse_since(std::string_view text);

/// Writes the claimants selected by `options` to `out` (not closed), ordered by id, and
/// flushes it. Reads one consistent snapshot. Returns the number of claimants written.
/// Throws IoError when writing fails, ValueError for xlsx (see export_claimants_xlsx) or a
/// byte order mark with another format than CSV.
std::uint64_t export_claimants(Registry& registry, const ExportOptions& options, std::FILE* out);

/// Writes the claimants selected by `options` as an xlsx workbook to the file `path` (which
/// libxlsxwriter creates or truncates; `/proc/self/fd/N` writes into an open file), assembling
/// it in unnamed temporary files in `temp_dir`. Typed cells: ids and numbers as numbers, dates
/// as date cells shown `yyyy-mm-dd`, everything else as text (never a formula); a bold, frozen
/// header with an autofilter; a new worksheet every `rows_per_sheet` rows. Returns the
/// number of claimants written. Throws IoError when the workbook cannot be written.
std::uint64_t export_claimants_xlsx(Registry& registry, const ExportOptions& options,
                                    const std::string& path, const std::string& temp_dir);

} // namespace claimreg
