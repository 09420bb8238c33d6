#pragma once
// Minimal JSON text helpers for machine-readable output.

#include <string>
#include <string_view>

namespace claimreg {

/// Appends `text` to `out` as a JSON string literal (quotes included, control characters escaped).
void append_json_string(std::string& out, std::string_view text);
/// `text` as a JSON string literal.
std::string json_string(std::string_view text);

} // namespace claimreg
