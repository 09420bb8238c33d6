#pragma once
// Near-duplicate search (SPEC.md "Near-duplicates and review"): probable duplicates among the
// active claimants that the exact identity key did not merge, scored by a Fellegi-Sunter model
// whose weights are estimated from the registry itself.
//
// How it works, in order:
// - One scan of the active claimants into compact records: folded names (identity.hpp), the
//   birth date as integers, the postcode's digits and letters, the house number, 64-bit hashes
//   of the registrant's e-mail and phone, the source and registration day.
// - Blocking: seven keys put records that could be one child into the same block: the
//   registrant e-mail; birth date + phonetic first name; birth date + phonetic family name;
//   birth year + postcode digits + first letter of the first name; the same with the family
//   name's; first and family name + birth year; postcode + house number. Between them they
//   catch a typo in one name, a day/month swap or a typo in the date, a dropped or moved
//   prefix, a move, and another registrant, and most pairs of two of these. A pair found in
//   several blocks is compared once (in the first key's block). A block of more than
//   `max_block` records (a very common name, a bulk registrant) is compared only within a
//   sliding window of `block_window` records.
// - Comparison levels per field (compare_* below) and a Fellegi-Sunter weight per level,
//   log2(m/u). u is measured on random pairs of claimants (all pairs of a small registry, else
//   a million, in a fixed sequence). m is estimated by EM as Splink does: one session per
//   training key (birth date + phonetic first name; birth date + phonetic family name; both
//   names), each over that key's pairs (a fixed sample of blocks when there are many) with u
//   held at the random pairs' and the fields the key constrains left out; a field's m is the
//   mean over the sessions that estimate it, with a small prior for stability on small
//   registries. Families make EM overrate how often a duplicate has another name or birth date
//   altogether, so m of `different` for those three is held to at most 5%. The prior match
//   probability is the most matches a session finds, over all pairs.
// - The registrant's e-mail and phone are weighed as one comparison (both agree, the e-mail
//   agrees and a phone is missing, the e-mail agrees but the phones differ, only the phones
//   agree, nothing agrees); both are still printed as their own levels.
// - Exact and variant agreement on a name, and agreement on an e-mail address, are adjusted
//   for that value's frequency (Splink's term frequencies): two `Jansen`s agree less than two
//   `Wijnaldum`s, and an address many claimants share says less than a parent's own.
// - Siblings: a pair whose family names agree (or are a typo apart), who share an address or a
//   registrant, and whose first names differ is taken for two children of one family when the
//   first names are at level `different` (Fleur/Floor), or at level `typo` with both names
//   established first names: the rarer borne by at least max(2, claimants / 200,000) active
//   claimants and by at least a twentieth as many as the other (Sem/Sam; a typo such as `Semm`
//   is rarely another child's name). Such a pair's score is capped at sibling_cap, below the
//   default threshold, so twins stay in a wider review band only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/record.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// How one field of two claimants compares.
enum class Level : std::uint8_t {
    exact,     ///< the same text
    variant,   ///< the same after folding (case, accents, spacing), or a prefix dropped or moved
    typo,      ///< a small edit (names: one edit, two for long names, or Jaro-Winkler >= 0.92;
               ///< dates and postcodes: one character changed or two adjacent ones swapped)
    swapped,   ///< day and month swapped, or first and family name swapped
    different, ///< anything else
    missing,   ///< one or both have no value (no weight either way)
};
/// Number of levels.
inline constexpr std::size_t level_count = 6;
/// The level's name as printed (`exact`, `typo`...).
std::string_view to_string(Level level);

/// The fields compared, in output order.
enum class Compared : std::uint8_t {
    child_first_name,
    child_last_name, ///< prefix and last name together
    child_birth_date,
    postcode,
    house_number,
    registrant_email,
    registrant_phone,
};
/// Number of compared fields.
inline constexpr std::size_t compared_count = 7;
/// The field's name as printed (the canonical field names).
std::string_view compared_name(Compared field);

/// The levels of one pair, indexed by Compared.
using Levels = std::array<Level, compared_count>;

/// Compares two first names as given: exact, variant, typo (names of three letters or more)
/// or different.
Level compare_names(std::string_view a, std::string_view b);
/// Compares two family names given as prefix and last name: exact, variant (also when one has
/// a prefix the other lacks or has typed into its last name), typo or different.
Level compare_family_names(std::string_view prefix_a, std::string_view last_a,
                           std::string_view prefix_b, std::string_view last_b);
/// Compares two birth dates: exact, swapped (day and month), typo (one digit of YYYYMMDD
/// changed, or two adjacent digits swapped) or different.
Level compare_birth_dates(Date a, Date b);
/// Compares two stored postcodes: missing (either empty), exact, typo (one character changed
/// or two adjacent ones swapped) or different.
Level compare_postcodes(std::string_view a, std::string_view b);
/// Compares two house numbers: missing (either empty), exact, variant (case, spaces, hyphens:
/// `12a`, `12 A`), typo (one edit) or different.
Level compare_house_numbers(std::string_view a, std::string_view b);

/// A phonetic code of a folded name for blocking: its first letter, then its consonants with
/// similar sounds merged (c/k/q, s/z, f/v, d/t, b/p, g/ch) and repeats collapsed, up to four
/// characters; `jansen` and `janssen` get the same code.
std::string phonetic_code(std::string_view folded);

/// What find_duplicates() looks for.
struct DuplicateOptions {
    double min_score = 0.9;      ///< pairs scoring at least this (after rounding, see below)
    std::string since;           ///< `YYYY-MM-DDTHH:MM:SSZ`: only pairs with one claimant
                                 ///< added or changed at or after it; empty: all pairs
    std::size_t limit = 0;       ///< at most this many pairs (the best); 0: all
    unsigned threads = 0;        ///< comparison threads; 0: one per core (at most 8)
    std::size_t max_block = 400; ///< larger blocks are compared within a sliding window
    std::size_t block_window = 40;
};

/// Scores are rounded to this many decimals before they are compared and printed.
inline constexpr int score_decimals = 3;
/// The highest score of a pair with evidence of siblings (see the top of this file).
inline constexpr double sibling_cap = 0.5;

/// One probable duplicate.
struct DuplicatePair {
    double score = 0; ///< estimated probability that both are one child, rounded
    std::int64_t a = 0, b = 0; ///< claimant ids, a < b
    Levels levels{};
};

/// The model's weights, for explanation and tests (registrant_phone weighs nothing on its
/// own: the registrant's weights are in registrant_email's slots, see above).
struct DuplicateModel {
    /// m: P(level | same child), u: P(level | two random claimants), per field and level.
    std::array<std::array<double, level_count>, compared_count> m{}, u{};
    double prior = 0; ///< P(same child) for two random active claimants
    /// The Fellegi-Sunter weight log2(m/u) of a level (0 for missing).
    double weight(Compared field, Level level) const;
};

/// What a search found and did.
struct DuplicateReport {
    std::vector<DuplicatePair> pairs; ///< best first (score, then a, then b)
    std::uint64_t claimants = 0;      ///< active claimants considered
    std::uint64_t compared = 0;       ///< pairs compared (after blocking)
    std::uint64_t capped_blocks = 0;  ///< blocks compared within a window only
    DuplicateModel model;
};

/// Finds near-duplicates among the active claimants of `registry` (opened for reading; one
/// read transaction), leaving out pairs that `pair_decisions` already holds.
DuplicateReport find_duplicates(Registry& registry, const DuplicateOptions& options);

/// The score as printed: `0.973`.
std::string format_score(double score);

} // namespace claimreg
