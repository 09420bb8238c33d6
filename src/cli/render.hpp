#pragma once
// The one output layer of the subcommands: tables of cells rendered as an aligned text table,
// CSV, TSV or JSON, and the writes to standard output.

#include <string>
#include <string_view>
#include <vector>

#include "claimreg/columns.hpp"
#include "claimreg/json.hpp"

namespace claimreg::cli {

/// How a Table is written.
enum class TableFormat { table, csv, tsv, json };

/// Header and rows of cells. `numeric[i]`: column i holds numbers (right-aligned in a text
/// table, bare in JSON). `empty_label[i]`, when set: what an empty cell of column i shows in a
/// text table, CSV and TSV (in JSON it is null). `headed`: whether the header is a line of the
/// text table, CSV and TSV (JSON always names its keys by it). `gap`: what separates the
/// columns of a text table.
struct Table {
    std::vector<std::string> header;
    std::vector<bool> numeric;
    std::vector<std::string> empty_label;
    std::vector<std::vector<std::string>> rows;
    bool headed = true;
    std::string gap = "  ";

    /// Adds a column (to the header; rows are filled by the caller).
    void add_column(std::string_view name, bool is_numeric, std::string_view empty = {});
    /// The cell as shown in a text table, CSV or TSV.
    std::string_view shown(const std::vector<std::string>& row, std::size_t i) const;
};

/// The table as text: aligned columns `gap` apart (no trailing spaces); CSV (RFC 4180
/// quoting, formula-like cells neutralised, LF line ends); TSV (tab, line breaks and backslash
/// escaped as `\t` `\n` `\r` `\\`); or a JSON array of flat objects, one a line.
std::string render(const Table& table, TableFormat format);

/// A field's stored value as JSON by its kind: a string, null when an optional one is empty,
/// true/false for a boolean (`yes` is true).
void write_value(JsonWriter& json, ValueKind kind, std::string_view value);

/// Display width of UTF-8 text: its code points.
std::size_t display_width(std::string_view text);

/// Removes the spaces at the end of `line`.
void trim_trailing_spaces(std::string& line);

/// Writes `text` to standard output and flushes it. Throws IoError when it cannot (a full disk).
void write_stdout(std::string_view text);

/// Writes `buffer` to standard output and empties it once it holds 64 KiB or more: long
/// outputs are written in pieces, never held whole. Throws IoError as write_stdout.
void write_stdout_when_full(std::string& buffer);

} // namespace claimreg::cli
