#pragma once
// Small output helpers shared by the subcommands.

#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/files.hpp"

namespace claimreg::cli {

/// Prints a notice on stderr (`claimreg: ...`) unless quiet.
template <typename... Args>
void notice(bool quiet, fmt::format_string<Args...> format, Args&&... args) {
    if (quiet) return;
    fmt::print(stderr, "claimreg: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

/// Parses a --delimiter value: `,` `;` `tab` (or a tab character), `comma`, `semicolon`.
/// Throws UsageError otherwise (naming the option, not the value).
char parse_delimiter(std::string_view text);

/// Runs `parse(text)` for the option `option`; a claimreg::Error it throws (whose message never
/// holds the value) becomes a UsageError that names the option: `--rules: unknown rule set ...`.
template <typename Parse>
decltype(auto) parse_option(std::string_view option, std::string_view text, Parse parse) {
    try {
        return parse(text);
    } catch (const Error& e) {
        throw UsageError(fmt::format("{}: {}", option, e.what()));
    }
}

/// Runs `open`, which opens the output file of the option `option`; a path it refuses as one of
/// the guarded files becomes a UsageError that names the option: `--rejects is the input file`.
template <typename Open>
decltype(auto) open_output(std::string_view option, Open open) {
    try {
        return open();
    } catch (const GuardedFileError& e) {
        throw UsageError(fmt::format("{} is {}", option, e.file()));
    }
}

/// Accepts a claimant id: a positive whole number. Its message never holds the value.
CLI::Validator claimant_id_validator();

/// Accepts a number of milliseconds: a whole number from 0. Its message never holds the value.
CLI::Validator milliseconds_validator();

/// Accepts a count: a whole number from 1. Its message never holds the value.
CLI::Validator count_validator();

/// Field name as a command-line option: `child_first_name` -> `--child-first-name`.
std::string option_name(std::string_view field);

} // namespace claimreg::cli
