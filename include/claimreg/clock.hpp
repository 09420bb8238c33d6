#pragma once
// The wall clock, in the forms the registry uses. Library functions take dates as parameters;
// only the command line asks the clock.

#include <string>

#include "claimreg/record.hpp"

namespace claimreg {

/// Today's date in the local time zone.
Date today();
/// Now in UTC as `YYYY-MM-DDTHH:MM:SSZ`.
std::string now_utc();

} // namespace claimreg
