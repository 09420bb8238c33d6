#pragma once
// A claimant's fields as columns, once. The registry's inserts and selects, the exports, `show`
// and the comparisons of a same submission follow from this table: a new field is a new row
// here (and a migration adding its column), not a new list in every module.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "claimreg/record.hpp"

namespace claimreg {

/// How a field's value is stored in its column and written out.
enum class ValueKind : std::uint8_t {
    text,     ///< TEXT NOT NULL (optional fields store an empty string); a JSON string
    optional, ///< TEXT, NULL when empty; JSON null when empty
    boolean,  ///< INTEGER 1/0; `yes`/`no` in CSV; JSON true/false
};

/// One canonical field's column.
struct FieldColumn {
    Field field;
    std::string_view name; ///< the column, CSV header, JSON key and `add` option (with dashes)
    ValueKind kind;
    bool required; ///< must be present and non-empty in every record
};

/// Every canonical field, in Field (SPEC) order.
inline constexpr std::array<FieldColumn, field_count> field_columns = {{
    {Field::external_ref, "external_ref", ValueKind::optional, false},
    {Field::child_first_name, "child_first_name", ValueKind::text, true},
    {Field::child_name_prefix, "child_name_prefix", ValueKind::text, false},
    {Field::child_last_name, "child_last_name", ValueKind::text, true},
    {Field::child_birth_date, "child_birth_date", ValueKind::text, true},
    {Field::country, "country", ValueKind::text, false},
    {Field::postcode, "postcode", ValueKind::text, false},
    {Field::house_number, "house_number", ValueKind::text, false},
    {Field::platform, "platform", ValueKind::text, true},
    {Field::first_use, "first_use", ValueKind::text, true},
    {Field::last_use, "last_use", ValueKind::optional, false},
    {Field::registrant_name, "registrant_name", ValueKind::text, true},
    {Field::registrant_email, "registrant_email", ValueKind::text, true},
    {Field::registrant_phone, "registrant_phone", ValueKind::optional, false},
    {Field::registrant_relation, "registrant_relation", ValueKind::text, true},
    {Field::consent, "consent", ValueKind::boolean, false},
    {Field::registered_at, "registered_at", ValueKind::text, false},
}};

/// The column of `field`.
constexpr const FieldColumn& column_of(Field field) {
    return field_columns[static_cast<std::size_t>(field)];
}

/// The table is in Field order (column_of indexes it by Field).
constexpr bool field_columns_in_order() {
    for (std::size_t i = 0; i < field_count; ++i) {
        if (static_cast<std::size_t>(field_columns[i].field) != i) return false;
    }
    return true;
}
static_assert(field_columns_in_order());

} // namespace claimreg
