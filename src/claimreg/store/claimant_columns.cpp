#include "claimant_columns.hpp"

#include <fmt/format.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/columns.hpp"
#include "raw_statement.hpp"
#include "schema.hpp"

namespace claimreg {

std::string_view Registrar::stored_text(const Registration& r, const Row& row, Field f) {
    switch (f) {
    case Field::external_ref: return r.external_ref;
    case Field::child_first_name: return r.child_first_name;
    case Field::child_name_prefix: return r.child_name_prefix;
    case Field::child_last_name: return r.child_last_name;
    case Field::child_birth_date: return row.birth_date;
    case Field::country: return r.country;
    case Field::postcode: return r.postcode;
    case Field::house_number: return r.house_number;
    case Field::platform: return to_string(r.platform);
    case Field::first_use: return row.first_use;
    case Field::last_use: return row.last_use;
    case Field::registrant_name: return r.registrant_name;
    case Field::registrant_email: return r.registrant_email;
    case Field::registrant_phone: return r.registrant_phone;
    case Field::registrant_relation: return to_string(r.registrant_relation);
    case Field::consent: return r.consent ? "1" : "0";
    case Field::registered_at: return r.registered_at;
    }
    return {};
}

std::string field_names(FieldSet fields, std::string_view separator) {
    std::string names;
    for (const FieldColumn& c : field_columns) {
        if ((fields & field_bit(c.field)) == 0) continue;
        if (!names.empty()) names += separator;
        names += c.name;
    }
    return names;
}

} // namespace claimreg

namespace claimreg::store {

std::string column_list(FieldSet fields) { return field_names(fields, ", "); }

std::string column_assignments(FieldSet fields, int first) {
    std::string sql;
    int index = first;
    for (const FieldColumn& c : field_columns) {
        if ((fields & field_bit(c.field)) == 0) continue;
        if (!sql.empty()) sql += ", ";
        sql += fmt::format("{} = ?{}", c.name, index++);
    }
    return sql;
}

std::string placeholders(int n) {
    std::string sql;
    for (int i = 0; i < n; ++i) sql += i == 0 ? "?" : ", ?";
    return sql;
}

int bind_fields(RawStatement& st, int first, const Registration& r, const Registrar::Row& row,
                FieldSet fields) {
    const std::array<bool, field_count>& nullable = nullable_fields();
    int index = first;
    for (const FieldColumn& c : field_columns) {
        if ((fields & field_bit(c.field)) == 0) continue;
        const std::string_view text = Registrar::stored_text(r, row, c.field);
        if (c.kind == ValueKind::boolean) {
            st.bind(index, std::int64_t{text == "1"});
        } else if (text.empty() && nullable[static_cast<std::size_t>(c.field)]) {
            st.bind_null(index);
        } else {
            st.bind(index, text);
        }
        ++index;
    }
    return index;
}

void bind_line(RawStatement& st, int index, std::uint64_t line) {
    if (line == 0) {
        st.bind_null(index);
    } else {
        st.bind(index, static_cast<std::int64_t>(line));
    }
}

std::array<std::string_view, field_count> stored_fields(const Registration& r,
                                                        const Registrar::Row& row) {
    std::array<std::string_view, field_count> fields;
    for (std::size_t f = 0; f < field_count; ++f) {
        fields[f] = Registrar::stored_text(r, row, static_cast<Field>(f));
    }
    return fields;
}

std::string column_text(SQLite::Statement& st, int column) {
    const SQLite::Column c = st.getColumn(column);
    return c.isNull() ? std::string() : c.getString();
}

void set_from_stored(Registration& r, Field f, const std::string& text) {
    switch (f) {
    case Field::external_ref: r.external_ref = text; break;
    case Field::child_first_name: r.child_first_name = text; break;
    case Field::child_name_prefix: r.child_name_prefix = text; break;
    case Field::child_last_name: r.child_last_name = text; break;
    case Field::child_birth_date: r.child_birth_date = parse_date(text); break;
    case Field::country: r.country = text; break;
    case Field::postcode: r.postcode = text; break;
    case Field::house_number: r.house_number = text; break;
    case Field::platform: r.platform = parse_platform(text); break;
    case Field::first_use: r.first_use = parse_date(text); break;
    case Field::last_use:
        r.last_use = text.empty() ? std::nullopt : std::optional<Date>(parse_date(text));
        break;
    case Field::registrant_name: r.registrant_name = text; break;
    case Field::registrant_email: r.registrant_email = text; break;
    case Field::registrant_phone: r.registrant_phone = text; break;
    case Field::registrant_relation: r.registrant_relation = parse_relation(text); break;
    case Field::consent: r.consent = text == "1"; break;
    case Field::registered_at: r.registered_at = text; break;
    }
}

FieldSet compared_fields(const Registration& r, const Registrar::Row& row) {
    FieldSet given = row.given;
    if (r.external_ref.empty()) given &= ~field_bit(Field::external_ref);
    return given;
}

std::string stored_identity_key(SQLite::Statement& st, int first) {
    Registration r;
    int column = first;
    for (const FieldColumn& c : field_columns) {
        if ((identity_fields & field_bit(c.field)) != 0) {
            set_from_stored(r, c.field, st.getColumn(column++).getString());
        }
    }
    return identity_key(r);
}

std::int64_t content_digest(const DigestKey& key,
                            const std::array<std::string_view, field_count>& fields) {
    thread_local std::string buffer;
    buffer.clear();
    for (const std::string_view field : fields) {
        const auto n = static_cast<std::uint32_t>(field.size());
        for (int shift = 0; shift < 32; shift += 8) {
            buffer.push_back(static_cast<char>((n >> shift) & 0xff));
        }
        buffer.append(field);
    }
    const auto digest = static_cast<std::int64_t>(siphash24(key, buffer));
    return digest == 0 ? 1 : digest;
}

} // namespace claimreg::store
