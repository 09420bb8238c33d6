// The date rules of record.hpp: calendar dates as Dutch sources write them, and registered_at
// (read by clock.hpp's ISO 8601 reader).

#include "claimreg/record.hpp"

#include "claimreg/clock.hpp"
#include "claimreg/text.hpp"
#include "record_rules.hpp"

namespace claimreg {

namespace {

constexpr const char* kNotDate = "not a date (use YYYY-MM-DD or DD-MM-YYYY)";
constexpr const char* kNotRealDate = "not a real calendar date";
constexpr const char* kBefore1900 = "before 1900";
constexpr const char* kNotTimestamp = "not an ISO 8601 date or date-time";

/// How registered_at is written (clock.hpp's defaults: `T` or a space, `Z`, `+HH:MM`).
constexpr DateTimeForms kRegisteredAtForms{};

/// `date`, unless it is before 1900.
Date from_1900(Date date) {
    if (date.year() < std::chrono::year{1900}) throw RuleError(kBefore1900);
    return date;
}

/// Reads `s` as a registered_at into `t`: throws when it does not start with a date from 1900
/// on; returns false when the rest is not a time of day and zone.
bool read_registered_at(std::string_view s, DateTime& t) {
    const DateTimeProblem problem = parse_date_time(s, kRegisteredAtForms, t);
    if (problem == DateTimeProblem::not_a_date) throw RuleError(kNotTimestamp);
    if (problem == DateTimeProblem::unreal_date) throw RuleError(kNotRealDate);
    from_1900(t.date);
    return problem == DateTimeProblem::none;
}

/// Builds a validated date; throws the calendar rules.
Date real_date(int y, int m, int d) {
    const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                    std::chrono::day{static_cast<unsigned>(d)}};
    if (!date.ok()) throw RuleError(kNotRealDate);
    return from_1900(date);
}

int digits_value(std::string_view s) noexcept {
    int v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
}

/// Reads one or two digits at `i`; returns -1 when there are none.
int read_1_or_2_digits(std::string_view s, std::size_t& i) noexcept {
    if (i >= s.size() || !is_ascii_digit(s[i])) return -1;
    int v = s[i++] - '0';
    if (i < s.size() && is_ascii_digit(s[i])) v = v * 10 + (s[i++] - '0');
    return v;
}

} // namespace

Date parse_date(std::string_view text) {
    const std::string_view s = trim_ascii_space(text);
    if (s.size() == 10) {
        DateTime t;
        const DateTimeProblem problem = parse_date_time(s, kRegisteredAtForms, t);
        if (problem == DateTimeProblem::unreal_date) throw RuleError(kNotRealDate);
        if (problem == DateTimeProblem::none) return from_1900(t.date);
    }
    // Day-first: D{1,2} sep M{1,2} sep YYYY, sep '-' or '/' (the same twice).
    std::size_t i = 0;
    const int d = read_1_or_2_digits(s, i);
    if (d < 0 || i >= s.size() || (s[i] != '-' && s[i] != '/')) throw RuleError(kNotDate);
    const char sep = s[i++];
    const int m = read_1_or_2_digits(s, i);
    if (m < 0 || i >= s.size() || s[i] != sep) throw RuleError(kNotDate);
    ++i;
    const std::string_view year = s.substr(i);
    if (year.size() != 4 || !all_ascii_digits(year)) throw RuleError(kNotDate);
    return real_date(digits_value(year), m, d);
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
    const std::string_view s = trim_ascii_space(text);
    DateTime t;
    if (!read_registered_at(s, t)) throw RuleError(kNotTimestamp);
    if (t.date > today) throw RuleError(record_rules::in_future);
    return std::string(s);
}

Date registered_on(std::string_view registered_at) {
    DateTime t;
    read_registered_at(trim_ascii_space(registered_at).substr(0, 10), t);
    return t.date;
}

} // namespace claimreg
