#include "claimreg/record.hpp"

#include "claimreg/columns.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include <unicode/uspoof.h>
#include <utf8proc.h>

namespace claimreg {

namespace {

// Rule texts. Short, stable, and never containing the value.
constexpr const char* kRequired = "required";
constexpr const char* kNotDate = "not a date (use YYYY-MM-DD or DD-MM-YYYY)";
constexpr const char* kNotRealDate = "not a real calendar date";
constexpr const char* kBefore1900 = "before 1900";
constexpr const char* kFuture = "in the future";
constexpr const char* kNotTimestamp = "not an ISO 8601 date or date-time";
constexpr const char* kNotCountry = "not a two-letter country code";
constexpr const char* kNotPostcode = "not a Dutch postcode (use 1234 AB)";
constexpr const char* kPostcodeLetters = "letters SA, SD and SS are not used in Dutch postcodes";
constexpr const char* kPostcodeRequiredNL = "required for country NL";
constexpr const char* kNotEmail = "not an e-mail address";
constexpr const char* kNotPhone = "not a phone number";
constexpr const char* kNotPlatform = "not tiktok or musical.ly";
constexpr const char* kNotRelation = "not parent, guardian or self";
constexpr const char* kNotYesNo = "not yes/no";
constexpr const char* kNotState = "not active, withdrawn or opted-out";
constexpr const char* kBadUtf8 = "not valid UTF-8";
constexpr const char* kControl = "contains a control character";
constexpr const char* kMixedScripts = "mixes letters of different scripts in one word";

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr char to_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char to_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}
constexpr bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/// Trims ASCII white space (space, tab, CR, LF) on both sides.
std::string_view trim_ws(std::string_view s) noexcept {
    while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
    return s;
}

/// Trims ASCII spaces only (tabs and newlines are control characters, rejected elsewhere).
std::string_view trim_spaces(std::string_view s) noexcept {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

/// Case-insensitive (ASCII) equality; `lower` must already be lower case.
bool iequals(std::string_view s, std::string_view lower) noexcept {
    if (s.size() != lower.size()) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (to_lower(s[i]) != lower[i]) return false;
    return true;
}

constexpr bool is_control(utf8proc_int32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/// Checks that `s` is valid UTF-8 without control characters; returns whether it is pure ASCII.
/// Throws RuleError otherwise.
bool check_text(std::string_view s) {
    // The common pure-ASCII case, eight bytes at a time (SWAR): a byte with its high bit set
    // sends us to the full UTF-8 check; otherwise look for bytes < 0x20 or == 0x7F.
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    std::uint64_t high = 0;
    std::uint64_t control = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        high |= w;
        control |= (w - ones * 0x20) & ~w;                    // a byte < 0x20 (w ASCII)
        const std::uint64_t del = w ^ (ones * 0x7F);
        control |= (del - ones) & ~del;                       // a byte == 0x7F
    }
    for (; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        high |= b;
        control |= static_cast<std::uint64_t>(b < 0x20 || b == 0x7F) << 7;
    }
    if ((high & highs) == 0) {
        if ((control & highs) != 0) throw RuleError(kControl);
        return true;
    }
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    auto left = static_cast<utf8proc_ssize_t>(s.size());
    while (left > 0) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0 || cp < 0) throw RuleError(kBadUtf8);
        if (is_control(cp)) throw RuleError(kControl);
        p += n;
        left -= n;
    }
    return false;
}

/// Code points in valid UTF-8.
std::size_t count_code_points(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

std::string too_long(std::size_t max_chars) {
    return "longer than " + std::to_string(max_chars) + " characters";
}

struct FreeDeleter {
    void operator()(utf8proc_uint8_t* p) const noexcept { std::free(p); }
};

/// NFC of valid UTF-8 via utf8proc.
std::string nfc(std::string_view s) {
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                     static_cast<utf8proc_ssize_t>(s.size()), &out,
                     static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    std::unique_ptr<utf8proc_uint8_t, FreeDeleter> guard(out);
    if (n < 0) throw RuleError(kBadUtf8);
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

/// Whether one word (no spaces) mixes scripts the way a look-alike does: a Cyrillic `а` in a
/// Latin name. ICU's restriction level "highly restrictive" (Unicode TS #39) allows one script,
/// or the combinations Japanese, Chinese and Korean names use with Latin.
bool mixes_scripts(std::string_view word) {
    static USpoofChecker* const checker = [] {
        UErrorCode status = U_ZERO_ERROR;
        USpoofChecker* sc = uspoof_open(&status);
        uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL, &status);
        uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
        return U_SUCCESS(status) ? sc : nullptr;
    }();
    if (checker == nullptr) return false;
    UErrorCode status = U_ZERO_ERROR;
    const std::int32_t result = uspoof_check2UTF8(
        checker, word.data(), static_cast<std::int32_t>(word.size()), nullptr, &status);
    return U_SUCCESS(status) && (result & USPOOF_RESTRICTION_LEVEL) != 0;
}

int digits_value(std::string_view s) noexcept {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

bool all_digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}

/// Builds a validated date; throws the calendar rules.
Date make_date(int y, int m, int d) {
    const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                    std::chrono::day{static_cast<unsigned>(d)}};
    if (!date.ok()) throw RuleError(kNotRealDate);
    if (y < 1900) throw RuleError(kBefore1900);
    return date;
}

