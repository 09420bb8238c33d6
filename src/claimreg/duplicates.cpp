#include "claimreg/duplicates.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/similarity.hpp"

namespace claimreg {

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

double DuplicateModel::weight(Compared field, Level level) const {
    if (level == Level::missing) return 0.0;
    const auto f = static_cast<std::size_t>(field);
    const auto l = static_cast<std::size_t>(level);
    return std::log2(m[f][l] / u[f][l]);
}

std::string format_score(double score) { return fmt::format("{:.{}f}", score, score_decimals); }

namespace {

// ---- comparing values ---------------------------------------------------------------------

/// Whether two folded names are one typo apart (see Level::typo).
bool names_typo(std::string_view a, std::string_view b) {
    if (a.empty() || b.empty()) return false;
    const std::size_t longer = std::max(a.size(), b.size());
    const std::size_t allowed = longer >= 8 ? 2 : 1;
    if (osa_distance(a, b, allowed) <= allowed && std::min(a.size(), b.size()) >= 3) return true;
    return longer >= 5 && jaro_winkler(a, b) >= 0.92;
}

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

/// Lower-case ASCII, spaces and hyphens dropped (house numbers, e-mail addresses).
std::string fold_ascii(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == ' ' || c == '-') continue;
        out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
}

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
std::uint64_t key_of(std::uint64_t kind, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0) {
    std::uint64_t h = mix64(kind * 0x9E3779B97F4A7C15ULL + a);
    h = mix64(h ^ (b + 0x632BE59BD9B4E019ULL));
    h = mix64(h ^ (c + 0x85EBCA77C2B2AE63ULL));
    return h == 0 ? 1 : h;
}

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

namespace {

/// Folded family name parts: prefix and last name, folded separately.
struct FamilyName {
    std::string prefix, last;
    std::string whole() const { return prefix + last; }
};

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
        if (c != ' ') out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
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

} // namespace

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

namespace {

// ---- the claimants in memory --------------------------------------------------------------

/// Blocking keys (see the top of duplicates.hpp): the first scoring_keys propose pairs; the
/// last (both names alone) only trains the model.
constexpr std::size_t key_count = 8;
constexpr std::size_t scoring_keys = 7;
constexpr std::size_t names_key = 7;

/// One active claimant, compact. Strings live in the Claimants arena.
struct Claimant {
    std::int64_t id = 0;
    std::array<std::uint64_t, key_count> keys{};
    std::uint64_t email = 0, email_folded = 0, phone = 0;
    std::uint32_t first = 0, whole = 0, house = 0, house_folded = 0, postcode = 0; // offsets
    std::uint32_t first_raw = 0, family_raw = 0, house_raw = 0; // hashes of the text as stored
    std::uint32_t first_count = 0, whole_count = 0, last_count = 0; // name frequencies
    std::uint32_t email_count = 0; // claimants sharing the registrant's e-mail address
    std::uint16_t year = 0;
    std::uint8_t month = 0, day = 0;
    std::uint8_t first_len = 0, whole_len = 0, prefix_len = 0, house_len = 0, house_folded_len = 0,
                 postcode_len = 0;
    bool recent = false;
};

struct Claimants {
    std::vector<Claimant> rows;
    std::string arena;

    std::string_view text(std::uint32_t offset, std::uint8_t len) const {
        return std::string_view(arena).substr(offset, len);
    }
    std::string_view first(const Claimant& c) const { return text(c.first, c.first_len); }
    std::string_view whole(const Claimant& c) const { return text(c.whole, c.whole_len); }
    std::string_view last(const Claimant& c) const {
        return whole(c).substr(c.prefix_len);
    }
    std::string_view house(const Claimant& c) const { return text(c.house, c.house_len); }
    std::string_view house_folded(const Claimant& c) const {
        return text(c.house_folded, c.house_folded_len);
    }
    std::string_view postcode(const Claimant& c) const { return text(c.postcode, c.postcode_len); }

