// The residence and registrant rules of record.hpp: country, postcode, e-mail, phone, platform,
// relation and consent.

#include "claimreg/record.hpp"

#include "claimreg/text.hpp"
#include "record_rules.hpp"

namespace claimreg {

namespace {

using namespace record_rules;

constexpr const char* kNotCountry = "not a two-letter country code";
constexpr const char* kNotPostcode = "not a Dutch postcode (use 1234 AB)";
constexpr const char* kPostcodeLetters = "letters SA, SD and SS are not used in Dutch postcodes";
constexpr const char* kNotEmail = "not an e-mail address";
constexpr const char* kNotPhone = "not a phone number";
constexpr const char* kNotPlatform = "not tiktok or musical.ly";
constexpr const char* kNotRelation = "not parent, guardian or self";
constexpr const char* kNotYesNo = "not yes/no";

/// Lower-cased copy of an ASCII-trimmed value with ` ._-` removed, into a small buffer.
/// Returns false if the value is too long to be any known spelling.
template <std::size_t N>
bool squeeze_lower(std::string_view s, char (&buf)[N], std::size_t& len) noexcept {
    len = 0;
    for (char c : s) {
        if (c == ' ' || c == '.' || c == '-' || c == '_') continue;
        if (len == N) return false;
        buf[len++] = ascii_lower(c);
    }
    return true;
}

} // namespace

// ---- residence ----------------------------------------------------------------------------

std::string parse_country(std::string_view text) {
    const std::string_view s = trim_ascii_space(text);
    if (s.size() == 2 && is_ascii_alpha(s[0]) && is_ascii_alpha(s[1]))
        return std::string{ascii_upper(s[0]), ascii_upper(s[1])};
    struct Name {
        std::string_view lower;
        const char* code;
    };
    static constexpr Name kNames[] = {
        {"nederland", "NL"}, {"netherlands", "NL"}, {"the netherlands", "NL"},
        {"holland", "NL"},   {"belgi\xc3\xab", "BE"}, {"belgie", "BE"},
        {"belgium", "BE"},   {"duitsland", "DE"},   {"germany", "DE"},
        {"deutschland", "DE"},
    };
    for (const auto& n : kNames)
        if (iequals(s, n.lower)) return n.code;
    throw RuleError(kNotCountry);
}

std::string parse_postcode(std::string_view text, std::string_view country) {
    if (country != "NL") return parse_text(text, 10);
    char buf[6];
    std::size_t len = 0;
    for (char c : text) {
        if (c == ' ') continue;
        if (len == sizeof buf) throw RuleError(kNotPostcode);
        buf[len++] = c;
    }
    if (len == 0) throw RuleError(postcode_required_nl);
    if (len != 6 || !is_ascii_digit(buf[0]) || buf[0] == '0' || !is_ascii_digit(buf[1]) ||
        !is_ascii_digit(buf[2]) || !is_ascii_digit(buf[3]) || !is_ascii_alpha(buf[4]) || !is_ascii_alpha(buf[5]))
        throw RuleError(kNotPostcode);
    const char a = ascii_upper(buf[4]);
    const char b = ascii_upper(buf[5]);
    if (a == 'S' && (b == 'A' || b == 'D' || b == 'S')) throw RuleError(kPostcodeLetters);
    return std::string{buf[0], buf[1], buf[2], buf[3], ' ', a, b};
}

// ---- registrant ---------------------------------------------------------------------------

std::string parse_email(std::string_view text) {
    const std::string_view s = trim_ascii_space(text);
    check_text(s);
    if (count_code_points(s) > 254) throw RuleError(too_long(254));
    const std::size_t at = s.find('@');
    if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos)
        throw RuleError(kNotEmail);
    if (s.find(' ') != std::string_view::npos) throw RuleError(kNotEmail);
    const std::string_view domain = s.substr(at + 1);
    if (domain.empty() || domain.front() == '.' || domain.back() == '.' ||
        domain.find('.') == std::string_view::npos || domain.find("..") != std::string_view::npos)
        throw RuleError(kNotEmail);
    std::string out(s);
    for (std::size_t i = at + 1; i < out.size(); ++i) out[i] = ascii_lower(out[i]);
    return out;
}

