#include "claimreg/clock.hpp"

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "claimreg/text.hpp"

namespace claimreg {

Date today() {
    const std::time_t t = std::time(nullptr);
    std::tm local{};
    localtime_r(&t, &local);
    return Date{std::chrono::year{local.tm_year + 1900},
                std::chrono::month{static_cast<unsigned>(local.tm_mon + 1)},
                std::chrono::day{static_cast<unsigned>(local.tm_mday)}};
}

std::string now_utc() {
    const std::time_t t = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&t, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", utc.tm_year + 1900, utc.tm_mon + 1,
                       utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
}

namespace {

/// `HH:MM` at `at` (hour <= 23, minute <= 59); false if it is not there.
bool read_hour_minute(std::string_view s, std::size_t at, bool colon, int& hour, int& minute) {
    if (!read_digits(s, at, 2, hour)) return false;
    if (colon && (at + 2 >= s.size() || s[at + 2] != ':')) return false;
    return read_digits(s, at + (colon ? 3 : 2), 2, minute) && hour <= 23 && minute <= 59;
}

} // namespace

bool detail::read_time(std::string_view s, std::size_t i, const DateTimeForms& forms, DateTime& out) {
    if (!read_hour_minute(s, i, true, out.hour, out.minute)) return false;
    i += 5;
    if (i < s.size() && s[i] == ':') {
        if (!read_digits(s, i + 1, 2, out.second)) return false;
        if (out.second > (forms.leap_second ? 60 : 59)) return false;
        i += 3;
        if (i < s.size() && (s[i] == '.' || (forms.comma_fraction && s[i] == ','))) {
            const std::size_t start = ++i;
            while (i < s.size() && is_ascii_digit(s[i])) ++i;
            if (i == start || i - start > forms.max_fraction_digits) return false;
        }
    }
    if (i == s.size()) return true;
    if (s[i] == 'Z' || (forms.lower_case_letters && s[i] == 'z')) {
        out.zone = DateTime::Zone::utc;
        return i + 1 == s.size();
    }
    if (s[i] != '+' && s[i] != '-') return false;
    const bool colon = !forms.offset_without_colon || (i + 3 < s.size() && s[i + 3] == ':');
    int hours = 0;
    int minutes = 0;
    if (!read_hour_minute(s, i + 1, colon, hours, minutes)) return false;
    out.zone = DateTime::Zone::offset;
    out.offset_minutes = (s[i] == '-' ? -1 : 1) * (hours * 60 + minutes);
    return i + (colon ? 6 : 5) == s.size();
}

std::int64_t epoch_seconds(const DateTime& t) {
    const std::int64_t days = std::chrono::sys_days(t.date).time_since_epoch().count();
    return days * 86400 + t.hour * 3600 + t.minute * 60 + t.second - t.offset_minutes * 60;
}

std::string format_utc(std::int64_t seconds) {
    using namespace std::chrono;
    const sys_seconds utc{std::chrono::seconds{seconds}};
    const auto day_start = floor<days>(utc);
    const year_month_day date{day_start};
    const hh_mm_ss<std::chrono::seconds> time{utc - day_start};
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count());
}

} // namespace claimreg
