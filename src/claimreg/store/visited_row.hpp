#pragma once
// The claimants of a scan visited in place: SQLite's own values, read when asked for. For the
// scans that read every claimant and keep nothing of it (check-eligibility --all, the report).
// Private to the library; the one store header that brings SQLite's own API along (its reads
// are inline).

#include <cstdint>
#include <string_view>
#include <type_traits>

#include <sqlite3.h>

#include "claimant_scan.hpp"

namespace claimreg::store {

/// The columns of one claimant that visit_claimants visits: SQLite's own values of its SQL
/// function's arguments, each read when asked for (nothing copied per row). Argument `c` is
/// column `c`, NULL when not read: a column not read is empty (and NULL if text). The same
/// reads as ClaimantRow.
class VisitedRow {
  public:
    VisitedRow(ColumnSet read, sqlite3_value** argv) : read_(read), argv_(argv) {}

    std::string_view text(Field f) const { return text_at(column_id(f)); }
    std::string_view text(Kept k) const { return text_at(column_id(k)); }
    bool flag(Field f) const { return integer_at(column_id(f)) != 0; }
    std::int64_t integer(Kept k) const { return integer_at(column_id(k)); }
    bool is_null(Field f) const { return is_null_at(column_id(f)); }
    bool is_null(Kept k) const { return is_null_at(column_id(k)); }
    std::string_view text_at(ColumnId c) const {
        if (is_integer_column(c)) return {};
        sqlite3_value* const v = argv_[c];
        const unsigned char* p = sqlite3_value_text(v);
        if (p == nullptr) return {};
        return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_value_bytes(v))};
    }
    std::int64_t integer_at(ColumnId c) const {
        return is_integer_column(c) ? sqlite3_value_int64(argv_[c]) : 0;
    }
    bool is_null_at(ColumnId c) const {
        if ((read_ & column_bit(c)) == 0) return !is_integer_column(c);
        if (is_integer_column(c) && !is_optional_integer(c)) return false;
        return sqlite3_value_type(argv_[c]) == SQLITE_NULL;
    }

  private:
    ColumnSet read_;
    sqlite3_value** argv_;
};

/// Calls `visit(context, row)` for each claimant `filter` selects, inside SQLite's own scan
/// (no result rows: cheaper than ClaimantScan for a visit of every row), in id order. An
/// exception from `visit` stops the scan with a SQLite error "stored claimant fails
/// validation". Returns the number of claimants visited.
std::uint64_t visit_claimants(Registry& registry, ColumnSet columns, const ClaimantFilter& filter,
                              void (*visit)(void*, const VisitedRow&), void* context);

/// The same with a callable `visit(const VisitedRow&)`.
template <typename Visit>
std::uint64_t visit_claimants(Registry& registry, ColumnSet columns, const ClaimantFilter& filter,
                              Visit&& visit) {
    return visit_claimants(
        registry, columns, filter,
        [](void* v, const VisitedRow& row) { (*static_cast<std::remove_reference_t<Visit>*>(v))(row); },
        &visit);
}

} // namespace claimreg::store
