#include <algorithm>
#include <array>
#include <string>

#include "claimreg/duplicates.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/similarity.hpp"
#include "claimreg/text.hpp"
#include "duplicates_parts.hpp"

namespace claimreg {

using namespace duplicate_parts;

std::string_view to_string(Level level) {
    switch (level) {
    case Level::exact: return "exact";
    case Level::variant: return "variant";
    case Level::typo: return "typo";
    case Level::swapped: return "swapped";
    case Level::different: return "different";
    case Level::missing: return "missing";
    }
    return "missing";
}

std::string_view compared_name(Compared field) {
    switch (field) {
    case Compared::child_first_name: return "child_first_name";
    case Compared::child_last_name: return "child_last_name";
    case Compared::child_birth_date: return "child_birth_date";
    case Compared::postcode: return "postcode";
    case Compared::house_number: return "house_number";
    case Compared::registrant_email: return "registrant_email";
    case Compared::registrant_phone: return "registrant_phone";
    }
    return "";
}

namespace duplicate_parts {

// ---- comparing values ---------------------------------------------------------------------

/// Whether two folded names are one typo apart (see Level::typo).
bool names_typo(std::string_view a, std::string_view b) {
    if (a.empty() || b.empty()) return false;
    const std::size_t longer = std::max(a.size(), b.size());
    const std::size_t allowed = longer >= 8 ? 2 : 1;
    if (osa_distance(a, b, allowed) <= allowed && std::min(a.size(), b.size()) >= 3) return true;
    return longer >= 5 && jaro_winkler(a, b) >= 0.92;
}

namespace {

/// Whether two strings of equal length differ in one position or in two adjacent swapped ones.
bool one_char_apart(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    std::size_t first = a.size(), count = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == b[i]) continue;
        if (count++ == 0) first = i;
    }
    if (count == 1) return true;
    return count == 2 && first + 1 < a.size() && a[first] == b[first + 1] &&
           a[first + 1] == b[first] && true;
}

} // namespace

std::uint64_t hash_text(std::string_view s) {
    if (s.empty()) return 0;
    const auto h = static_cast<std::uint64_t>(identity_digest(s));
    return h == 0 ? 1 : h;
}

std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// A blocking key of some parts: never 0 (0 means "not in this block").
std::uint64_t key_of(std::uint64_t kind, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    std::uint64_t h = mix64(kind * 0x9E3779B97F4A7C15ULL + a);
    h = mix64(h ^ (b + 0x632BE59BD9B4E019ULL));
    h = mix64(h ^ (c + 0x85EBCA77C2B2AE63ULL));
    return h == 0 ? 1 : h;
}

namespace {

char phonetic_class(char c) {
    switch (c) {
    case 'c': case 'k': case 'q': return 'k';
    case 's': case 'z': case 'x': return 's';
    case 'f': case 'v': case 'w': return 'f';
    case 'd': case 't': return 't';
    case 'b': case 'p': return 'p';
    case 'g': return 'g';
    case 'l': return 'l';
    case 'm': case 'n': return 'n';
    case 'r': return 'r';
    default: return 0; // vowels, h, j, y, and anything not a Latin letter
    }
}

} // namespace

} // namespace duplicate_parts

std::string phonetic_code(std::string_view folded) {
    std::string code;
    if (folded.empty()) return code;
    code.push_back(folded[0]);
    char last = phonetic_class(folded[0]);
    for (std::size_t i = 1; i < folded.size() && code.size() < 4; ++i) {
        char c = phonetic_class(folded[i]);
        if (folded[i] == 'h' && folded[i - 1] == 'c') c = 'g'; // ch sounds like g
        if (c == 0) {
            last = 0;
            continue;
        }
        if (c == last) continue;
        if (c == 'g' && code.back() == 'k' && folded[i - 1] == 'c') code.pop_back();
        code.push_back(c);
        last = c;
    }
    return code;
}

