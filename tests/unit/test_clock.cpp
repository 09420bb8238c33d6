#include "claimreg/clock.hpp"

#include <string>

#include <doctest/doctest.h>

namespace test_clock {

using namespace claimreg;
using namespace std::chrono;

namespace {

constexpr DateTimeForms kStored{};
constexpr DateTimeForms kTyped{.lower_case_letters = true,
                               .comma_fraction = true,
                               .max_fraction_digits = ~std::size_t{0},
                               .leap_second = false,
                               .offset_without_colon = true};

DateTimeProblem problem(std::string_view s, const DateTimeForms& forms = kStored) {
    DateTime t;
    return parse_date_time(s, forms, t);
}

DateTime read(std::string_view s, const DateTimeForms& forms = kStored) {
    DateTime t;
    REQUIRE(parse_date_time(s, forms, t) == DateTimeProblem::none);
    return t;
}

} // namespace

TEST_CASE("clock: read_digits") {
    int v = -1;
    CHECK(read_digits("x2024", 1, 4, v));
    CHECK(v == 2024);
    CHECK_FALSE(read_digits("202", 0, 4, v));
    CHECK_FALSE(read_digits("20a4", 0, 4, v));
}

TEST_CASE("clock: a date") {
    const DateTime t = read("2024-02-29");
    CHECK(t.date == year_month_day{year{2024}, month{2}, day{29}});
    CHECK_FALSE(t.has_time);
    CHECK(t.zone == DateTime::Zone::none);
    CHECK(problem("2023-02-29") == DateTimeProblem::unreal_date);
    CHECK(problem("2024-13-01") == DateTimeProblem::unreal_date);
    CHECK(problem("2024-00-10") == DateTimeProblem::unreal_date);
    CHECK(problem("0000-01-01") == DateTimeProblem::none); // the 1900 bound is the caller's
    for (const char* s : {"", "2024", "2024-6-1", "2024-06-1", "01-06-2024", "2024/06/01",
                          "2024-06-0x", "+2024-06-01", " 2024-06-01", "yesterday"}) {
        CAPTURE(s);
        CHECK(problem(s) == DateTimeProblem::not_a_date);
        CHECK(problem(s, kTyped) == DateTimeProblem::not_a_date);
    }
}

TEST_CASE("clock: a date-time and its parts") {
    DateTime t = read("2024-01-15T10:20");
    CHECK(t.has_time);
    CHECK(t.hour == 10);
    CHECK(t.minute == 20);
    CHECK(t.second == 0);
    CHECK(t.zone == DateTime::Zone::none);

    t = read("2024-01-15 23:59:58Z");
    CHECK(t.hour == 23);
    CHECK(t.minute == 59);
    CHECK(t.second == 58);
    CHECK(t.zone == DateTime::Zone::utc);

    t = read("2024-01-15T10:00:00.123456789+01:00");
    CHECK(t.zone == DateTime::Zone::offset);
    CHECK(t.offset_minutes == 60);
    t = read("2024-01-15T10:00-05:30");
    CHECK(t.offset_minutes == -330);
    CHECK(read("2024-01-15T23:59:60Z").second == 60); // a leap second
    CHECK(read("2024-01-15T00:00+23:59").offset_minutes == 23 * 60 + 59);
}

TEST_CASE("clock: what a stored date-time may not be") {
    for (const char* s :
         {"2024-01-15T", "2024-01-15 ", "2024-01-15x10:00", "2024-01-15t10:00", "2024-01-15T1:00",
          "2024-01-15T10", "2024-01-15T10:", "2024-01-15T10:0", "2024-01-15T1000",
          "2024-01-15T24:00", "2024-01-15T10:60", "2024-01-15T10:00:61", "2024-01-15T10:00:6",
          "2024-01-15T10:00:00.", "2024-01-15T10:00:00.1234567890", "2024-01-15T10:00:00,5",
          "2024-01-15T10:00.5", "2024-01-15T10:00z", "2024-01-15T10:00:00ZZ",
          "2024-01-15T10:00:00+0100", "2024-01-15T10:00:00+01", "2024-01-15T10:00:00+1:00",
          "2024-01-15T10:00:00+24:00", "2024-01-15T10:00:00+01:60", "2024-01-15T10:00:00+01:00x",
          "2024-01-15T10:00:00 Z", "2024-01-15T10:00:00Q"}) {
        CAPTURE(s);
        CHECK(problem(s) == DateTimeProblem::not_a_time);
    }
    // The date is read before what follows it fails.
    DateTime t;
    REQUIRE(parse_date_time("2024-01-15T99", kStored, t) == DateTimeProblem::not_a_time);
    CHECK(t.date == year_month_day{year{2024}, month{1}, day{15}});
}

TEST_CASE("clock: the forms a typed date-time may take besides") {
    CHECK(read("2024-01-15t10:00z", kTyped).zone == DateTime::Zone::utc);
    CHECK(problem("2024-01-15T10:00:00,5Z", kTyped) == DateTimeProblem::none);
    CHECK(problem("2024-01-15T10:00:00.1234567890123Z", kTyped) == DateTimeProblem::none);
    CHECK(read("2024-01-15T10:00+0530", kTyped).offset_minutes == 330);
    CHECK(read("2024-01-15T10:00-01:00", kTyped).offset_minutes == -60);
    CHECK(problem("2024-01-15T23:59:60Z", kTyped) == DateTimeProblem::not_a_time);
    for (const char* s : {"2024-01-15T10:00+1", "2024-01-15T10:00+01", "2024-01-15T10:00+010",
                          "2024-01-15T10:00+01:0", "2024-01-15T10:00+2400", "2024-01-15T10:00,5Z",
                          "2024-01-15T10:00:00,Z", "2024-01-15T10:00Zjunk"}) {
        CAPTURE(s);
        CHECK(problem(s, kTyped) == DateTimeProblem::not_a_time);
    }
}

TEST_CASE("clock: epoch_seconds and format_utc") {
    CHECK(epoch_seconds(read("1970-01-01")) == 0);
    CHECK(epoch_seconds(read("1970-01-01T00:00:01Z")) == 1);
    CHECK(epoch_seconds(read("1970-01-01T01:00+01:00")) == 0);
    CHECK(epoch_seconds(read("1970-01-01T00:00-00:30")) == 1800);
    CHECK(epoch_seconds(read("2024-01-15T10:00")) == epoch_seconds(read("2024-01-15T10:00Z")));
    CHECK(format_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(format_utc(epoch_seconds(read("2024-12-31T23:00:00-02:00"))) == "2025-01-01T01:00:00Z");
    CHECK(format_utc(epoch_seconds(read("2024-03-01T00:30:00+01:00"))) == "2024-02-29T23:30:00Z");
    CHECK(format_utc(-1) == "1969-12-31T23:59:59Z");
    CHECK(now_utc().size() == 20);
}

} // namespace test_clock