/// Strict `YYYY-MM-DD` shape check (exactly ten characters).
bool iso_date_shape(std::string_view s) noexcept {
    return s.size() == 10 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) &&
           is_digit(s[3]) && s[4] == '-' && is_digit(s[5]) && is_digit(s[6]) && s[7] == '-' &&
           is_digit(s[8]) && is_digit(s[9]);
}

Date iso_date(std::string_view s) {
    return make_date(digits_value(s.substr(0, 4)), digits_value(s.substr(5, 2)),
                     digits_value(s.substr(8, 2)));
}

/// Reads one or two digits at `i`; returns -1 when there are none.
int read_1_or_2_digits(std::string_view s, std::size_t& i) noexcept {
    if (i >= s.size() || !is_digit(s[i])) return -1;
    int v = s[i++] - '0';
    if (i < s.size() && is_digit(s[i])) v = v * 10 + (s[i++] - '0');
    return v;
}

/// `HH:MM` at `i` with range checks; false if malformed.
bool read_hh_mm(std::string_view s, std::size_t& i, int max_hour, int& hh, int& mm) noexcept {
    if (i + 5 > s.size()) return false;
    if (!is_digit(s[i]) || !is_digit(s[i + 1]) || s[i + 2] != ':' || !is_digit(s[i + 3]) ||
        !is_digit(s[i + 4]))
        return false;
    hh = digits_value(s.substr(i, 2));
    mm = digits_value(s.substr(i + 3, 2));
    i += 5;
    return hh <= max_hour && mm < 60;
}

/// Lower-cased copy of an ASCII-trimmed value with ` ._-` removed, into a small buffer.
/// Returns false if the value is too long to be any known spelling.
template <std::size_t N>
bool squeeze_lower(std::string_view s, char (&buf)[N], std::size_t& len) noexcept {
    len = 0;
    for (char c : s) {
        if (c == ' ' || c == '.' || c == '-' || c == '_') continue;
        if (len == N) return false;
        buf[len++] = to_lower(c);
    }
    return true;
}

// One table of header spellings (already normalised: lower case, underscores).
struct HeaderAlias {
    std::string_view name;
    Field field;
};
constexpr HeaderAlias kHeaderAliases[] = {
    // Canonical names.
    {"external_ref", Field::external_ref},
    {"child_first_name", Field::child_first_name},
    {"child_name_prefix", Field::child_name_prefix},
    {"child_last_name", Field::child_last_name},
    {"child_birth_date", Field::child_birth_date},
    {"country", Field::country},
    {"postcode", Field::postcode},
    {"house_number", Field::house_number},
    {"platform", Field::platform},
    {"first_use", Field::first_use},
    {"last_use", Field::last_use},
    {"registrant_name", Field::registrant_name},
    {"registrant_email", Field::registrant_email},
    {"registrant_phone", Field::registrant_phone},
    {"registrant_relation", Field::registrant_relation},
    {"consent", Field::consent},
    {"registered_at", Field::registered_at},
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
    std::string_view h = trim_ws(header);
    if (h.substr(0, 3) == "\xEF\xBB\xBF") h = trim_ws(h.substr(3)); // a stray BOM
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
        key += to_lower(c);
    }
    return key;
}

