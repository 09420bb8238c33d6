#pragma once
// A claimant's fields as the registry's columns store them, following the one column table
// (claimreg/columns.hpp): the column lists of the statements, binding a registration's fields
// to them, reading them back, and the digests computed over them.

#include <array>
#include <bit>
#include <cstdint>
#include <string>
#include <string_view>

#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"
#include "claimreg/registry.hpp"

namespace SQLite {
class Statement;
}

namespace claimreg::store {

class RawStatement;

/// The fields of the identity key (identity_key()).
inline constexpr FieldSet identity_fields =
    field_bit(Field::child_first_name) | field_bit(Field::child_name_prefix) |
    field_bit(Field::child_last_name) | field_bit(Field::child_birth_date) |
    field_bit(Field::postcode);

/// The fields a linked registration (`registrations`) holds of its own.
inline constexpr FieldSet registration_fields =
    field_bit(Field::external_ref) | field_bit(Field::registrant_name) |
    field_bit(Field::registrant_email) | field_bit(Field::registrant_phone) |
    field_bit(Field::registrant_relation) | field_bit(Field::consent) |
    field_bit(Field::registered_at);

/// The number of fields in `fields`.
constexpr int count_of(FieldSet fields) { return std::popcount(fields); }

/// The columns of `fields`, in Field order: `a, b, c`.
std::string column_list(FieldSet fields);
/// The same as assignments of consecutive parameters from `first` (bind_fields' order):
/// `a = ?1, b = ?2, c = ?3`.
std::string column_assignments(FieldSet fields, int first);
/// `n` parameters: `?, ?, ?`.
std::string placeholders(int n);

/// Binds the fields `fields` of `r` (its dates those of `row`) to consecutive parameters from
/// `first`, as their columns store them (Registrar::stored_text; a boolean as 1 or 0; an empty
/// value as NULL where the column takes NULL), without copying: `r` and `row` must outlive the
/// statement's run. Returns the parameter after the last.
int bind_fields(RawStatement& st, int first, const Registration& r, const Registrar::Row& row,
                FieldSet fields);

/// Binds a source line to parameter `index`: NULL for 0 (none).
void bind_line(RawStatement& st, int index, std::uint64_t line);

/// Every field of `r` as Registrar::stored_text() gives it, in Field order.
std::array<std::string_view, field_count> stored_fields(const Registration& r,
                                                        const Registrar::Row& row);

/// Column `column` of `st` as Registrar::stored_text() spells it (NULL as empty).
std::string column_text(SQLite::Statement& st, int column);

/// Sets field `f` of `r` from its stored text (a value the registry validated when storing it).
void set_from_stored(Registration& r, Field f, const std::string& text);

/// The fields of `r` compared with the stored registration it matched: those the source gave,
/// but not an empty reference (the same child and e-mail matched; a row without a reference
/// does not take it away).
FieldSet compared_fields(const Registration& r, const Registrar::Row& row);

/// The identity key of a stored claimant whose identity fields (identity_fields, in Field
/// order) are the columns from `first` of the current row of `st`.
std::string stored_identity_key(SQLite::Statement& st, int first);

/// The content digest of a claimant whose fields, as stored (Field order, NULL as empty), are
/// `fields`: SipHash-2-4 of each field's length (4 bytes, little-endian) and bytes; never 0.
std::int64_t content_digest(const DigestKey& key,
                            const std::array<std::string_view, field_count>& fields);

} // namespace claimreg::store
