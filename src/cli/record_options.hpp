#pragma once
// The record fields as command-line options (`--child-first-name` ...), shared by `add` and
// the ad-hoc mode of `check-eligibility`.

#include <array>
#include <initializer_list>
#include <string>

#include <CLI/CLI.hpp>

#include "claimreg/record.hpp"

namespace claimreg::cli {

/// Option values by field; an empty string is an option not given.
using RecordOptionValues = std::array<std::string, field_count>;

/// Adds an option for each of `fields` (not consent) to `cmd`, storing into `values`;
/// `required` fields are marked required. Options are grouped under `group`.
void add_record_options(CLI::App& cmd, RecordOptionValues& values,
                        std::initializer_list<Field> fields,
                        std::initializer_list<Field> required, const std::string& group);

/// Views of `values` as a RawRecord for parse_registration().
RawRecord raw_record(const RecordOptionValues& values);

/// Rethrows a FieldError as a DataError naming the option (`--child-birth-date: ...`).
[[noreturn]] void rethrow_as_option_error(const FieldError& e);

} // namespace claimreg::cli
