// A valid registration for unit tests, shared by the test files.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <utility>

#include "claimreg/record.hpp"

namespace claimreg::test {

/// The "today" the sample registrations are parsed on.
inline constexpr Date sample_today{std::chrono::year{2025}, std::chrono::month{1},
                                   std::chrono::day{1}};

using Changes = std::initializer_list<std::pair<Field, std::string_view>>;

/// A valid registration (Zoë van der Berg, registered by her mother), with `base` and then
/// `changes` (field, value) applied to it.
inline Registration sample_registration(Changes changes = {}, Changes base = {}) {
    RawRecord raw{};
    const auto set = [&](Field f, std::string_view v) { raw[static_cast<std::size_t>(f)] = v; };
    set(Field::external_ref, "REF-1");
    set(Field::child_first_name, "Zoë");
    set(Field::child_name_prefix, "van der");
    set(Field::child_last_name, "Berg");
    set(Field::child_birth_date, "2011-03-14");
    set(Field::country, "NL");
    set(Field::postcode, "1012 AB");
    set(Field::house_number, "12a");
    set(Field::platform, "tiktok");
    set(Field::first_use, "2019-06-01");
    set(Field::registrant_name, "Anna Berg");
    set(Field::registrant_email, "anna@example.nl");
    set(Field::registrant_phone, "06 12345678");
    set(Field::registrant_relation, "parent");
    set(Field::consent, "yes");
    set(Field::registered_at, "2024-01-15T10:00:00+01:00");
    for (const auto& [f, v] : base) set(f, v);
    for (const auto& [f, v] : changes) set(f, v);
    return parse_registration(raw, sample_today, "2024-12-31T00:00:00Z");
}

} // namespace claimreg::test
