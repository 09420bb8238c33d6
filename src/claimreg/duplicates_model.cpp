#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "duplicates_parts.hpp"

namespace claimreg::duplicate_parts {


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


} // namespace claimreg::duplicate_parts
