#pragma once
// The parts of the near-duplicate search (duplicates.hpp) that its files share: comparing
// values (duplicates_levels.cpp), the claimants in memory (duplicates_claimants.cpp), and
// comparing claimants and estimating the model (duplicates_model.cpp).

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "claimreg/duplicates.hpp"
#include "claimreg/registry.hpp"

namespace claimreg::duplicate_parts {

// ---- comparing values (duplicates_levels.cpp) --------------------------------------------

/// Whether two folded names are one typo apart (see Level::typo).
bool names_typo(std::string_view a, std::string_view b);
/// A 64-bit digest of a text; 0 only for the empty one.
std::uint64_t hash_text(std::string_view s);
/// A 64-bit mixer (splitmix64's finaliser).
std::uint64_t mix64(std::uint64_t x);
/// A blocking key of some parts: never 0 (0 means "not in this block").
std::uint64_t key_of(std::uint64_t kind, std::uint64_t a, std::uint64_t b = 0, std::uint64_t c = 0);
/// The level of two birth dates given as year, month and day.
Level date_level(int ya, int ma, int da, int yb, int mb, int db);
/// A postcode upper-cased, spaces dropped.
std::string postcode_compact(std::string_view p);
/// The level of two compacted postcodes.
Level postcode_level(std::string_view a, std::string_view b);
/// The level of two house numbers, as stored (`raw_*`) and folded.
Level house_level(std::string_view raw_a, std::string_view raw_b, std::string_view fa,
                  std::string_view fb);

// ---- the claimants in memory (duplicates_claimants.cpp) ----------------------------------


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

/// Every active claimant, read in one scan, with its blocking keys and name frequencies;
/// `since`: claimants changed from then on are recent (empty: all are).
Claimants load(Registry& registry, const std::string& since);

// ---- comparing two claimants and the model (duplicates_model.cpp) ------------------------

/// Levels, with the family name's prefix level (a dropped or moved prefix) kept apart: it is
/// printed as `variant` but weighed on its own.
struct Comparison {
    Levels levels{};
    bool prefix = false;
};

/// Internal level index of the family name's prefix level.
constexpr std::size_t prefix_slot = level_count;
constexpr std::size_t slots = level_count + 1;

Comparison compare(const Claimants& all, const Claimant& a, const Claimant& b);

/// The slot of the registrant (e-mail and phone weighed as one field, see its definition).
std::size_t registrant_slot(const Levels& l);

/// The slot field `field` of a comparison is weighed in.
std::size_t slot_of(const Comparison& c, std::size_t field);

/// A comparison pattern as one number (base `slots`).
std::uint32_t pattern_of(const Comparison& c);

constexpr std::uint32_t pattern_space = [] {
    std::uint32_t n = 1;
    for (std::size_t f = 0; f < compared_count; ++f) n *= static_cast<std::uint32_t>(slots);
    return n;
}();

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
Table initial_m();

/// The levels each field can take (others keep probability 0).
bool possible(std::size_t field, std::size_t slot);

/// u from random pairs (see its definition).
Table measure_u(const Claimants& all, std::uint64_t samples);

/// EM over the pattern counts of the pairs of one blocking key (see its definition).
std::pair<Table, double> estimate_m(const std::vector<std::pair<std::uint32_t, double>>& patterns,
                                    const Table& u, unsigned excluded, double prior_pairs);

} // namespace claimreg::duplicate_parts
