#pragma once
// String similarity on folded names (identity.hpp's fold_name): the metrics behind the `typo`
// comparison level of near-duplicate search (duplicates.hpp).

#include <cstddef>
#include <string_view>

namespace claimreg {

/// Jaro-Winkler similarity in 0..1 (1: equal), over bytes, with the usual prefix scale 0.1
/// for a common prefix of up to four characters. Two empty strings are equal (1).
double jaro_winkler(std::string_view a, std::string_view b);

/// Damerau-Levenshtein distance in its optimal-string-alignment form: the fewest insertions,
/// deletions, substitutions and transpositions of two adjacent characters (a substring is
/// edited at most once) that turn `a` into `b`, over bytes. Stops counting above `limit`:
/// returns limit + 1 when the distance is larger.
std::size_t osa_distance(std::string_view a, std::string_view b, std::size_t limit = 8);

} // namespace claimreg
