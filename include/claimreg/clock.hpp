#pragma once
// The wall clock, in the forms the registry uses. Library functions take dates as parameters;
// only the command line asks the clock.

#include <cstddef>
#include <string>
#include <string_view>

#include "claimreg/record.hpp"

namespace claimreg {

/// Today's date in the local time zone.
Date today();
/// Now in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
std::string now_utc();

/// Reads the `n` decimal digits of `s` from `at` into `value` (for the fields of a date or a
/// time); false when `s` is too short or one of them is not a digit.
bool read_digits(std::string_view s, std::size_t at, std::size_t n, int& value);

} // namespace claimreg
