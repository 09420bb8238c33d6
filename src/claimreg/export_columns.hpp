#pragma once
// The columns of an export and how each value is taken from a stored claimant: the full
// export's follow from the field table (columns.hpp) and the registry's kept columns; the
// pseudonymised export derives its own. Shared by the text formats and the workbook.

#include <array>
#include <charconv>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "claimreg/exporter.hpp"
#include "store/claimant_scan.hpp"

namespace claimreg::exporting {

using store::ColumnId;
using store::Kept;

/// How a column's value is taken from the row.
enum class Get : std::uint8_t {
    text,            ///< the stored text (NULL: empty)
    integer,         ///< an integer column, in decimal
    consent,         ///< 0/1 -> `no`/`yes`
    source,          ///< the source plus `:LINE` when there is a line
    year,            ///< the first four characters (of a `YYYY-MM-DD` date)
    postcode_digits, ///< the four digits of an NL postcode (the country is `from2`); empty elsewhere
    date_part,       ///< the first ten characters (the date of an ISO 8601 date-time)
};

/// How a value is written in JSON.
enum class Json : std::uint8_t {
    string,   ///< always a string
    nullable, ///< a string, or null when empty
    number,   ///< the text is a decimal integer
    boolean,  ///< `yes` -> true, else false
    list,     ///< comma-separated codes -> an array of strings
};

struct Column {
    std::string_view name;
    Get get;
    Json json;
    ColumnId from;      ///< the stored column it comes from
    ColumnId from2 = 0; ///< a second stored column some getters need
};

/// The full export: every field, then these kept columns.
inline constexpr std::array<Kept, 8> exported_kept = {Kept::id,       Kept::state,    Kept::verdict,
                                                      Kept::reasons,  Kept::age_band, Kept::rule_set,
                                                      Kept::checked_at, Kept::source};

constexpr Json json_of(ValueKind kind) {
    switch (kind) {
    case ValueKind::optional: return Json::nullable;
    case ValueKind::boolean: return Json::boolean;
    case ValueKind::text: break;
    }
    return Json::string;
}

constexpr std::array<Column, field_count + exported_kept.size()> make_full_columns() {
    std::array<Column, field_count + exported_kept.size()> columns{};
    std::size_t i = 0;
    for (const FieldColumn& f : field_columns) {
        columns[i++] = {f.name, f.kind == ValueKind::boolean ? Get::consent : Get::text,
                        json_of(f.kind), store::column_id(f.field)};
    }
    for (const Kept k : exported_kept) {
        const store::KeptColumn& c = store::kept_columns[static_cast<std::size_t>(k)];
        Column column{c.name, Get::text, json_of(c.kind), store::column_id(k)};
        if (c.value == store::KeptValue::integer) {
            column.get = Get::integer;
            column.json = Json::number;
        } else if (c.value == store::KeptValue::codes) {
            column.json = Json::list;
        }
        if (k == Kept::source) {
            column.get = Get::source;
            column.from2 = store::column_id(Kept::source_line);
        }
        columns[i++] = column;
    }
    return columns;
}

inline constexpr auto full_columns = make_full_columns();

/// The pseudonymised export: no names, e-mail, phone, house number or references.
inline constexpr std::array<Column, 12> pseudo_columns = {{
    {"id", Get::integer, Json::number, store::column_id(Kept::id)},
    {"birth_year", Get::year, Json::number, store::column_id(Field::child_birth_date)},
    {"postcode_digits", Get::postcode_digits, Json::nullable, store::column_id(Field::postcode),
     store::column_id(Field::country)},
    {"country", Get::text, Json::string, store::column_id(Field::country)},
    {"platform", Get::text, Json::string, store::column_id(Field::platform)},
    {"first_use", Get::text, Json::string, store::column_id(Field::first_use)},
    {"last_use", Get::text, Json::nullable, store::column_id(Field::last_use)},
    {"state", Get::text, Json::string, store::column_id(Kept::state)},
    {"verdict", Get::text, Json::string, store::column_id(Kept::verdict)},
    {"reasons", Get::text, Json::list, store::column_id(Kept::reasons)},
    {"age_band", Get::text, Json::nullable, store::column_id(Kept::age_band)},
    {"registered_on", Get::date_part, Json::string, store::column_id(Field::registered_at)},
}};

/// The stored columns `columns` read.
constexpr store::ColumnSet stored_columns(std::span<const Column> columns) {
    store::ColumnSet set = 0;
    for (const Column& c : columns) {
        set |= store::column_bit(c.from);
        if (c.get == Get::source || c.get == Get::postcode_digits) set |= store::column_bit(c.from2);
    }
    return set;
}

/// The export's columns (full or pseudonymised).
inline std::span<const Column> columns_of(const ExportOptions& options) {
    if (options.pseudonymize) return pseudo_columns;
    return full_columns;
}

/// The scan of the claimants `options` selects, with the columns `columns` read.
class ExportScan : public store::ClaimantScan {
  public:
    ExportScan(Registry& registry, const ExportOptions& options, std::span<const Column> columns)
        : store::ClaimantScan(registry, stored_columns(columns), filter_of(options)) {}

  private:
    static store::ClaimantFilter filter_of(const ExportOptions& options) {
        store::ClaimantFilter filter;
        // Claimants linked into another (review.hpp) are registrations of it, never exported.
        filter.states = options.include_withdrawn ? store::ClaimantFilter::States::not_linked
                                                  : store::ClaimantFilter::States::active;
        filter.changed_since = options.since;
        filter.verdicts = options.verdicts;
        // An export reads nearly every row, best in id order; the counting index would match
        // `state = 'active'` and cost a sort plus a random fetch per row.
        filter.whole_table = true;
        return filter;
    }
};

/// Holds the text of computed values for the current cell.
struct Scratch {
    std::array<char, 24> digits{};
    std::string composed;
};

inline std::string_view decimal(std::int64_t value, Scratch& s) {
    const auto r = std::to_chars(s.digits.data(), s.digits.data() + s.digits.size(), value);
    return {s.digits.data(), static_cast<std::size_t>(r.ptr - s.digits.data())};
}

/// The text of one column of `row` (views into the row or `s`, valid until the next call or
/// step).
inline std::string_view value(const store::ClaimantRow& row, const Column& c, Scratch& s) {
    const auto text = [&row](ColumnId id) { return row.text_at(id); };
    const auto integer = [&row](ColumnId id) { return row.integer_at(id); };
    switch (c.get) {
    case Get::text: return text(c.from);
    case Get::integer: return decimal(integer(c.from), s);
    case Get::consent: return integer(c.from) != 0 ? "yes" : "no";
    case Get::source: {
        const std::string_view source = text(c.from);
        if (row.is_null_at(c.from2)) return source;
        s.composed.assign(source);
        s.composed += ':';
        s.composed += decimal(integer(c.from2), s);
        return s.composed;
    }
    case Get::year: return text(c.from).substr(0, 4);
    case Get::postcode_digits:
        if (text(c.from2) != "NL") return {};
        return text(c.from).substr(0, 4);
    case Get::date_part: return text(c.from).substr(0, 10);
    }
    return {};
}

} // namespace claimreg::exporting
