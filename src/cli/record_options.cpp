#include "record_options.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "output.hpp"

namespace claimreg::cli {

namespace {

struct FieldHelp {
    const char* type;
    const char* text;
};

constexpr std::array<FieldHelp, field_count> field_help = {{
    {"TEXT", "External reference (the sign-up system's id), at most 64 characters"},
    {"NAME", "Child's first name"},
    {"TEXT", "Child's name prefix (tussenvoegsel: van, de, van der...)"},
    {"NAME", "Child's last name"},
    {"DATE", "Child's birth date (YYYY-MM-DD or DD-MM-YYYY)"},
    {"CC", "Country of residence, two letters (default NL)"},
    {"POSTCODE", "Postcode (NL: 1234 AB; required for NL)"},
    {"TEXT", "House number, at most 10 characters"},
    {"PLATFORM", "tiktok or musical.ly"},
    {"DATE", "First use (account creation) date"},
    {"DATE", "Last use date, if use stopped"},
    {"NAME", "Registrant's name"},
    {"EMAIL", "Registrant's e-mail address"},
    {"PHONE", "Registrant's phone (Dutch numbers become +31...)"},
    {"RELATION", "parent, guardian or self (also ouder, vader, moeder, voogd, zelf...: see "
                 "man claimreg)"},
    {"", "The registrant may act for the child"},
    {"TIMESTAMP", "Registration time, ISO 8601 (default: now, UTC)"},
}};

} // namespace

void add_record_options(CLI::App& cmd, RecordOptionValues& values,
                        std::initializer_list<Field> fields,
                        std::initializer_list<Field> required, const std::string& group) {
    for (const Field f : fields) {
        const auto i = static_cast<std::size_t>(f);
        auto* opt = cmd.add_option(option_name(field_name(f)), values[i], field_help[i].text)
                        ->type_name(field_help[i].type)
                        ->group(group);
        if (std::find(required.begin(), required.end(), f) != required.end()) opt->required();
    }
}

RawRecord raw_record(const RecordOptionValues& values) {
    RawRecord raw;
    for (std::size_t i = 0; i < field_count; ++i) raw[i] = values[i];
    return raw;
}

void rethrow_as_option_error(const FieldError& e) {
    throw DataError(fmt::format("{}: {}", option_name(field_name(e.field())), e.rule()));
}

} // namespace claimreg::cli