    std::uint32_t put(std::string_view s, std::uint8_t& len) {
        const auto offset = static_cast<std::uint32_t>(arena.size());
        const std::size_t n = std::min<std::size_t>(s.size(), 255);
        arena.append(s.substr(0, n));
        len = static_cast<std::uint8_t>(n);
        return offset;
    }
};

std::uint32_t hash32(std::string_view s) {
    return static_cast<std::uint32_t>(hash_text(s) >> 32);
}

int parse_int(std::string_view s, std::size_t from, std::size_t len) {
    int v = 0;
    for (std::size_t i = from; i < from + len && i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

void compute_keys(const Claimants& all, Claimant& c) {
    const std::string_view first = all.first(c), last = all.last(c);
    const std::uint64_t date = (std::uint64_t{c.year} << 16) | (std::uint64_t{c.month} << 8) | c.day;
    const std::string pf = phonetic_code(first), pl = phonetic_code(last);
    const std::uint64_t digits = c.postcode_len >= 4 ? hash_text(all.postcode(c).substr(0, 4)) : 0;
    c.keys[0] = c.email_folded == 0 ? 0 : key_of(1, c.email_folded);
    c.keys[1] = key_of(2, date, hash_text(pf));
    c.keys[2] = key_of(3, date, hash_text(pl));
    c.keys[3] = digits == 0 || first.empty()
                    ? 0
                    : key_of(4, c.year, digits, static_cast<unsigned char>(first[0]));
    c.keys[4] = digits == 0 || last.empty()
                    ? 0
                    : key_of(5, c.year, digits, static_cast<unsigned char>(last[0]));
    c.keys[5] = key_of(6, hash_text(first), hash_text(last), c.year);
    c.keys[6] = c.postcode_len == 0 || c.house_folded_len == 0
                    ? 0
                    : key_of(7, hash_text(all.postcode(c)), hash_text(all.house_folded(c)));
    c.keys[names_key] = key_of(8, hash_text(first), hash_text(last));
}

Claimants load(Registry& registry, const std::string& since) {
    Claimants all;
    SQLite::Statement count(registry.db(), "SELECT count(*) FROM claimants WHERE state = 'active'");
    count.executeStep();
    const auto n = static_cast<std::size_t>(count.getColumn(0).getInt64());
    all.rows.reserve(n);
    all.arena.reserve(n * 40);
    SQLite::Statement q(registry.db(),
                        "SELECT id, child_first_name, child_name_prefix, child_last_name, "
                        "child_birth_date, postcode, house_number, registrant_email, "
                        "registrant_phone, changed_at >= ?1 "
                        "FROM claimants WHERE state = 'active' ORDER BY id");
    q.bind(1, since);
    std::string whole;
    while (q.executeStep()) {
        Claimant c;
        c.id = q.getColumn(0).getInt64();
        const std::string_view first_raw(q.getColumn(1).getText(),
                                         static_cast<std::size_t>(q.getColumn(1).getBytes()));
        const std::string_view prefix_raw(q.getColumn(2).getText(),
                                          static_cast<std::size_t>(q.getColumn(2).getBytes()));
        const std::string_view last_raw(q.getColumn(3).getText(),
                                        static_cast<std::size_t>(q.getColumn(3).getBytes()));
        const std::string first = fold_name(first_raw);
        const std::string prefix = fold_name(prefix_raw);
        whole = prefix + fold_name(last_raw);
        c.first = all.put(first, c.first_len);
        c.whole = all.put(whole, c.whole_len);
        c.prefix_len = static_cast<std::uint8_t>(std::min<std::size_t>(prefix.size(), c.whole_len));
        c.first_raw = hash32(first_raw);
        c.family_raw = hash32(std::string(prefix_raw) + "|" + std::string(last_raw));
        const std::string birth = q.getColumn(4).getString();
        c.year = static_cast<std::uint16_t>(parse_int(birth, 0, 4));
        c.month = static_cast<std::uint8_t>(parse_int(birth, 5, 2));
        c.day = static_cast<std::uint8_t>(parse_int(birth, 8, 2));
        c.postcode = all.put(postcode_compact(q.getColumn(5).getString()), c.postcode_len);
        const std::string house = q.getColumn(6).getString();
        c.house = all.put(house, c.house_len);
        c.house_folded = all.put(fold_ascii(house), c.house_folded_len);
        const std::string email = q.getColumn(7).getString();
        c.email = hash_text(email);
        c.email_folded = hash_text(fold_ascii(email));
        c.phone = hash_text(q.getColumn(8).getString());
        c.recent = since.empty() || q.getColumn(9).getInt64() != 0;
        all.rows.push_back(c);
    }
    // Name frequencies, then the blocking keys.
    std::unordered_map<std::string_view, std::uint32_t> firsts, wholes, lasts;
    firsts.reserve(all.rows.size() / 8);
    wholes.reserve(all.rows.size() / 8);
    lasts.reserve(all.rows.size() / 8);
    for (const Claimant& c : all.rows) {
        ++firsts[all.first(c)];
        ++wholes[all.whole(c)];
        ++lasts[all.last(c)];
    }
    // Claimants per e-mail address: runs of equal hashes, sorted.
    {
        std::vector<std::pair<std::uint64_t, std::uint32_t>> emails;
        emails.reserve(all.rows.size());
        for (std::size_t i = 0; i < all.rows.size(); ++i)
            emails.emplace_back(all.rows[i].email, static_cast<std::uint32_t>(i));
        std::sort(emails.begin(), emails.end());
        for (std::size_t i = 0; i < emails.size();) {
            std::size_t j = i + 1;
            while (j < emails.size() && emails[j].first == emails[i].first) ++j;
            for (std::size_t k = i; k < j; ++k)
                all.rows[emails[k].second].email_count = static_cast<std::uint32_t>(j - i);
            i = j;
        }
    }
    for (Claimant& c : all.rows) {
        c.first_count = firsts[all.first(c)];
        c.whole_count = wholes[all.whole(c)];
        c.last_count = lasts[all.last(c)];
        compute_keys(all, c);
    }
    return all;
}

// ---- comparing two claimants ---------------------------------------------------------------

/// Levels, with the family name's prefix level (a dropped or moved prefix) kept apart: it is
/// printed as `variant` but weighed on its own.
struct Comparison {
    Levels levels{};
    bool prefix = false;
};

/// Internal level index of the family name's prefix level.
constexpr std::size_t prefix_slot = level_count;
constexpr std::size_t slots = level_count + 1;

Comparison compare(const Claimants& all, const Claimant& a, const Claimant& b) {
    Comparison r;
    Levels& l = r.levels;
    const std::string_view fa = all.first(a), fb = all.first(b);
    const std::string_view wa = all.whole(a), wb = all.whole(b);
    const std::string_view la = all.last(a), lb = all.last(b);

    if (fa == fb) l[0] = a.first_raw == b.first_raw ? Level::exact : Level::variant;
    else if ((fa == lb || fa == wb) && (la == fb || wa == fb)) l[0] = Level::swapped;
    else l[0] = names_typo(fa, fb) ? Level::typo : Level::different;

    if (l[0] == Level::swapped) {
        l[1] = Level::swapped;
    } else if (wa == wb) {
        l[1] = a.family_raw == b.family_raw ? Level::exact : Level::variant;
    } else if (la == lb || wa == lb || la == wb) {
        l[1] = Level::variant;
        r.prefix = true;
    } else {
        l[1] = names_typo(wa, wb) || names_typo(la, lb) ? Level::typo : Level::different;
    }

    l[2] = date_level(a.year, a.month, a.day, b.year, b.month, b.day);
    l[3] = postcode_level(all.postcode(a), all.postcode(b));
    l[4] = house_level(all.house(a), all.house(b), all.house_folded(a), all.house_folded(b));
    l[5] = a.email == b.email               ? Level::exact
           : a.email_folded == b.email_folded ? Level::variant
                                              : Level::different;
    l[6] = a.phone == 0 || b.phone == 0 ? Level::missing
           : a.phone == b.phone         ? Level::exact
                                        : Level::different;
    return r;
}

/// The registrant is weighed as one field, e-mail and phone together (a parent's second
/// registration keeps both; an e-mail shared with another phone is someone else's slip), in
/// the slots of registrant_email: exact (both agree), variant (the e-mail agrees, a phone is
/// missing), typo (the e-mail agrees, the phones differ), swapped (only the phones agree),
/// different (nothing agrees). registrant_phone itself then weighs nothing.
std::size_t registrant_slot(const Levels& l) {
    const bool email = l[5] == Level::exact || l[5] == Level::variant;
    if (email) {
        if (l[6] == Level::exact) return static_cast<std::size_t>(Level::exact);
        return static_cast<std::size_t>(l[6] == Level::missing ? Level::variant : Level::typo);
    }
    return static_cast<std::size_t>(l[6] == Level::exact ? Level::swapped : Level::different);
}

std::size_t slot_of(const Comparison& c, std::size_t field) {
    if (field == 1 && c.prefix) return prefix_slot;
    if (field == 5) return registrant_slot(c.levels);
    if (field == 6) return static_cast<std::size_t>(Level::missing);
    return static_cast<std::size_t>(c.levels[field]);
}

/// A comparison pattern as one number (base `slots`).
std::uint32_t pattern_of(const Comparison& c) {
    std::uint32_t p = 0;
    for (std::size_t f = 0; f < compared_count; ++f)
        p = p * static_cast<std::uint32_t>(slots) + static_cast<std::uint32_t>(slot_of(c, f));
    return p;
}

constexpr std::uint32_t pattern_space = [] {
    std::uint32_t n = 1;
    for (std::size_t f = 0; f < compared_count; ++f) n *= static_cast<std::uint32_t>(slots);
    return n;
}();

// ---- the model -------------------------------------------------------------------------------

using Table = std::array<std::array<double, slots>, compared_count>;

struct Model {
    Table m{}, u{};
    double prior = 0;
    Table weight{};
    double prior_weight = 0;
    double established = 2; ///< a first name borne by this many claimants is established
    std::uint64_t claimants = 0;

    void finish() {
        for (std::size_t f = 0; f < compared_count; ++f)
            for (std::size_t s = 0; s < slots; ++s)
                weight[f][s] = s == static_cast<std::size_t>(Level::missing)
                                   ? 0.0
                                   : std::log2(m[f][s] / u[f][s]);
        prior_weight = std::log2(prior / (1.0 - prior));
    }
};

/// The starting m of EM and its prior: what a duplicate typically looks like.
Table initial_m() {
    Table m{};
    const std::array<double, slots> names = {0.85, 0.05, 0.06, 0.01, 0.02, 1.0, 0.01};
    const std::array<double, slots> date = {0.90, 0.0, 0.05, 0.02, 0.03, 1.0, 0.0};
    const std::array<double, slots> place = {0.80, 0.02, 0.03, 0.0, 0.15, 1.0, 0.0};
    const std::array<double, slots> contact = {0.30, 0.25, 0.02, 0.03, 0.40, 1.0, 0.0};
    m[0] = names;
    m[1] = names;
    m[2] = date;
    m[3] = place;
    m[4] = place;
    m[5] = contact;
    m[6] = contact;
    return m;
}

/// The levels each field can take (others keep probability 0).
bool possible(std::size_t field, std::size_t slot) {
    if (slot == static_cast<std::size_t>(Level::missing)) return false;
    const auto level = static_cast<Level>(slot < level_count ? slot : 1);
    switch (field) {
    case 0: return slot != prefix_slot;
    case 1: return true;
    case 2: return level != Level::variant && slot != prefix_slot;
    case 3: return level != Level::variant && level != Level::swapped && slot != prefix_slot;
    case 4: return level != Level::swapped && slot != prefix_slot;
    case 5: return slot != prefix_slot; // the registrant (registrant_slot)
    default: return false;              // the phone: weighed with the e-mail
    }
}

/// u from random pairs: all pairs of a small registry, else `samples` pseudo-random ones
/// (a fixed sequence: the same registry gives the same weights). Laplace-smoothed.
Table measure_u(const Claimants& all, std::uint64_t samples) {
    std::array<std::array<double, slots>, compared_count> counts{};
    const std::size_t n = all.rows.size();
    const auto add = [&](std::size_t i, std::size_t j) {
        const Comparison c = compare(all, all.rows[i], all.rows[j]);
        for (std::size_t f = 0; f < compared_count; ++f) counts[f][slot_of(c, f)] += 1;
    };
    if (n >= 2 && static_cast<double>(n) * static_cast<double>(n - 1) / 2 <= double(samples)) {
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = i + 1; j < n; ++j) add(i, j);
    } else if (n >= 2) {
        std::uint64_t state = 0x5DEECE66DULL;
        for (std::uint64_t k = 0; k < samples; ++k) {
            state = mix64(state + 0x9E3779B97F4A7C15ULL);
            const std::size_t i = static_cast<std::size_t>(state % n);
            const std::size_t j = static_cast<std::size_t>((state >> 32) % n);
            if (i != j) add(std::min(i, j), std::max(i, j));
        }
    }
    Table u{};
    for (std::size_t f = 0; f < compared_count; ++f) {
        double total = 0;
        std::size_t levels = 0;
        for (std::size_t s = 0; s < slots; ++s)
            if (possible(f, s)) {
                total += counts[f][s];
                ++levels;
            }
        for (std::size_t s = 0; s < slots; ++s)
            u[f][s] = possible(f, s) ? (counts[f][s] + 1.0) / (total + double(levels)) : 1.0;
    }
    return u;
}

/// EM over the pattern counts of the pairs of one blocking key (Splink's way): u stays the
/// random pairs' (the non-matches of a block agree on the fields outside its key about as often
/// as random pairs do), the fields the key constrains (`excluded`, a bit per field) are left
/// out, and m of the others is estimated with the match share among the key's pairs.
/// `prior_pairs`: the weight of the starting m as pseudo-counts (stability on small registries).
std::pair<Table, double> estimate_m(const std::vector<std::pair<std::uint32_t, double>>& patterns,
                                    const Table& u, unsigned excluded, double prior_pairs) {
    const Table m0 = initial_m();
    Table m = m0;
    double share = 0.01;
    std::vector<std::array<std::uint8_t, compared_count>> decoded(patterns.size());
    for (std::size_t k = 0; k < patterns.size(); ++k) {
        std::uint32_t p = patterns[k].first;
        for (std::size_t f = compared_count; f-- > 0;) {
            decoded[k][f] = static_cast<std::uint8_t>(p % slots);
            p /= static_cast<std::uint32_t>(slots);
        }
    }
    const auto used = [&](std::size_t f) { return (excluded >> f & 1u) == 0; };
    for (int iteration = 0; iteration < 50; ++iteration) {
        Table mc{};
        double matches = 0, total = 0;
        for (std::size_t k = 0; k < patterns.size(); ++k) {
            double pm = share, pu = 1.0 - share;
            for (std::size_t f = 0; f < compared_count; ++f) {
                const std::size_t s = decoded[k][f];
                if (!used(f) || s == static_cast<std::size_t>(Level::missing)) continue;
                pm *= m[f][s];
                pu *= u[f][s];
            }
            const double p = pm + pu > 0 ? pm / (pm + pu) : 0.0;
            const double count = patterns[k].second;
            matches += p * count;
            total += count;
            for (std::size_t f = 0; f < compared_count; ++f) mc[f][decoded[k][f]] += p * count;
        }
        if (total == 0) break;
        share = std::clamp(matches / total, 1e-9, 0.999);
        for (std::size_t f = 0; f < compared_count; ++f) {
            if (!used(f)) continue;
            double mt = 0;
            for (std::size_t s = 0; s < slots; ++s)
                if (possible(f, s)) mt += mc[f][s] + prior_pairs * m0[f][s];
            for (std::size_t s = 0; s < slots; ++s)
                if (possible(f, s)) m[f][s] = std::max((mc[f][s] + prior_pairs * m0[f][s]) / mt, 1e-6);
        }
    }
    return {m, share};
}

/// The highest m of level `different` for the child's names and birth date (see its use).
constexpr double max_m_different = 0.05;

/// The keys whose pairs train the model, and the fields each constrains (bits by Compared).
struct Session {
    std::size_t key;
    unsigned excluded;
};
constexpr std::array<Session, 3> sessions = {{
    {1, 1u << 0 | 1u << 2}, // birth date + phonetic first name: m of the others
    {2, 1u << 1 | 1u << 2}, // birth date + phonetic family name
    {names_key, 1u << 0 | 1u << 1}, // first and family name
}};

// ---- blocks ----------------------------------------------------------------------------------

/// The records of one blocking key, sorted by key (then by index, i.e. by id).
struct Blocks {
    std::vector<std::pair<std::uint64_t, std::uint32_t>> entries;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges; ///< [begin, end) of blocks of 2+
};

Blocks make_blocks(const Claimants& all, std::size_t key) {
    Blocks b;
    b.entries.reserve(all.rows.size());
    for (std::size_t i = 0; i < all.rows.size(); ++i)
        if (all.rows[i].keys[key] != 0)
            b.entries.emplace_back(all.rows[i].keys[key], static_cast<std::uint32_t>(i));
    std::sort(b.entries.begin(), b.entries.end());
    for (std::size_t i = 0; i < b.entries.size();) {
        std::size_t j = i + 1;
        while (j < b.entries.size() && b.entries[j].first == b.entries[i].first) ++j;
        if (j - i >= 2)
            b.ranges.emplace_back(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
        i = j;
    }
    return b;
}

/// Calls visit(i, j) for each pair of a block (with `dedup`: that this key is the first to
/// propose; with `only_recent`: with a recent claimant).
template <typename Visit>
void for_each_pair(const Claimants& all, const Blocks& b, std::size_t key,
                   std::pair<std::uint32_t, std::uint32_t> range, const DuplicateOptions& options,
                   bool only_recent, bool dedup, Visit&& visit) {
    const std::size_t size = range.second - range.first;
    const std::size_t window = size > options.max_block ? options.block_window : size;
    if (only_recent) {
        bool any = false;
        for (std::uint32_t k = range.first; k < range.second && !any; ++k)
            any = all.rows[b.entries[k].second].recent;
        if (!any) return;
    }
    for (std::uint32_t x = range.first; x < range.second; ++x) {
        const std::uint32_t i = b.entries[x].second;
        const Claimant& ci = all.rows[i];
        const std::uint32_t end =
            static_cast<std::uint32_t>(std::min<std::size_t>(range.second, x + 1 + window));
        for (std::uint32_t y = x + 1; y < end; ++y) {
            const std::uint32_t j = b.entries[y].second;
            const Claimant& cj = all.rows[j];
            if (only_recent && !ci.recent && !cj.recent) continue;
            bool earlier = false;
            for (std::size_t k = 0; dedup && k < key && !earlier; ++k)
                earlier = ci.keys[k] != 0 && ci.keys[k] == cj.keys[k];
            if (earlier) continue;
            visit(i, j);
        }
    }
}

/// Runs work(t, begin, end) over [0, n) split between `threads` threads.
template <typename Work> void parallel(unsigned threads, std::size_t n, Work&& work) {
    if (threads <= 1 || n < 64) {
        work(0u, std::size_t{0}, n);
        return;
    }
    std::vector<std::thread> pool;
    std::vector<std::exception_ptr> errors(threads);
    for (unsigned t = 0; t < threads; ++t) {
        const std::size_t begin = n * t / threads, end = n * (t + 1) / threads;
        pool.emplace_back([&, t, begin, end] {
            try {
                work(t, begin, end);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    }
    for (auto& th : pool) th.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

/// Whether a pair looks like two children of one family (see duplicates.hpp).
bool siblings(const Model& model, const Claimant& a, const Claimant& b, const Levels& l) {
    const bool family = l[1] == Level::exact || l[1] == Level::variant || l[1] == Level::typo;
    const bool together = l[3] == Level::exact || l[5] == Level::exact || l[5] == Level::variant ||
                          l[6] == Level::exact;
    if (!family || !together) return false;
    if (l[0] == Level::different) return true;
    // Both are first names, not one a slip of the other: each borne by enough claimants, the
    // rarer by at least a twentieth as many as the more common (a typo of Emma is rare).
    const double rare = std::min(a.first_count, b.first_count);
    const double common = std::max(a.first_count, b.first_count);
    return l[0] == Level::typo && rare >= model.established && rare * 20 >= common;
}

double score_pair(const Model& model, const Claimant& a, const Claimant& b, const Comparison& c) {
    double w = model.prior_weight;
    for (std::size_t f = 0; f < compared_count; ++f) w += model.weight[f][slot_of(c, f)];
    // Term frequency: the chance that two random claimants share this very name, instead of
    // any name.
    const double n = static_cast<double>(model.claimants);
    const auto tf = [&](std::size_t field, std::uint32_t count) {
        const double u_value = std::max(double(count), 1.0) / n;
        w += std::log2(model.u[field][static_cast<std::size_t>(Level::exact)] / u_value);
    };
    const Level first = c.levels[0], family = c.levels[1];
    if (first == Level::exact || first == Level::variant) tf(0, std::max(a.first_count, b.first_count));
    if (family == Level::exact || (family == Level::variant && !c.prefix))
        tf(1, std::max(a.whole_count, b.whole_count));
    else if (c.prefix)
        tf(1, std::max(a.last_count, b.last_count));
    // The same for a registrant's e-mail address and phone: one shared by many claimants
    // (an organisation, a bulk registrant) says less than a parent's own.
    const std::size_t registrant = registrant_slot(c.levels);
    if (registrant <= static_cast<std::size_t>(Level::typo))
        w += std::log2(model.u[5][registrant] /
                       (std::max(double(std::max(a.email_count, b.email_count)), 1.0) / n));
    double p = 1.0 / (1.0 + std::exp2(-w));
    if (siblings(model, a, b, c.levels)) p = std::min(p, sibling_cap);
    const double scale = std::pow(10.0, score_decimals);
    return std::round(p * scale) / scale;
}

struct PairHash {
    std::size_t operator()(const std::pair<std::int64_t, std::int64_t>& p) const noexcept {
        return static_cast<std::size_t>(mix64(static_cast<std::uint64_t>(p.first) * 0x9E3779B97F4A7C15ULL ^
                                              static_cast<std::uint64_t>(p.second)));
    }
};

} // namespace

DuplicateReport find_duplicates(Registry& registry, const DuplicateOptions& options) {
    DuplicateReport report;
    // One snapshot for the claimants and the decisions.
    registry.db().exec("BEGIN");
    struct End {
        Registry& r;
        ~End() {
            try {
                r.db().exec("COMMIT");
            } catch (...) {
            }
        }
    } end{registry};

    const Claimants all = load(registry, options.since);
    std::unordered_set<std::pair<std::int64_t, std::int64_t>, PairHash> decided;
    {
        SQLite::Statement q(registry.db(), "SELECT a, b FROM pair_decisions");
        while (q.executeStep()) decided.emplace(q.getColumn(0).getInt64(), q.getColumn(1).getInt64());
    }
    report.claimants = all.rows.size();
    const unsigned threads = options.threads != 0
                                 ? options.threads
                                 : std::clamp(std::thread::hardware_concurrency(), 1u, 8u);

    Model model;
    model.claimants = all.rows.size();
    model.established = std::max(2.0, double(all.rows.size()) / 200000.0);
    model.u = measure_u(all, 1000000);

    std::array<Blocks, key_count> blocks;
    for (std::size_t k = 0; k < key_count; ++k) blocks[k] = make_blocks(all, k);

    // Training, one session per key of `sessions`: the pattern counts of its pairs (of every
    // block when there are not too many pairs, else of a fixed sample of blocks chosen by key,
    // the same for --since), then EM. A field's m is the mean of the sessions that estimate it;
    // the prior is the most matches a session finds, over all pairs.
    const double n = double(all.rows.size());
    const double all_pairs = n * (n - 1) / 2;
    Table m_sum{};
    std::array<double, compared_count> m_sessions{};
    double most_matches = 0;
    for (const Session& session : sessions) {
        const Blocks& b = blocks[session.key];
        const auto pairs_in = [&](std::pair<std::uint32_t, std::uint32_t> r) {
            const double size = r.second - r.first;
            const double w = size > double(options.max_block) ? double(options.block_window) : size;
            return size * (w - 1) / 2;
        };
        double raw_pairs = 0;
        for (const auto& r : b.ranges) raw_pairs += pairs_in(r);
        constexpr double training_pairs = 2e6;
        const std::uint64_t every =
            raw_pairs > training_pairs ? static_cast<std::uint64_t>(std::ceil(raw_pairs / training_pairs)) : 1;
        std::vector<std::vector<std::uint32_t>> local(threads);
        std::vector<double> raw(threads);
        parallel(threads, b.ranges.size(), [&](unsigned t, std::size_t begin, std::size_t stop) {
            local[t].assign(pattern_space, 0);
            for (std::size_t r = begin; r < stop; ++r) {
                const auto range = b.ranges[r];
                if (every > 1 && mix64(b.entries[range.first].first) % every != 0) continue;
                raw[t] += pairs_in(range);
                for_each_pair(all, b, session.key, range, options, false, false,
                              [&](std::uint32_t i, std::uint32_t j) {
                                  ++local[t][pattern_of(compare(all, all.rows[i], all.rows[j]))];
                              });
            }
        });
        std::vector<std::pair<std::uint32_t, double>> patterns;
        double sampled = 0;
        for (unsigned t = 0; t < threads; ++t) sampled += raw[t];
        for (std::uint32_t p = 0; p < pattern_space; ++p) {
            double count = 0;
            for (unsigned t = 0; t < threads; ++t)
                if (!local[t].empty()) count += local[t][p];
            if (count != 0) patterns.emplace_back(p, count);
        }
        const auto [m, share] = estimate_m(patterns, model.u, session.excluded, 10.0);
        for (std::size_t f = 0; f < compared_count; ++f) {
            if ((session.excluded >> f & 1u) != 0) continue;
            for (std::size_t s = 0; s < slots; ++s) m_sum[f][s] += m[f][s];
            m_sessions[f] += 1;
        }
        if (sampled > 0) most_matches = std::max(most_matches, share * sampled * raw_pairs / sampled);
    }
    model.m = initial_m();
    for (std::size_t f = 0; f < compared_count; ++f)
        if (m_sessions[f] > 0)
            for (std::size_t s = 0; s < slots; ++s)
                model.m[f][s] = possible(f, s) ? m_sum[f][s] / m_sessions[f] : 1.0;
    // A second registration of a child rarely has another name or birth date altogether; EM
    // over blocks that hold families (siblings agree on all but those) overrates it, so it
    // is held to max_m_different, the other levels keeping their proportions.
    for (std::size_t f = 0; f <= 2; ++f) {
        double& different = model.m[f][static_cast<std::size_t>(Level::different)];
        if (different <= max_m_different) continue;
        const double scale = (1.0 - max_m_different) / (1.0 - different);
        for (std::size_t s = 0; s < slots; ++s)
            if (possible(f, s) && s != static_cast<std::size_t>(Level::different)) model.m[f][s] *= scale;
        different = max_m_different;
    }
    model.prior = all_pairs > 0 ? std::clamp(most_matches / all_pairs, 1e-12, 0.5) : 0.5;
    model.finish();
    blocks[names_key] = {};

    // Scoring.
    const bool only_recent = !options.since.empty();
    std::vector<std::vector<DuplicatePair>> found(threads);
    std::vector<std::uint64_t> compared(threads), capped(threads);
    for (std::size_t k = 0; k < scoring_keys; ++k) {
        const Blocks& b = blocks[k];
        parallel(threads, b.ranges.size(), [&](unsigned t, std::size_t begin, std::size_t stop) {
            for (std::size_t r = begin; r < stop; ++r) {
                const auto range = b.ranges[r];
                if (range.second - range.first > options.max_block) ++capped[t];
                for_each_pair(all, b, k, range, options, only_recent, true, [&](std::uint32_t i, std::uint32_t j) {
                    const Claimant& a = all.rows[i];
                    const Claimant& c = all.rows[j];
                    ++compared[t];
                    const Comparison cmp = compare(all, a, c);
                    const double score = score_pair(model, a, c, cmp);
                    if (score < options.min_score) return;
                    found[t].push_back({score, std::min(a.id, c.id), std::max(a.id, c.id), cmp.levels});
                });
            }
        });
    }
    blocks = {};
    for (unsigned t = 0; t < threads; ++t) {
        report.compared += compared[t];
        report.capped_blocks += capped[t];
        for (const DuplicatePair& p : found[t])
            if (!decided.contains({p.a, p.b})) report.pairs.push_back(p);
        found[t] = {};
    }
    const auto better = [](const DuplicatePair& x, const DuplicatePair& y) {
        if (x.score != y.score) return x.score > y.score;
        if (x.a != y.a) return x.a < y.a;
        return x.b < y.b;
    };
    if (options.limit != 0 && report.pairs.size() > options.limit) {
        std::partial_sort(report.pairs.begin(),
                          report.pairs.begin() + static_cast<std::ptrdiff_t>(options.limit),
                          report.pairs.end(), better);
        report.pairs.resize(options.limit);
    } else {
        std::sort(report.pairs.begin(), report.pairs.end(), better);
    }
    for (std::size_t f = 0; f < compared_count; ++f)
        for (std::size_t l = 0; l < level_count; ++l) {
            report.model.m[f][l] = model.m[f][l];
            report.model.u[f][l] = model.u[f][l];
        }
    report.model.prior = model.prior;
    return report;
}

} // namespace claimreg