namespace duplicate_parts {

namespace {

Level family_level(std::string_view raw_a, std::string_view raw_b, std::string_view whole_a,
                   std::string_view whole_b, std::string_view last_a, std::string_view last_b,
                   bool* prefix_level) {
    *prefix_level = false;
    if (whole_a == whole_b) return raw_a == raw_b ? Level::exact : Level::variant;
    // A prefix dropped, or typed into the last name: the last names agree without it.
    if (last_a == last_b || whole_a == last_b || last_a == whole_b) {
        *prefix_level = true;
        return Level::variant;
    }
    if (names_typo(whole_a, whole_b) || names_typo(last_a, last_b)) return Level::typo;
    return Level::different;
}

} // namespace

Level date_level(int ya, int ma, int da, int yb, int mb, int db) {
    if (ya == yb && ma == mb && da == db) return Level::exact;
    if (ya == yb && ma == db && da == mb) return Level::swapped;
    const auto digits = [](int y, int m, int d) {
        std::array<char, 8> s{};
        const std::array<int, 3> parts = {y, m, d};
        const std::array<int, 3> widths = {4, 2, 2};
        std::size_t at = 8;
        for (std::size_t p = 3; p-- > 0;) {
            int v = parts[p] < 0 ? 0 : parts[p];
            for (int i = 0; i < widths[p]; ++i) {
                s[--at] = static_cast<char>('0' + v % 10);
                v /= 10;
            }
        }
        return s;
    };
    const auto sa = digits(ya, ma, da), sb = digits(yb, mb, db);
    return one_char_apart(std::string_view(sa.data(), 8), std::string_view(sb.data(), 8)) ? Level::typo : Level::different;
}

std::string postcode_compact(std::string_view p) {
    std::string out;
    for (char c : p)
        if (c != ' ') out.push_back(ascii_upper(c));
    return out;
}

Level postcode_level(std::string_view a, std::string_view b) {
    if (a.empty() || b.empty()) return Level::missing;
    if (a == b) return Level::exact;
    return one_char_apart(a, b) ? Level::typo : Level::different;
}

Level house_level(std::string_view raw_a, std::string_view raw_b, std::string_view fa,
                  std::string_view fb) {
    if (raw_a.empty() || raw_b.empty()) return Level::missing;
    if (raw_a == raw_b) return Level::exact;
    if (fa == fb) return Level::variant;
    return osa_distance(fa, fb, 1) <= 1 ? Level::typo : Level::different;
}

} // namespace duplicate_parts

Level compare_names(std::string_view a, std::string_view b) {
    if (a == b) return Level::exact;
    const std::string fa = fold_name(a), fb = fold_name(b);
    if (fa == fb) return Level::variant;
    return names_typo(fa, fb) ? Level::typo : Level::different;
}

Level compare_family_names(std::string_view prefix_a, std::string_view last_a,
                           std::string_view prefix_b, std::string_view last_b) {
    const std::string raw_a = std::string(prefix_a) + "|" + std::string(last_a);
    const std::string raw_b = std::string(prefix_b) + "|" + std::string(last_b);
    const std::string la = fold_name(last_a), lb = fold_name(last_b);
    const std::string wa = fold_name(prefix_a) + la, wb = fold_name(prefix_b) + lb;
    bool prefix = false;
    return family_level(raw_a, raw_b, wa, wb, la, lb, &prefix);
}

Level compare_birth_dates(Date a, Date b) {
    return date_level(int(a.year()), int(unsigned(a.month())), int(unsigned(a.day())),
                      int(b.year()), int(unsigned(b.month())), int(unsigned(b.day())));
}

Level compare_postcodes(std::string_view a, std::string_view b) {
    return postcode_level(postcode_compact(a), postcode_compact(b));
}

Level compare_house_numbers(std::string_view a, std::string_view b) {
    return house_level(a, b, fold_ascii(a), fold_ascii(b));
}


} // namespace claimreg
