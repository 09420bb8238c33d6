#pragma once
// ASCII text helpers, one copy each: case folding, comparison, trimming and character classes
// of the bytes that the file formats and the field rules treat specially.

#include <cstddef>
#include <string>
#include <string_view>

namespace claimreg {

constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_ascii_hex_digit(char c) noexcept {
    return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_ascii_alpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
/// Space, tab, CR or LF.
constexpr bool is_ascii_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// One or more ASCII digits, and nothing else.
constexpr bool all_ascii_digits(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_ascii_digit(c)) return false;
    return true;
}

/// Equal but for ASCII letter case.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}

/// `s` with its ASCII letters in lower case.
inline std::string to_ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_lower(c);
    return out;
}
/// `s` in lower-case ASCII with its spaces and hyphens dropped: house numbers, postcodes and
/// e-mail addresses as compared.
inline std::string fold_ascii(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == ' ' || c == '-') continue;
        out.push_back(ascii_lower(c));
    }
    return out;
}
/// `s` with its ASCII letters in upper case.
inline std::string to_ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = ascii_upper(c);
    return out;
}

/// Without ASCII white space (space, tab, CR, LF) on either side.
constexpr std::string_view trim_ascii_space(std::string_view s) noexcept {
    while (!s.empty() && is_ascii_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ascii_space(s.back())) s.remove_suffix(1);
    return s;
}

} // namespace claimreg
