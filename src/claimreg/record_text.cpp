// The text rules of record.hpp: valid UTF-8 without control characters, names (spaces,
// normalisation, mixed scripts) and free text, with their lengths.

#include "claimreg/record.hpp"

#include <cstdint>
#include <cstring>
#include <utility>

#include <unicode/uspoof.h>
#include <utf8proc.h>

#include "record_rules.hpp"
#include "utf8_mapped.hpp"

namespace claimreg {

namespace record_rules {

namespace {

constexpr const char* kBadUtf8 = "not valid UTF-8";
constexpr const char* kControl = "contains a control character";

constexpr bool is_control(utf8proc_int32_t cp) noexcept {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

} // namespace

/// Checks that `s` is valid UTF-8 without control characters; returns whether it is pure ASCII.
/// Throws RuleError otherwise.
bool check_text(std::string_view s) {
    // The common pure-ASCII case, eight bytes at a time (SWAR): a byte with its high bit set
    // sends us to the full UTF-8 check; otherwise look for bytes < 0x20 or == 0x7F.
    constexpr std::uint64_t ones = 0x0101010101010101ULL;
    constexpr std::uint64_t highs = 0x8080808080808080ULL;
    std::uint64_t high = 0;
    std::uint64_t control = 0;
    std::size_t i = 0;
    for (; i + 8 <= s.size(); i += 8) {
        std::uint64_t w;
        std::memcpy(&w, s.data() + i, 8);
        high |= w;
        control |= (w - ones * 0x20) & ~w;                    // a byte < 0x20 (w ASCII)
        const std::uint64_t del = w ^ (ones * 0x7F);
        control |= (del - ones) & ~del;                       // a byte == 0x7F
    }
    for (; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        high |= b;
        control |= static_cast<std::uint64_t>(b < 0x20 || b == 0x7F) << 7;
    }
    if ((high & highs) == 0) {
        if ((control & highs) != 0) throw RuleError(kControl);
        return true;
    }
    const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
    auto left = static_cast<utf8proc_ssize_t>(s.size());
    while (left > 0) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0 || cp < 0) throw RuleError(kBadUtf8);
        if (is_control(cp)) throw RuleError(kControl);
        p += n;
        left -= n;
    }
    return false;
}

/// Code points in valid UTF-8.
std::size_t count_code_points(std::string_view s) noexcept {
    std::size_t n = 0;
    for (char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

std::string too_long(std::size_t max_chars) {
    return "longer than " + std::to_string(max_chars) + " characters";
}

} // namespace record_rules

namespace {

using namespace record_rules;

constexpr const char* kMixedScripts = "mixes letters of different scripts in one word";

/// NFC of valid UTF-8 via utf8proc.
std::string nfc(std::string_view s) {
    const Utf8Mapped mapped(s, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
    if (!mapped.ok()) throw RuleError(kBadUtf8);
    return std::string(mapped.text());
}

/// Whether one word (no spaces) mixes scripts the way a look-alike does: a Cyrillic `а` in a
/// Latin name. ICU's restriction level "highly restrictive" (Unicode TS #39) allows one script,
/// or the combinations Japanese, Chinese and Korean names use with Latin.
bool mixes_scripts(std::string_view word) {
    static USpoofChecker* const checker = [] {
        UErrorCode status = U_ZERO_ERROR;
        USpoofChecker* sc = uspoof_open(&status);
        uspoof_setChecks(sc, USPOOF_RESTRICTION_LEVEL, &status);
        uspoof_setRestrictionLevel(sc, USPOOF_HIGHLY_RESTRICTIVE);
        return U_SUCCESS(status) ? sc : nullptr;
    }();
    if (checker == nullptr) return false;
    UErrorCode status = U_ZERO_ERROR;
    const std::int32_t result = uspoof_check2UTF8(
        checker, word.data(), static_cast<std::int32_t>(word.size()), nullptr, &status);
    return U_SUCCESS(status) && (result & USPOOF_RESTRICTION_LEVEL) != 0;
}

} // namespace

std::string parse_name(std::string_view text, bool optional) {
    constexpr std::size_t max_chars = 100;
    const bool ascii = check_text(text);
    std::string out;
    if (ascii) {
        const std::string_view s = trim_spaces(text);
        if (s.find("  ") == std::string_view::npos) {
            out.assign(s); // nothing to collapse: one copy
        } else {
            out.reserve(s.size());
            bool space = false;
            for (char c : s) {
                if (c == ' ') {
                    space = true;
                    continue;
                }
                if (space) out.push_back(' ');
                space = false;
                out.push_back(c);
            }
        }
    } else {
        // Any Unicode space separator (NBSP included) counts as a space; default-ignorable
        // code points (zero-width spaces and joiners, soft hyphens, a BOM inside the cell) are
        // removed, so that they can never make a second claimant of the same child.
        std::string collapsed;
        collapsed.reserve(text.size());
        const auto* base = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
        const auto size = static_cast<utf8proc_ssize_t>(text.size());
        bool space = false;
        utf8proc_int32_t max_cp = 0;
        utf8proc_int32_t word_max_cp = 0;
        std::size_t word_start = 0;
        const auto end_word = [&] {
            // Below U+0250 every letter is Latin: only a word beyond it can mix scripts.
            if (word_max_cp >= 0x250 &&
                mixes_scripts(std::string_view(collapsed).substr(word_start))) {
                throw RuleError(kMixedScripts);
            }
            word_max_cp = 0;
        };
        for (utf8proc_ssize_t i = 0; i < size;) {
            utf8proc_int32_t cp = 0;
            const utf8proc_ssize_t n = utf8proc_iterate(base + i, size - i, &cp);
            if (cp == ' ' || (cp >= 0x80 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS)) {
                if (!space && !collapsed.empty()) end_word();
                space = !collapsed.empty();
            } else if (cp >= 0x80 && utf8proc_get_property(cp)->ignorable) {
                // dropped
            } else {
                if (space) collapsed.push_back(' ');
                if (space || collapsed.empty()) word_start = collapsed.size();
                space = false;
                collapsed.append(text.data() + i, static_cast<std::size_t>(n));
                if (cp > max_cp) max_cp = cp;
                if (cp > word_max_cp) word_max_cp = cp;
            }
            i += n;
        }
        if (!space) end_word();
        // Text made only of code points below U+0300 (Latin-1 and Latin Extended, the names
        // seen in practice) is already NFC: no combining marks and no composition exclusions.
        out = max_cp < 0x300 ? std::move(collapsed) : nfc(collapsed);
    }
    if (out.empty() && !optional) throw RuleError(record_rules::required);
    if ((ascii ? out.size() : count_code_points(out)) > max_chars) throw RuleError(too_long(max_chars));
    return out;
}

std::string parse_text(std::string_view text, std::size_t max_chars) {
    const bool ascii = check_text(text);
    const std::string_view s = trim_spaces(text);
    if ((ascii ? s.size() : count_code_points(s)) > max_chars) throw RuleError(too_long(max_chars));
    return std::string(s);
}

} // namespace claimreg
