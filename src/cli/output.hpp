#pragma once
// Small output helpers shared by the subcommands.

#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace claimreg::cli {

/// Prints a notice on stderr (`claimreg: ...`) unless quiet.
template <typename... Args>
void notice(bool quiet, fmt::format_string<Args...> format, Args&&... args) {
    if (quiet) return;
    fmt::print(stderr, "claimreg: {}\n", fmt::format(format, std::forward<Args>(args)...));
}

/// Parses a --delimiter value: `,` `;` `tab` (or a tab character), `comma`, `semicolon`.
/// Throws UsageError otherwise.
char parse_delimiter(std::string_view text);

/// Accepts a claimant id: a positive whole number.
CLI::Validator claimant_id_validator();

/// Field name as a command-line option: `child_first_name` -> `--child-first-name`.
std::string option_name(std::string_view field);

} // namespace claimreg::cli
