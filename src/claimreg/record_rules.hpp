#pragma once
// What the field rules of record.hpp share across their files: the rule texts that more than
// one of them throws, and the checks of free text. Private to the library.

#include <cstddef>
#include <string>
#include <string_view>

#include "claimreg/text.hpp"

namespace claimreg::record_rules {

// Rule texts. Short, stable, and never containing the value.
inline constexpr const char* required = "required";
inline constexpr const char* in_future = "in the future";
inline constexpr const char* postcode_required_nl = "required for country NL";

/// Without ASCII spaces on either side (tabs and newlines are control characters, rejected by
/// check_text).
constexpr std::string_view trim_spaces(std::string_view s) noexcept {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    return s;
}

/// Checks that `s` is valid UTF-8 without control characters; returns whether it is pure ASCII.
/// Throws RuleError otherwise.
bool check_text(std::string_view s);

/// Code points in valid UTF-8.
std::size_t count_code_points(std::string_view s) noexcept;

/// The rule of a value over `max_chars` characters.
std::string too_long(std::size_t max_chars);

} // namespace claimreg::record_rules
