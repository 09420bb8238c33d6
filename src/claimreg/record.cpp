// The fields of a registration and their column headers, the stored spellings of its enums,
// and parse_registration(): raw text -> a validated Registration, field by field (the rules
// of each field: record_text.cpp, record_dates.cpp, record_contact.cpp).

#include "claimreg/record.hpp"

#include "claimreg/columns.hpp"
#include "claimreg/text.hpp"
#include "record_rules.hpp"

namespace claimreg {

namespace {

using namespace record_rules;

constexpr const char* kNotState = "not active, withdrawn or opted-out";

// The header spellings besides the canonical names (already normalised: lower case,
// underscores).
struct HeaderAlias {
    std::string_view name;
    Field field;
};
constexpr HeaderAlias kHeaderAliases[] = {
    // Dutch aliases (SPEC order; `postcode` and `platform` are the same word).
    {"referentie", Field::external_ref},
    {"voornaam", Field::child_first_name},
    {"tussenvoegsel", Field::child_name_prefix},
    {"achternaam", Field::child_last_name},
    {"geboortedatum", Field::child_birth_date},
    {"land", Field::country},
    {"huisnummer", Field::house_number},
    {"eerste_gebruik", Field::first_use},
    {"laatste_gebruik", Field::last_use},
    {"naam_aanmelder", Field::registrant_name},
    {"email", Field::registrant_email},
    {"telefoon", Field::registrant_phone},
    {"relatie", Field::registrant_relation},
    {"toestemming", Field::consent},
    {"aangemeld_op", Field::registered_at},
    // Extra spellings.
    {"e_mail", Field::registrant_email},
    {"telefoonnummer", Field::registrant_phone},
};

} // namespace

// ---- fields -------------------------------------------------------------------------------

std::string_view field_name(Field field) {
    const auto i = static_cast<std::size_t>(field);
    return i < field_count ? field_columns[i].name : std::string_view{"unknown"};
}

bool field_is_required(Field field) { return column_of(field).required; }

std::string normalise_header(std::string_view header) {
    std::string_view h = trim_ascii_space(header);
    if (h.substr(0, 3) == "\xEF\xBB\xBF") h = trim_ascii_space(h.substr(3)); // a stray BOM
    std::string key;
    key.reserve(h.size());
    bool last_sep = false;
    for (char c : h) {
        if (c == ' ' || c == '-' || c == '_') {
            if (last_sep) continue; // runs of separators read as one underscore
            c = '_';
            last_sep = true;
        } else {
            last_sep = false;
        }
        key += ascii_lower(c);
    }
    return key;
}

std::optional<Field> field_from_header(std::string_view header) {
    const std::string key = normalise_header(header);
    for (const FieldColumn& column : field_columns)
        if (column.name == key) return column.field;
    for (const auto& alias : kHeaderAliases)
        if (alias.name == key) return alias.field;
    return std::nullopt;
}

// ---- enums --------------------------------------------------------------------------------

std::string_view to_string(Platform p) {
    return p == Platform::musically ? "musical.ly" : "tiktok";
}

std::string_view to_string(Relation r) {
    switch (r) {
    case Relation::guardian: return "guardian";
    case Relation::self: return "self";
    case Relation::parent: break;
    }
    return "parent";
}

std::string_view to_string(State s) {
    switch (s) {
    case State::withdrawn: return "withdrawn";
    case State::opted_out: return "opted-out";
    case State::linked: return "linked";
    case State::active: break;
    }
    return "active";
}

State parse_state(std::string_view text) {
    if (text == "active") return State::active;
    if (text == "withdrawn") return State::withdrawn;
    if (text == "opted-out") return State::opted_out;
    if (text == "linked") return State::linked;
    throw RuleError(kNotState);
}

// ---- errors -------------------------------------------------------------------------------

FieldError::FieldError(Field field, const std::string& rule)
    : DataError(std::string(field_name(field)) + ": " + rule), field_(field), rule_(rule) {}

// ---- the record ---------------------------------------------------------------------------

Registration parse_registration(const RawRecord& raw, Date today, std::string_view now_utc) {
    Registration r;
    Field current = Field::external_ref;
    // A value of spaces only counts as missing.
    auto value = [&](Field f) {
        current = f;
        return trim_spaces(raw[static_cast<std::size_t>(f)]);
    };
    auto require = [&](Field f) {
        const std::string_view v = value(f);
        if (v.empty()) throw FieldError(f, required);
        return v;
    };
    auto not_future = [&](Date d) {
        if (d > today) throw RuleError(in_future);
    };
    try {
        r.external_ref = parse_text(value(Field::external_ref), 64);
        r.child_first_name = parse_name(require(Field::child_first_name));
        r.child_name_prefix = parse_name(value(Field::child_name_prefix), true);
        r.child_last_name = parse_name(require(Field::child_last_name));

        r.child_birth_date = parse_date(require(Field::child_birth_date));
        not_future(r.child_birth_date);

        const std::string_view country = value(Field::country);
        r.country = country.empty() ? std::string("NL") : parse_country(country);
        const std::string_view postcode = value(Field::postcode);
        if (postcode.empty()) {
            if (r.country == "NL") throw RuleError(postcode_required_nl);
        } else {
            r.postcode = parse_postcode(postcode, r.country);
        }
        r.house_number = parse_text(value(Field::house_number), 10);
        r.platform = parse_platform(require(Field::platform));

        r.first_use = parse_date(require(Field::first_use));
        if (r.first_use < r.child_birth_date) throw RuleError("before child_birth_date");
        not_future(r.first_use);
        if (const std::string_view last = value(Field::last_use); !last.empty()) {
            const Date d = parse_date(last);
            if (d < r.first_use) throw RuleError("before first_use");
            not_future(d);
            r.last_use = d;
        }

        r.registrant_name = parse_name(require(Field::registrant_name));
        r.registrant_email = parse_email(require(Field::registrant_email));
        r.registrant_phone = parse_phone(value(Field::registrant_phone));
        r.registrant_relation = parse_relation(require(Field::registrant_relation));
        r.consent = parse_consent(value(Field::consent));

        const std::string_view at = value(Field::registered_at);
        r.registered_at = at.empty() ? std::string(now_utc) : parse_registered_at(at, today);
    } catch (const RuleError& e) {
        throw FieldError(current, e.what());
    }
    return r;
}

} // namespace claimreg