std::string parse_phone(std::string_view text) {
    const std::string_view trimmed = trim_ascii_space(text);
    if (trimmed.empty()) return {};
    char buf[32];
    std::size_t len = 0;
    for (char c : trimmed) {
        if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') continue;
        if (len == sizeof buf) throw RuleError(kNotPhone);
        buf[len++] = c;
    }
    std::string_view s(buf, len);
    std::string_view intl; // digits after + or 00
    if (!s.empty() && s[0] == '+') {
        intl = s.substr(1);
    } else if (s.size() >= 2 && s[0] == '0' && s[1] == '0') {
        intl = s.substr(2);
    } else if (!s.empty() && s[0] == '0') {
        const std::string_view national = s.substr(1);
        if (national.size() != 9 || !all_ascii_digits(national)) throw RuleError(kNotPhone);
        return "+31" + std::string(national);
    } else {
        throw RuleError(kNotPhone);
    }
    if (!all_ascii_digits(intl) || intl[0] == '0') throw RuleError(kNotPhone);
    if (intl.substr(0, 2) == "31") {
        std::string_view national = intl.substr(2);
        if (!national.empty() && national[0] == '0') national.remove_prefix(1); // +31 (0)6 ...
        if (national.size() != 9) throw RuleError(kNotPhone);
        return "+31" + std::string(national);
    }
    if (intl.size() < 8 || intl.size() > 15) throw RuleError(kNotPhone);
    return "+" + std::string(intl);
}

Platform parse_platform(std::string_view text) {
    char buf[16];
    std::size_t len = 0;
    if (!squeeze_lower(trim_ascii_space(text), buf, len)) throw RuleError(kNotPlatform);
    const std::string_view s(buf, len);
    if (s == "tiktok") return Platform::tiktok;
    if (s == "musically") return Platform::musically;
    throw RuleError(kNotPlatform);
}

Relation parse_relation(std::string_view text) {
    // The words of Dutch and English sign-up forms and sheets (the man page lists them).
    struct Word {
        std::string_view word;
        Relation relation;
    };
    static constexpr Word kWords[] = {
        {"parent", Relation::parent},
        {"ouder", Relation::parent},
        {"mother", Relation::parent},
        {"father", Relation::parent},
        {"moeder", Relation::parent},
        {"vader", Relation::parent},
        {"mum", Relation::parent},
        {"mom", Relation::parent},
        {"dad", Relation::parent},
        {"mama", Relation::parent},
        {"papa", Relation::parent},
        {"ouder/verzorger", Relation::parent},
        {"parent/guardian", Relation::parent},
        {"guardian", Relation::guardian},
        {"legal guardian", Relation::guardian},
        {"voogd", Relation::guardian},
        {"verzorger", Relation::guardian},
        {"caregiver", Relation::guardian},
        {"carer", Relation::guardian},
        {"pleegouder", Relation::guardian},
        {"foster parent", Relation::guardian},
        {"self", Relation::self},
        {"zelf", Relation::self},
        {"myself", Relation::self},
        {"ikzelf", Relation::self},
    };
    // Lower-cased, runs of spaces as one, none around a slash: `Ouder / Verzorger` is listed.
    char buf[24];
    std::size_t len = 0;
    for (const char c : trim_ascii_space(text)) {
        if (c == ' ' && (len == 0 || buf[len - 1] == ' ' || buf[len - 1] == '/')) continue;
        if (c == '/' && len > 0 && buf[len - 1] == ' ') --len;
        if (len == sizeof buf) throw RuleError(kNotRelation);
        buf[len++] = ascii_lower(c);
    }
    const std::string_view s(buf, len);
    for (const Word& w : kWords) {
        if (w.word == s) return w.relation;
    }
    throw RuleError(kNotRelation);
}

bool parse_consent(std::string_view text) {
    const std::string_view s = trim_ascii_space(text);
    if (s.empty()) return false;
    for (std::string_view yes : {"yes", "true", "1", "ja", "y", "j"})
        if (iequals(s, yes)) return true;
    for (std::string_view no : {"no", "false", "0", "nee", "n"})
        if (iequals(s, no)) return false;
    throw RuleError(kNotYesNo);
}

} // namespace claimreg
