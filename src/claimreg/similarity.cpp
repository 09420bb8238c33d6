#include "claimreg/similarity.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace claimreg {

double jaro_winkler(std::string_view a, std::string_view b) {
    if (a.empty() && b.empty()) return 1.0;
    if (a.empty() || b.empty()) return 0.0;
    if (a == b) return 1.0;
    // Names are short; longer text is compared by its first 64 bytes (one bit mask each).
    const std::size_t la = std::min<std::size_t>(a.size(), 64);
    const std::size_t lb = std::min<std::size_t>(b.size(), 64);
    const std::size_t window = std::max(la, lb) / 2 == 0 ? 0 : std::max(la, lb) / 2 - 1;
    std::uint64_t used_a = 0, used_b = 0;
    std::size_t matches = 0;
    for (std::size_t i = 0; i < la; ++i) {
        const std::size_t lo = i > window ? i - window : 0;
        const std::size_t hi = std::min(lb, i + window + 1);
        for (std::size_t j = lo; j < hi; ++j) {
            if ((used_b >> j & 1) != 0 || a[i] != b[j]) continue;
            used_a |= std::uint64_t{1} << i;
            used_b |= std::uint64_t{1} << j;
            ++matches;
            break;
        }
    }
    if (matches == 0) return 0.0;
    std::size_t transposed = 0;
    for (std::size_t i = 0, j = 0; i < la; ++i) {
        if ((used_a >> i & 1) == 0) continue;
        while ((used_b >> j & 1) == 0) ++j;
        if (a[i] != b[j]) ++transposed;
        ++j;
    }
    const double m = static_cast<double>(matches);
    const double jaro = (m / static_cast<double>(la) + m / static_cast<double>(lb) +
                         (m - static_cast<double>(transposed) / 2.0) / m) /
                        3.0;
    std::size_t prefix = 0;
    while (prefix < 4 && prefix < la && prefix < lb && a[prefix] == b[prefix]) ++prefix;
    return jaro + static_cast<double>(prefix) * 0.1 * (1.0 - jaro);
}

std::size_t osa_distance(std::string_view a, std::string_view b, std::size_t limit) {
    const std::size_t la = a.size(), lb = b.size();
    if ((la > lb ? la - lb : lb - la) > limit) return limit + 1;
    if (la == 0) return lb;
    if (lb == 0) return la;
    // Three rows of the dynamic programme (the one before the previous for transpositions).
    // On the stack for names (up to 64 bytes), else on the heap.
    std::array<std::size_t, 3 * 65> small;
    std::vector<std::size_t> large;
    std::size_t* before = small.data();
    if (lb > 64) {
        large.resize(3 * (lb + 1));
        before = large.data();
    }
    std::size_t* previous = before + lb + 1;
    std::size_t* current = previous + lb + 1;
    for (std::size_t j = 0; j <= lb; ++j) previous[j] = j;
    for (std::size_t i = 1; i <= la; ++i) {
        current[0] = i;
        std::size_t row_min = current[0];
        for (std::size_t j = 1; j <= lb; ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            std::size_t d = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d = std::min(d, before[j - 2] + 1);
            current[j] = d;
            row_min = std::min(row_min, d);
        }
        if (row_min > limit) return limit + 1;
        std::size_t* t = before;
        before = previous;
        previous = current;
        current = t;
    }
    return std::min(previous[lb], limit + 1);
}

} // namespace claimreg