std::optional<Field> field_from_header(std::string_view header) {
    const std::string key = normalise_header(header);
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

// ---- dates --------------------------------------------------------------------------------

Date parse_date(std::string_view text) {
    const std::string_view s = trim_ws(text);
    if (iso_date_shape(s)) return iso_date(s);
    // Day-first: D{1,2} sep M{1,2} sep YYYY, sep '-' or '/' (the same twice).
    std::size_t i = 0;
    const int d = read_1_or_2_digits(s, i);
    if (d < 0 || i >= s.size() || (s[i] != '-' && s[i] != '/')) throw RuleError(kNotDate);
    const char sep = s[i++];
    const int m = read_1_or_2_digits(s, i);
    if (m < 0 || i >= s.size() || s[i] != sep) throw RuleError(kNotDate);
    ++i;
    const std::string_view year = s.substr(i);
    if (year.size() != 4 || !all_digits(year)) throw RuleError(kNotDate);
    return make_date(digits_value(year), m, d);
}

std::string format_date(Date date) {
    const int y = static_cast<int>(date.year());
    const unsigned m = static_cast<unsigned>(date.month());
    const unsigned d = static_cast<unsigned>(date.day());
    std::string out(10, '-');
    const auto yy = static_cast<unsigned>(y < 0 ? 0 : (y > 9999 ? 9999 : y));
    out[0] = static_cast<char>('0' + yy / 1000);
    out[1] = static_cast<char>('0' + yy / 100 % 10);
    out[2] = static_cast<char>('0' + yy / 10 % 10);
    out[3] = static_cast<char>('0' + yy % 10);
    out[5] = static_cast<char>('0' + m / 10);
    out[6] = static_cast<char>('0' + m % 10);
    out[8] = static_cast<char>('0' + d / 10);
    out[9] = static_cast<char>('0' + d % 10);
    return out;
}

std::string parse_registered_at(std::string_view text, Date today) {
    const std::string_view s = trim_ws(text);
    if (s.size() < 10 || !iso_date_shape(s.substr(0, 10))) throw RuleError(kNotTimestamp);
    const Date date = iso_date(s.substr(0, 10));
    if (s.size() > 10) {
        std::size_t i = 10;
        if (s[i] != 'T' && s[i] != ' ') throw RuleError(kNotTimestamp);
        ++i;
        int hh = 0;
        int mm = 0;
        if (!read_hh_mm(s, i, 23, hh, mm)) throw RuleError(kNotTimestamp);
        if (i < s.size() && s[i] == ':') {
            ++i;
            if (i + 2 > s.size() || !is_digit(s[i]) || !is_digit(s[i + 1]) ||
                digits_value(s.substr(i, 2)) > 60)
                throw RuleError(kNotTimestamp);
            i += 2;
            if (i < s.size() && s[i] == '.') {
                ++i;
                const std::size_t start = i;
                while (i < s.size() && is_digit(s[i])) ++i;
                if (i == start || i - start > 9) throw RuleError(kNotTimestamp);
            }
        }
        if (i < s.size()) {
            if (s[i] == 'Z') {
                ++i;
            } else if (s[i] == '+' || s[i] == '-') {
                ++i;
                if (!read_hh_mm(s, i, 23, hh, mm)) throw RuleError(kNotTimestamp);
            } else {
                throw RuleError(kNotTimestamp);
            }
        }
        if (i != s.size()) throw RuleError(kNotTimestamp);
    }
    if (date > today) throw RuleError(kFuture);
    return std::string(s);
}

Date registered_on(std::string_view registered_at) {
    const std::string_view s = trim_ws(registered_at);
    if (s.size() < 10 || !iso_date_shape(s.substr(0, 10))) throw RuleError(kNotTimestamp);
    return iso_date(s.substr(0, 10));
}

// ---- residence ----------------------------------------------------------------------------

std::string parse_country(std::string_view text) {
    const std::string_view s = trim_ws(text);
    if (s.size() == 2 && is_alpha(s[0]) && is_alpha(s[1]))
        return std::string{to_upper(s[0]), to_upper(s[1])};
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
    if (len == 0) throw RuleError(kPostcodeRequiredNL);
    if (len != 6 || !is_digit(buf[0]) || buf[0] == '0' || !is_digit(buf[1]) ||
        !is_digit(buf[2]) || !is_digit(buf[3]) || !is_alpha(buf[4]) || !is_alpha(buf[5]))
        throw RuleError(kNotPostcode);
    const char a = to_upper(buf[4]);
    const char b = to_upper(buf[5]);
    if (a == 'S' && (b == 'A' || b == 'D' || b == 'S')) throw RuleError(kPostcodeLetters);
    return std::string{buf[0], buf[1], buf[2], buf[3], ' ', a, b};
}

// ---- registrant ---------------------------------------------------------------------------

std::string parse_email(std::string_view text) {
    const std::string_view s = trim_ws(text);
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
    for (std::size_t i = at + 1; i < out.size(); ++i) out[i] = to_lower(out[i]);
    return out;
}

std::string parse_phone(std::string_view text) {
    const std::string_view trimmed = trim_ws(text);
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
        if (national.size() != 9 || !all_digits(national)) throw RuleError(kNotPhone);
        return "+31" + std::string(national);
    } else {
        throw RuleError(kNotPhone);
    }
    if (!all_digits(intl) || intl[0] == '0') throw RuleError(kNotPhone);
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
    if (!squeeze_lower(trim_ws(text), buf, len)) throw RuleError(kNotPlatform);
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
    for (const char c : trim_ws(text)) {
        if (c == ' ' && (len == 0 || buf[len - 1] == ' ' || buf[len - 1] == '/')) continue;
        if (c == '/' && len > 0 && buf[len - 1] == ' ') --len;
        if (len == sizeof buf) throw RuleError(kNotRelation);
        buf[len++] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    const std::string_view s(buf, len);
    for (const Word& w : kWords) {
        if (w.word == s) return w.relation;
    }
    throw RuleError(kNotRelation);
}

bool parse_consent(std::string_view text) {
    const std::string_view s = trim_ws(text);
    if (s.empty()) return false;
    for (std::string_view yes : {"yes", "true", "1", "ja", "y", "j"})
        if (iequals(s, yes)) return true;
    for (std::string_view no : {"no", "false", "0", "nee", "n"})
        if (iequals(s, no)) return false;
    throw RuleError(kNotYesNo);
}

// ---- text ---------------------------------------------------------------------------------

std::string parse_name(std::string_view text, bool optional) {
    constexpr std::size_t max_chars = 100;
    const bool ascii = check_text(text);
    std::string out;
    if (ascii) {
        const std::string_view s = trim_spaces(text);
        if (s.find("  ") == std::string_view::npos) {
            out.assign(s); // nothing to collapse: one copy
        } else {
            out.reserve(s.size());
            bool space = false;
            for (char c : s) {
                if (c == ' ') {
                    space = true;
                    continue;
                }
                if (space) out.push_back(' ');
                space = false;
                out.push_back(c);
            }
        }
    } else {
        // Any Unicode space separator (NBSP included) counts as a space; default-ignorable
        // code points (zero-width spaces and joiners, soft hyphens, a BOM inside the cell) are
        // removed, so that they can never make a second claimant of the same child.
        std::string collapsed;
        collapsed.reserve(text.size());
        const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
        const auto size = static_cast<utf8proc_ssize_t>(text.size());
        bool space = false;
        utf8proc_int32_t max_cp = 0;
        utf8proc_int32_t word_max_cp = 0;
        std::size_t word_start = 0;
        const auto end_word = [&] {
            // Below U+0250 every letter is Latin: only a word beyond it can mix scripts.
            if (word_max_cp >= 0x250 &&
                mixes_scripts(std::string_view(collapsed).substr(word_start))) {
                throw RuleError(kMixedScripts);
            }
            word_max_cp = 0;
        };
        for (utf8proc_ssize_t i = 0; i < size;) {
            utf8proc_int32_t cp = 0;
            const utf8proc_ssize_t n = utf8proc_iterate(base + i, size - i, &cp);
            if (cp == ' ' || (cp >= 0x80 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS)) {
                if (!space && !collapsed.empty()) end_word();
                space = !collapsed.empty();
            } else if (cp >= 0x80 && utf8proc_get_property(cp)->ignorable) {
                // dropped
            } else {
                if (space) collapsed.push_back(' ');
                if (space || collapsed.empty()) word_start = collapsed.size();
                space = false;
                collapsed.append(text.data() + i, static_cast<std::size_t>(n));
                if (cp > max_cp) max_cp = cp;
                if (cp > word_max_cp) word_max_cp = cp;
            }
            i += n;
        }
        if (!space) end_word();
        // Text made only of code points below U+0300 (Latin-1 and Latin Extended, the names
        // seen in practice) is already NFC: no combining marks and no composition exclusions.
        out = max_cp < 0x300 ? std::move(collapsed) : nfc(collapsed);
    }
    if (out.empty() && !optional) throw RuleError(kRequired);
    if ((ascii ? out.size() : count_code_points(out)) > max_chars) throw RuleError(too_long(max_chars));
    return out;
}

std::string parse_text(std::string_view text, std::size_t max_chars) {
    const bool ascii = check_text(text);
    const std::string_view s = trim_spaces(text);
    if ((ascii ? s.size() : count_code_points(s)) > max_chars) throw RuleError(too_long(max_chars));
    return std::string(s);
}

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
        if (v.empty()) throw FieldError(f, kRequired);
        return v;
    };
    auto not_future = [&](Date d) {
        if (d > today) throw RuleError(kFuture);
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
            if (r.country == "NL") throw RuleError(kPostcodeRequiredNL);
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
