#pragma once
// Byte scanning for the CSV reader and writer: finding quotes, delimiters and line ends, and
// telling ASCII from the rest, 16 bytes a step with SSE2 (part of x86-64), else 8 bytes a step
// in a machine word, then byte by byte. Each scanner has a plain one-byte-at-a-time reference
// in scan_reference (the unit tests check that the two agree at every length and position).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace claimreg::csv_scan {

constexpr std::uint64_t ones = 0x0101010101010101ULL;  ///< 0x01 in every byte of a word
constexpr std::uint64_t lows = 0x7F7F7F7F7F7F7F7FULL;  ///< 0x7F in every byte
constexpr std::uint64_t highs = 0x8080808080808080ULL; ///< 0x80 in every byte

/// Eight copies of byte `c`.
constexpr std::uint64_t broadcast(char c) noexcept {
    return ones * static_cast<unsigned char>(c);
}

/// 0x80 in exactly the bytes of `w` that equal the byte whose eight copies are `pattern`.
constexpr std::uint64_t bytes_equal(std::uint64_t w, std::uint64_t pattern) noexcept {
    const std::uint64_t x = w ^ pattern;
    return ~(((x & lows) + lows) | x | lows);
}

/// Index of the first matching byte of a word's match mask (little-endian byte order).
inline std::size_t first_match(std::uint64_t mask) noexcept {
    return static_cast<std::size_t>(std::countr_zero(mask) >> 3);
}

inline std::uint64_t load_word(const char* p) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
}

constexpr bool word_steps = std::endian::native == std::endian::little;

/// The length of the ASCII run at the start of [p, p + n): the index of the first byte >= 0x80,
/// or n.
inline std::size_t ascii_prefix(const char* p, std::size_t n) noexcept {
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16) {
        const int m = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)));
        if (m != 0) return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(m)));
    }
#endif
    if constexpr (word_steps) {
        for (; i + 8 <= n; i += 8) {
            const std::uint64_t m = load_word(p + i) & highs;
            if (m != 0) return i + first_match(m);
        }
    }
    while (i < n && static_cast<unsigned char>(p[i]) < 0x80)
        ++i;
    return i;
}

/// Whether every byte of [p, p + n) is below 0x80.
inline bool is_ascii(const char* p, std::size_t n) noexcept {
    return ascii_prefix(p, n) == n;
}

/// The first quote or LF in [from, end), or end.
inline std::size_t find_quote_or_lf(const char* b, std::size_t from, std::size_t end) noexcept {
    std::size_t i = from;
#if defined(__SSE2__)
    const __m128i vq = _mm_set1_epi8('"');
    const __m128i vn = _mm_set1_epi8('\n');
    for (; i + 16 <= end; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
        const int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vn)));
        if (m != 0) return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(m)));
    }
#endif
    if constexpr (word_steps) {
        for (; i + 8 <= end; i += 8) {
            const std::uint64_t w = load_word(b + i);
            const std::uint64_t m =
                bytes_equal(w, broadcast('"')) | bytes_equal(w, broadcast('\n'));
            if (m != 0) return i + first_match(m);
        }
    }
    while (i < end && b[i] != '"' && b[i] != '\n')
        ++i;
    return i;
}

/// The bytes that end an unquoted run of a field: the delimiter, a quote, CR and LF.
class SpecialBytes {
  public:
    explicit SpecialBytes(char delimiter) noexcept : delimiter_(delimiter) {
        for (const char c : {delimiter, '"', '\r', '\n'})
            is_special_[static_cast<unsigned char>(c)] = true;
    }
    char delimiter() const noexcept { return delimiter_; }
    bool operator()(char c) const noexcept { return is_special_[static_cast<unsigned char>(c)]; }

  private:
    char delimiter_;
    bool is_special_[256] = {};
};

/// The first byte in [from, end) that is one of `special`, or end.
inline std::size_t find_special(const char* b, std::size_t from, std::size_t end,
                                const SpecialBytes& special) noexcept {
    std::size_t i = from;
#if defined(__SSE2__)
    const __m128i vd = _mm_set1_epi8(special.delimiter());
    const __m128i vq = _mm_set1_epi8('"');
    const __m128i vr = _mm_set1_epi8('\r');
    const __m128i vn = _mm_set1_epi8('\n');
    for (; i + 16 <= end; i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
        const __m128i hit =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vq)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, vr), _mm_cmpeq_epi8(v, vn)));
        const int m = _mm_movemask_epi8(hit);
        if (m != 0) return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(m)));
    }
#endif
    if constexpr (word_steps) {
        const std::uint64_t pd = broadcast(special.delimiter());
        for (; i + 8 <= end; i += 8) {
            const std::uint64_t w = load_word(b + i);
            const std::uint64_t m = bytes_equal(w, pd) | bytes_equal(w, broadcast('"')) |
                                    bytes_equal(w, broadcast('\r')) |
                                    bytes_equal(w, broadcast('\n'));
            if (m != 0) return i + first_match(m);
        }
    }
    while (i < end && !special(b[i]))
        ++i;
    return i;
}

/// Appends the fields of [p, e) split at `delimiter` (no quotes in it) to `fields`.
inline void split_plain(const char* p, const char* e, char delimiter,
                        std::vector<std::string_view>& fields) {
    const char* field = p;
#if defined(__SSE2__)
    const __m128i vd = _mm_set1_epi8(delimiter);
    for (; e - p >= 16; p += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vd)));
        while (m != 0) {
            const char* q = p + std::countr_zero(m);
            fields.emplace_back(field, static_cast<std::size_t>(q - field));
            field = q + 1;
            m &= m - 1;
        }
    }
#endif
    if constexpr (word_steps) {
        const std::uint64_t pattern = broadcast(delimiter);
        for (; e - p >= 8; p += 8) {
            std::uint64_t m = bytes_equal(load_word(p), pattern);
            while (m != 0) {
                const char* q = p + first_match(m);
                fields.emplace_back(field, static_cast<std::size_t>(q - field));
                field = q + 1;
                m &= m - 1;
            }
        }
    }
    for (; p != e; ++p) {
        if (*p == delimiter) {
            fields.emplace_back(field, static_cast<std::size_t>(p - field));
            field = p + 1;
        }
    }
    fields.emplace_back(field, static_cast<std::size_t>(e - field));
}

/// Whether a word holds the delimiter (eight copies in `pd`), a quote, CR or LF.
constexpr bool word_needs_quotes(std::uint64_t w, std::uint64_t pd) noexcept {
    return (bytes_equal(w, pd) | bytes_equal(w, broadcast('"')) | bytes_equal(w, broadcast('\r')) |
            bytes_equal(w, broadcast('\n'))) != 0;
}

/// The scanners above, one byte at a time: what they must agree with.
namespace scan_reference {

inline std::size_t ascii_prefix(const char* p, std::size_t n) {
    std::size_t i = 0;
    while (i < n && static_cast<unsigned char>(p[i]) < 0x80)
        ++i;
    return i;
}
inline std::size_t find_quote_or_lf(const char* b, std::size_t from, std::size_t end) {
    while (from < end && b[from] != '"' && b[from] != '\n')
        ++from;
    return from;
}
inline std::size_t find_special(const char* b, std::size_t from, std::size_t end, char delimiter) {
    while (from < end && b[from] != delimiter && b[from] != '"' && b[from] != '\r' &&
           b[from] != '\n')
        ++from;
    return from;
}
inline std::vector<std::string_view> split_plain(std::string_view text, char delimiter) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == delimiter) {
            fields.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return fields;
}

} // namespace scan_reference

} // namespace claimreg::csv_scan
