#pragma once
// The wall clock, in the forms the registry uses, and the one reader of ISO 8601 dates and
// date-times. Library functions take dates as parameters; only the command line asks the clock.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "claimreg/record.hpp"
#include "claimreg/text.hpp"

namespace claimreg {

/// Today's date in the local time zone.
Date today();
/// Now in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
std::string now_utc();

/// Reads the `n` decimal digits of `s` from `at` into `value` (for the fields of a date or a
/// time); false when `s` is too short or one of them is not a digit.
constexpr bool read_digits(std::string_view s, std::size_t at, std::size_t n, int& value) noexcept {
    if (at + n > s.size()) return false;
    value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (!is_ascii_digit(s[i])) return false;
        value = value * 10 + (s[i] - '0');
    }
    return true;
}

/// An ISO 8601 date (`YYYY-MM-DD`) or date-time (`YYYY-MM-DDTHH:MM[:SS[.fraction]][zone]`,
/// the zone `Z` or an offset `+HH:MM`), as read.
struct DateTime {
    /// Which time zone a date-time names.
    enum class Zone : std::uint8_t {
        none,   ///< a bare date, or a date-time without a zone
        utc,    ///< `Z`
        offset, ///< `+HH:MM` or `-HH:MM`
    };
    Date date;
    bool has_time = false;
    int hour = 0;
    int minute = 0;
    int second = 0; ///< 0 when not written
    Zone zone = Zone::none;
    int offset_minutes = 0; ///< east of UTC (`-05:30` is -330)
};

/// The spellings a reader accepts beyond the forms above. The defaults are the stored
/// `registered_at`'s; a time a person types (a changed-since filter) allows more.
struct DateTimeForms {
    bool lower_case_letters = false;      ///< `t` and `z` besides `T` and `Z`
    bool comma_fraction = false;          ///< `,` besides `.` before a fraction of a second
    std::size_t max_fraction_digits = 9;  ///< digits of a fraction of a second
    bool leap_second = true;              ///< second 60
    bool offset_without_colon = false;    ///< `+0100` besides `+01:00`
};

/// Where a text stops being an ISO 8601 date or date-time.
enum class DateTimeProblem : std::uint8_t {
    none,
    not_a_date,  ///< it does not start with `YYYY-MM-DD`
    unreal_date, ///< a `YYYY-MM-DD` that is no calendar date (`2023-02-29`)
    not_a_time,  ///< a real date followed by what is not a time of day and zone
};

namespace detail {
/// The time of day and zone of `s` from `at` (after the date's separator) into `out`; false
/// when they are not one.
bool read_time(std::string_view s, std::size_t at, const DateTimeForms& forms, DateTime& out);
} // namespace detail

/// Reads `text` (nothing around it: no spaces) as an ISO 8601 date or date-time into `out`.
/// The date and time separator is `T` or a space. `out.date` is set unless the problem is
/// not_a_date or unreal_date. Allocates nothing and throws nothing. (Inline: every row of an
/// import reads several dates.)
inline DateTimeProblem parse_date_time(std::string_view s, const DateTimeForms& forms,
                                       DateTime& out) {
    out = DateTime{};
    int y = 0;
    int m = 0;
    int d = 0;
    if (s.size() < 10 || !read_digits(s, 0, 4, y) || s[4] != '-' || !read_digits(s, 5, 2, m) ||
        s[7] != '-' || !read_digits(s, 8, 2, d)) {
        return DateTimeProblem::not_a_date;
    }
    const Date date{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                    std::chrono::day{static_cast<unsigned>(d)}};
    if (!date.ok()) return DateTimeProblem::unreal_date;
    out.date = date;
    if (s.size() == 10) return DateTimeProblem::none;
    const char separator = s[10];
    if (separator != 'T' && separator != ' ' && !(forms.lower_case_letters && separator == 't')) {
        return DateTimeProblem::not_a_time;
    }
    out.has_time = true;
    return detail::read_time(s, 11, forms, out) ? DateTimeProblem::none
                                                : DateTimeProblem::not_a_time;
}

/// Seconds since 1970-01-01T00:00:00Z of `t`; a date-time without a zone is read as UTC, a
/// bare date as its midnight UTC.
std::int64_t epoch_seconds(const DateTime& t);

/// `seconds` since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
std::string format_utc(std::int64_t seconds);

} // namespace claimreg
