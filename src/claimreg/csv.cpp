#include "claimreg/csv.hpp"

#include "claimreg/error.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iconv.h>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h> // SSE2 is part of x86-64: 16 bytes per step
#endif

namespace claimreg {

// ---------------------------------------------------------------------------------------------
// Small helpers

namespace {

constexpr std::size_t kReadBuffer = std::size_t{1} << 20;  // 1 MiB
constexpr std::size_t kWriteChunk = std::size_t{64} << 10; // 64 KiB

char lower_ascii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (lower_ascii(a[i]) != lower_ascii(b[i])) return false;
    return true;
}

/// Whether every byte is below 0x80 (eight bytes at a time).
bool is_ascii(const char* p, std::size_t n) {
    std::uint64_t acc = 0;
    std::size_t i = 0;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16)
        if (_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i))) != 0)
            return false;
#endif
    for (; i + 32 <= n; i += 32) {
        std::uint64_t w[4];
        std::memcpy(w, p + i, 32);
        acc |= w[0] | w[1] | w[2] | w[3];
        if (acc & 0x8080808080808080ULL) return false;
    }
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, p + i, 8);
        acc |= w;
    }
    if (acc & 0x8080808080808080ULL) return false;
    unsigned char tail = 0;
    for (; i < n; ++i)
        tail = static_cast<unsigned char>(tail | static_cast<unsigned char>(p[i]));
    return tail < 0x80;
}

/// Length of the well-formed UTF-8 sequence at s[i] (s[i] >= 0x80), or 0 when it is not one
/// (overlong forms, surrogates, code points above U+10FFFF and truncations are not).
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = at(i);
    const std::size_t left = s.size() - i;
    auto cont = [&](std::size_t k) { return (at(k) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return (left >= 2 && cont(i + 1)) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3) return 0;
        const unsigned char c1 = at(i + 1);
        if (c == 0xE0 && (c1 < 0xA0 || c1 > 0xBF)) return 0;
        if (c == 0xED && (c1 < 0x80 || c1 > 0x9F)) return 0;
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4) return 0;
        const unsigned char c1 = at(i + 1);
        if (c == 0xF0 && (c1 < 0x90 || c1 > 0xBF)) return 0;
        if (c == 0xF4 && (c1 < 0x80 || c1 > 0x8F)) return 0;
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        return 4;
    }
    return 0;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            // Skip ASCII runs quickly.
            std::size_t j = i;
#if defined(__SSE2__)
            while (j + 16 <= s.size()) {
                const int m = _mm_movemask_epi8(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + j)));
                if (m != 0) {
                    j += static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(m)));
                    break;
                }
                j += 16;
            }
#endif
            while (j + 8 <= s.size()) {
                std::uint64_t w;
                std::memcpy(&w, s.data() + j, 8);
                if (w & 0x8080808080808080ULL) break;
                j += 8;
            }
            while (j < s.size() && static_cast<unsigned char>(s[j]) < 0x80)
                ++j;
            i = j;
            continue;
        }
        const std::size_t n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

/// Index of the first byte >= 0x80, or npos.
std::size_t first_non_ascii(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (static_cast<unsigned char>(s[i]) >= 0x80) return i;
    return std::string_view::npos;
}

constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
constexpr std::uint64_t kLows = 0x7F7F7F7F7F7F7F7FULL;

/// 0x80 in exactly the bytes of `w` that equal the byte whose eight copies are `pattern`.
inline std::uint64_t bytes_equal(std::uint64_t w, std::uint64_t pattern) {
    const std::uint64_t x = w ^ pattern;
    return ~(((x & kLows) + kLows) | x | kLows);
}

/// Appends the fields of [p, e) split at `d` (no quotes in it) to `fields`.
void split_plain(const char* p, const char* e, char d, std::vector<std::string_view>& fields) {
    const char* f = p;
#if defined(__SSE2__)
    const __m128i vd = _mm_set1_epi8(d);
    for (; e - p >= 16; p += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        auto m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, vd)));
        while (m != 0) {
            const char* q = p + std::countr_zero(m);
            fields.emplace_back(f, static_cast<std::size_t>(q - f));
            f = q + 1;
            m &= m - 1;
        }
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
        const std::uint64_t pattern = kOnes * static_cast<unsigned char>(d);
        while (e - p >= 8) {
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            std::uint64_t m = bytes_equal(w, pattern);
            while (m != 0) {
                const char* q = p + (std::countr_zero(m) >> 3);
                fields.emplace_back(f, static_cast<std::size_t>(q - f));
                f = q + 1;
                m &= m - 1;
            }
            p += 8;
        }
    }
    for (; p != e; ++p) {
        if (*p == d) {
            fields.emplace_back(f, static_cast<std::size_t>(p - f));
            f = p + 1;
        }
    }
    fields.emplace_back(f, static_cast<std::size_t>(e - f));
}

bool formula_start(char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

/// ^[+-]?[0-9]+([.,][0-9]+)?$
bool plain_number(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t int_start = i;
    while (i < s.size() && is_digit(s[i]))
        ++i;
    if (i == int_start) return false;
    if (i == s.size()) return true;
    if (s[i] != '.' && s[i] != ',') return false;
    ++i;
    const std::size_t frac_start = i;
    while (i < s.size() && is_digit(s[i]))
        ++i;
    return i > frac_start && i == s.size();
}

} // namespace

Encoding parse_encoding(std::string_view text) {
    for (std::string_view name : {"utf-8", "utf8"})
        if (iequals(text, name)) return Encoding::utf8;
    for (std::string_view name : {"windows-1252", "cp1252", "win1252"})
        if (iequals(text, name)) return Encoding::windows1252;
    throw UsageError("not an encoding (use utf-8 or windows-1252)");
}

std::string_view to_string(RowProblem p) {
    switch (p) {
    case RowProblem::none:
        return "no problem";
    case RowProblem::bad_encoding:
        return "invalid UTF-8";
    case RowProblem::unterminated_quote:
        return "unterminated quoted field";
    case RowProblem::bad_quote:
        return "malformed quotes";
    case RowProblem::too_long:
        return "record too long";
    case RowProblem::error_value:
        return "the cell holds an error value, not data";
    case RowProblem::beyond_header:
        return "a value in a column without a header";
    case RowProblem::cell_twice:
        return "the same cell appears twice";
    }
    return "unknown problem";
}

bool is_formula_like(std::string_view cell) {
    if (cell.empty() || !formula_start(cell.front())) return false;
    return !plain_number(cell);
}

std::string_view strip_formula_guard(std::string_view cell) {
    if (cell.size() >= 2 && cell[0] == '\'' && formula_start(cell[1])) return cell.substr(1);
    return cell;
}

// ---------------------------------------------------------------------------------------------
// Reader
//
// The input is read in 1 MiB chunks into `buf`. A record is parsed in place: unquoted fields
// and quoted fields without doubled quotes are views straight into the buffer; a doubled quote
// is collapsed by moving the rest of its field left (in place). Windows-1252 fields are decoded
// into `scratch`. A record that does not fit is moved to the front of the buffer before the next
// read; the buffer grows up to max_record_bytes, and a longer record is scanned and discarded.
//
// The common case (a physical line without quotes, entirely in the buffer) takes a fast path:
// memchr for the line end and for a quote, then one pass splitting at the delimiter.

struct CsvReader::Impl {
    enum class State { field_start, unquoted, quoted, quoted_quote };

    std::FILE* in;
    CsvReadOptions opt;
    char delim = 0;
    Encoding enc = Encoding::detect;

    std::vector<char> buf;
    std::size_t beg = 0; ///< start of the current record
    std::size_t pos = 0; ///< next byte to parse
    std::size_t end = 0; ///< end of valid data
    bool eof = false;
    bool started = false;
    std::uint64_t base = 0; ///< file offset of buf[0]
    std::uint64_t line = 1; ///< physical line of buf[pos]

    // General-path state (kept across refills).
    State st = State::field_start;
    std::size_t w = 0;       ///< write position of the current field's content
    std::size_t fs = 0;      ///< start of the current field's content
    std::size_t rec_end = 0; ///< end of the record's text (before its line end)
    bool skip = false;       ///< too long: discarding the rest of the record
    RowProblem prob = RowProblem::none;
    bool shifted = false; ///< a doubled quote moved field text: the record's text is no longer raw
    std::vector<std::string_view>* fields =
        nullptr; ///< the record being filled (rebased on refill)

    std::array<bool, 256> special{}; ///< bytes that end an unquoted run: delimiter, quote, CR, LF

    struct Utf8Char {
        std::array<char, 4> utf8{}; ///< padded so that it can be copied as four bytes
        unsigned char size = 0;     ///< 0: undefined in Windows-1252
    };
    std::array<Utf8Char, 128> cp1252{}; ///< UTF-8 for the bytes 0x80..0xFF, from iconv
    bool cp1252_loaded = false;

    std::string scratch;                  ///< decoded Windows-1252 fields
    std::vector<unsigned char> non_ascii; ///< per field of the record being decoded

    Impl(std::FILE* f, CsvReadOptions o) : in(f), opt(o), delim(o.delimiter), enc(o.encoding) {
        if (delim == '"' || delim == '\n' || delim == '\r')
            throw UsageError("the delimiter cannot be a quote or a line end");
        if (opt.max_record_bytes == 0) opt.max_record_bytes = 1;
        buf.resize(kReadBuffer);
    }

    std::size_t cap() const { return buf.size(); }

    /// Reads more input after `end`; sets eof at end of input. Throws IoError.
    void read_more() {
        if (eof || end == cap()) return;
        const std::size_t want = cap() - end;
        const std::size_t n = std::fread(buf.data() + end, 1, want, in);
        end += n;
        if (n < want) {
            if (std::ferror(in)) throw IoError("cannot read the input: " + errno_text(errno));
            if (n == 0 || std::feof(in)) eof = true;
        }
    }

    /// Drops buf[0, from) by moving the rest to the front.
    void compact(std::size_t from) {
        if (from == 0) return;
        std::memmove(buf.data(), buf.data() + from, end - from);
        base += from;
        end -= from;
        pos -= from;
        beg = beg >= from ? beg - from : 0;
        w = w >= from ? w - from : 0;
        fs = fs >= from ? fs - from : 0;
        rec_end = rec_end >= from ? rec_end - from : 0;
    }

    void start() {
        started = true;
        while (end < 3 && !eof)
            read_more();
        if (end >= 3 && std::memcmp(buf.data(), "\xEF\xBB\xBF", 3) == 0) {
            pos = 3;
            if (enc == Encoding::detect) enc = Encoding::utf8;
        }
    }

    /// Picks the delimiter from the first line: the most frequent unquoted `,` `;` or tab. A
    /// quote opens a quoted field only at the start of a field, as in the scanner.
    void detect_delimiter(std::size_t from, std::size_t to) {
        std::size_t comma = 0, semi = 0, tab = 0;
        bool quoted = false;
        const auto separates = [](char c) { return c == ',' || c == ';' || c == '\t'; };
        for (std::size_t i = from; i < to; ++i) {
            const char c = buf[i];
            if (quoted) {
                if (c == '"' && i + 1 < to && buf[i + 1] == '"')
                    ++i; // a doubled quote
                else if (c == '"')
                    quoted = false;
                continue;
            }
            if (c == '"' && (i == from || separates(buf[i - 1])))
                quoted = true;
            else if (c == '"')
                continue;
            else if (c == ',')
                ++comma;
            else if (c == ';')
                ++semi;
            else if (c == '\t')
                ++tab;
        }
        const std::size_t best = std::max({comma, semi, tab});
        const int at_best = (comma == best) + (semi == best) + (tab == best);
        delim = ',';
        if (at_best == 1) delim = semi == best ? ';' : tab == best ? '\t' : ',';
    }

    /// Skips blank lines; false at end of input.
    bool skip_blank_lines() {
        for (;;) {
            if (pos == end) {
                if (eof) return false;
                compact(pos);
                read_more();
                continue;
            }
            const char c = buf[pos];
            if (c == '\n') {
                ++pos;
                ++line;
                continue;
            }
            if (c == '\r') {
                if (pos + 1 == end) {
                    if (!eof) {
                        compact(pos);
                        read_more();
                        continue;
                    }
                    ++pos; // a lone CR at the very end
                    continue;
                }
                if (buf[pos + 1] == '\n') {
                    pos += 2;
                    ++line;
                    continue;
                }
            }
            return true;
        }
    }

    bool next(CsvRecord& out) {
        if (!started) start();
        out.fields.clear();
        out.problem = RowProblem::none;
        if (!skip_blank_lines()) return false;
        beg = pos;
        out.line = line;

        // Bring the whole physical line into the buffer if it fits.
        const char* nl = nullptr;
        std::size_t scanned = pos;
        for (;;) {
            nl = static_cast<const char*>(std::memchr(buf.data() + scanned, '\n', end - scanned));
            if (nl || eof) break;
            scanned = end;
            if (beg > 0) {
                scanned -= beg;
                compact(beg);
            } else if (end == cap()) {
                break; // longer than the buffer: the general path grows it or discards
            }
            read_more();
        }
        const std::size_t line_end = nl ? static_cast<std::size_t>(nl - buf.data()) : end;
        if (delim == 0) detect_delimiter(beg, line_end);

        const char* quote =
            (nl || eof)
                ? static_cast<const char*>(std::memchr(buf.data() + beg, '"', line_end - beg))
                : nullptr;
        if ((nl || eof) && !quote) {
            fast_record(out, line_end);
            pos = nl ? line_end + 1 : end;
            if (nl) ++line;
        } else {
            // The fields before the one with the first quote are plain: split them the fast way.
            if (quote) {
                const char* from = buf.data() + beg;
                const void* last = memrchr(from, delim, static_cast<std::size_t>(quote - from));
                if (last) {
                    split_plain(from, static_cast<const char*>(last), delim, out.fields);
                    pos = static_cast<std::size_t>(static_cast<const char*>(last) + 1 - buf.data());
                }
            }
            general_record(out);
        }
        return true;
    }

    /// A whole line without quotes: split at the delimiter.
    void fast_record(CsvRecord& out, std::size_t line_end) {
        std::size_t stop = line_end;
        if (stop > beg && buf[stop - 1] == '\r') --stop;
        if (stop - beg > opt.max_record_bytes) {
            out.problem = RowProblem::too_long;
            return;
        }
        split_plain(buf.data() + beg, buf.data() + stop, delim, out.fields);
        const std::string_view text(buf.data() + beg, stop - beg);
        if (enc == Encoding::windows1252 || enc == Encoding::detect) {
            if (is_ascii(text.data(), text.size())) return;
            if (enc == Encoding::detect) decide_encoding(text);
            if (enc == Encoding::windows1252) {
                // Decode the line at once (its delimiters are ASCII and stay), then split again.
                if (scratch.size() < 3 * text.size() + 1) scratch.resize(3 * text.size() + 1);
                std::string_view decoded;
                if (!decode_to(text, 0, decoded)) {
                    out.problem = RowProblem::bad_encoding; // fields left raw
                    return;
                }
                out.fields.clear();
                split_plain(decoded.data(), decoded.data() + decoded.size(), delim, out.fields);
                return;
            }
        }
        if (!valid_utf8(text)) out.problem = RowProblem::bad_encoding;
    }

    /// Settles Encoding::detect at a text's first non-ASCII byte: UTF-8 if it starts a valid
    /// UTF-8 sequence there, else Windows-1252.
    void decide_encoding(std::string_view text) {
        const std::size_t i = first_non_ascii(text);
        if (i == std::string_view::npos) return;
        enc = utf8_sequence(text, i) != 0 ? Encoding::utf8 : Encoding::windows1252;
    }

    /// The first quote or LF at or after `from` (or end).
    std::size_t find_quote_or_lf(std::size_t from) const {
        const char* b = buf.data();
        std::size_t i = from;
#if defined(__SSE2__)
        const __m128i vq = _mm_set1_epi8('"');
        const __m128i vn = _mm_set1_epi8('\n');
        for (; i + 16 <= end; i += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
            const int m =
                _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, vq), _mm_cmpeq_epi8(v, vn)));
            if (m != 0)
                return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(m)));
        }
#endif
        if constexpr (std::endian::native == std::endian::little) {
            for (; i + 8 <= end; i += 8) {
                std::uint64_t w8;
                std::memcpy(&w8, b + i, 8);
                const std::uint64_t m =
                    bytes_equal(w8, kOnes * '"') | bytes_equal(w8, kOnes * '\n');
                if (m != 0) return i + static_cast<std::size_t>(std::countr_zero(m) >> 3);
            }
        }
        while (i < end && b[i] != '"' && b[i] != '\n')
            ++i;
        return i;
    }

    /// The first byte at or after `from` that is the delimiter, a quote, CR or LF (or end).
    std::size_t find_special(std::size_t from) const {
        const char* b = buf.data();
        std::size_t i = from;
#if defined(__SSE2__)
        const __m128i vd = _mm_set1_epi8(delim);
        const __m128i vq = _mm_set1_epi8('"');
        const __m128i vr = _mm_set1_epi8('\r');
        const __m128i vn = _mm_set1_epi8('\n');
        for (; i + 16 <= end; i += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
            const __m128i hit =
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vd), _mm_cmpeq_epi8(v, vq)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, vr), _mm_cmpeq_epi8(v, vn)));
            const int m = _mm_movemask_epi8(hit);
            if (m != 0)
                return i + static_cast<std::size_t>(std::countr_zero(static_cast<unsigned>(m)));
        }
#endif
        if constexpr (std::endian::native == std::endian::little) {
            const std::uint64_t pd = kOnes * static_cast<unsigned char>(delim);
            for (; i + 8 <= end; i += 8) {
                std::uint64_t w8;
                std::memcpy(&w8, b + i, 8);
                const std::uint64_t m = bytes_equal(w8, pd) | bytes_equal(w8, kOnes * '"') |
                                        bytes_equal(w8, kOnes * '\r') |
                                        bytes_equal(w8, kOnes * '\n');
                if (m != 0) return i + static_cast<std::size_t>(std::countr_zero(m) >> 3);
            }
        }
        while (i < end && !special[static_cast<unsigned char>(b[i])])
            ++i;
        return i;
    }

    void set_problem(RowProblem p) {
        if (prob == RowProblem::none) prob = p;
    }

    /// Runs the state machine from pos; true when the record is complete, false for more input.
    /// Works on local copies of the positions: stores through `char*` would otherwise make the
    /// compiler reload every member after each byte written.
    bool parse() {
        char* const b = buf.data();
        const std::size_t e = end;
        const char d = delim;
        const bool keep = !skip;
        std::size_t p = pos, wr = w, f = fs;
        std::uint64_t ln = line;
        State s = st;
        bool done = false;

        // (always_inline: as out-of-line calls these cost a tenth of the parse.)
        auto push = [&]() __attribute__((always_inline)) {
            if (keep) fields->emplace_back(b + f, wr - f);
        };
        // Ends the record at a line end of `len` bytes at p (0: end of input).
        auto finish = [&](std::size_t len) __attribute__((always_inline)) {
            push();
            rec_end = p;
            p += len;
            if (len > 0) ++ln;
            done = true;
        };

        for (;;) {
            if (s == State::field_start) {
                if (p == e) {
                    if (eof) finish(0); // an empty last field
                    break;
                }
                if (b[p] == '"') {
                    ++p;
                    f = wr = p;
                    s = State::quoted;
                } else {
                    f = wr = p;
                    s = State::unquoted;
                }
            }
            if (s == State::unquoted) {
                const std::size_t run = find_special(p);
                if (run != p) {
                    if (keep && wr != p) std::memmove(b + wr, b + p, run - p);
                    wr += run - p;
                    p = run;
                }
                if (p == e) {
                    if (eof) finish(0);
                    break;
                }
                const char c = b[p];
                if (c == d) {
                    push();
                    ++p;
                    s = State::field_start;
                    continue;
                }
                if (c == '\n') {
                    finish(1);
                    break;
                }
                if (c == '\r') {
                    if (p + 1 == e) {
                        if (eof) finish(1);
                        break;
                    }
                    if (b[p + 1] == '\n') {
                        finish(2);
                        break;
                    }
                } // else a quote inside an unquoted field: literal text (as Python's csv, Excel)
                if (keep) b[wr] = c;
                ++wr;
                ++p;
                continue;
            }
            if (s == State::quoted) {
                std::size_t stop = p;
                for (;;) { // to the next quote, counting line ends
                    stop = find_quote_or_lf(stop);
                    if (stop == e || b[stop] == '"') break;
                    ++ln;
                    ++stop;
                }
                if (keep && wr != p) std::memmove(b + wr, b + p, stop - p);
                wr += stop - p;
                p = stop;
                if (p == e) {
                    if (eof) {
                        set_problem(RowProblem::unterminated_quote);
                        finish(0);
                    }
                    break;
                }
                ++p;
                s = State::quoted_quote;
            }
            // quoted_quote: just after a quote inside a quoted field
            if (p == e) {
                if (eof) finish(0);
                break;
            }
            const char c = b[p];
            if (c == '"') { // a doubled quote
                shifted = true;
                if (keep) b[wr] = '"';
                ++wr;
                ++p;
                s = State::quoted;
                continue;
            }
            if (c == d) {
                push();
                ++p;
                s = State::field_start;
                continue;
            }
            if (c == '\n') {
                finish(1);
                break;
            }
            if (c == '\r') {
                if (p + 1 == e) {
                    if (eof) finish(1);
                    break;
                }
                if (b[p + 1] == '\n') {
                    finish(2);
                    break;
                }
            }
            // Text after the closing quote: keep it, read on as unquoted.
            shifted = true;
            set_problem(RowProblem::bad_quote);
            s = State::unquoted;
        }
        pos = p;
        w = wr;
        fs = f;
        line = ln;
        st = s;
        return done;
    }

    void enter_skip() {
        skip = true;
        prob = RowProblem::too_long;
        fields->clear();
    }

    /// Makes room and reads more input for a record that is not complete yet.
    void refill() {
        if (!skip && pos - beg > opt.max_record_bytes) enter_skip();
        if (skip) {
            compact(pos);
            w = fs = pos;
        } else {
            const char* old = buf.data() + beg;
            compact(beg);
            if (end == cap()) {
                // The record fills the buffer but is not too long yet: grow.
                const std::size_t max = opt.max_record_bytes;
                const std::size_t limit =
                    max > SIZE_MAX - kWriteChunk ? SIZE_MAX : max + kWriteChunk;
                buf.resize(std::max(cap() + 1, std::min(cap() * 2, limit)));
            }
            // The fields so far point into the record's old place.
            const char* now = buf.data() + beg;
            for (auto& v : *fields)
                v = std::string_view(now + (v.data() - old), v.size());
        }
        read_more();
    }

    void general_record(CsvRecord& out) {
        if (!special[static_cast<unsigned char>(delim)]) {
            special.fill(false);
            for (const char c : {delim, '"', '\r', '\n'})
                special[static_cast<unsigned char>(c)] = true;
        }
        st = State::field_start;
        w = fs = pos;
        skip = false;
        shifted = false;
        prob = RowProblem::none;
        fields = &out.fields;
        while (!parse())
            refill();
        if (!skip && rec_end - beg > opt.max_record_bytes) enter_skip();
        fields = nullptr;
        out.problem = prob;
        if (skip) return;
        // Without moved text the record's text is its fields split at ASCII bytes (quotes,
        // delimiters, line ends): valid UTF-8 exactly when they all are.
        check_encoding(out, std::string_view(buf.data() + beg, rec_end - beg), !shifted);
    }

    /// Checks or decodes a record's encoding. `text`: the record's bytes; `exact`: they are
    /// the fields' bytes with only ASCII between them.
    void check_encoding(CsvRecord& out, std::string_view text, bool exact) {
        if (exact && enc == Encoding::utf8) { // one pass, fast over ASCII
            if (!valid_utf8(text) && out.problem == RowProblem::none)
                out.problem = RowProblem::bad_encoding;
            return;
        }
        if (is_ascii(text.data(), text.size())) return;
        apply_encoding(out, exact ? text : std::string_view{});
    }

    /// Validates (UTF-8) or decodes (Windows-1252) a record that holds a non-ASCII byte.
    /// `plain`: the record's text when check_encoding() calls it exact, else empty.
    void apply_encoding(CsvRecord& out, std::string_view plain) {
        if (!plain.empty() && enc != Encoding::windows1252) {
            if (enc == Encoding::detect) decide_encoding(plain);
            if (enc == Encoding::utf8) {
                if (!valid_utf8(plain) && out.problem == RowProblem::none)
                    out.problem = RowProblem::bad_encoding;
                return;
            }
        }
        if (enc == Encoding::detect) {
            for (const auto field : out.fields) {
                decide_encoding(field);
                if (enc != Encoding::detect) break;
            }
            if (enc == Encoding::detect) return;
        }
        if (enc == Encoding::utf8) {
            for (const auto field : out.fields) {
                if (!valid_utf8(field)) {
                    if (out.problem == RowProblem::none) out.problem = RowProblem::bad_encoding;
                    return;
                }
            }
            return;
        }
        decode_windows1252(out);
    }

    /// Fills `cp1252` from glibc's iconv ("WINDOWS-1252" to "UTF-8"), one byte at a time:
    /// decoding then costs a table look-up per byte instead of an iconv() call per field.
    void load_windows1252() {
        iconv_t cd = iconv_open("UTF-8", "WINDOWS-1252");
        if (cd == reinterpret_cast<iconv_t>(-1))
            throw Error("cannot convert from Windows-1252: " + errno_text(errno),
                        ExitStatus::internal);
        for (std::size_t i = 0; i < 128; ++i) {
            char in_byte = static_cast<char>(0x80 + i);
            char* src = &in_byte;
            std::size_t src_left = 1;
            char* dst = cp1252[i].utf8.data();
            std::size_t dst_left = cp1252[i].utf8.size();
            iconv(cd, nullptr, nullptr, nullptr, nullptr);
            const bool ok =
                iconv(cd, &src, &src_left, &dst, &dst_left) != static_cast<std::size_t>(-1);
            cp1252[i].size = ok ? static_cast<unsigned char>(dst - cp1252[i].utf8.data()) : 0;
        }
        iconv_close(cd);
        cp1252_loaded = true;
    }

    /// Decodes Windows-1252 `text` into scratch at `at`, which must have room for three bytes
    /// per input byte plus one; false when `text` holds a byte that Windows-1252 leaves undefined.
    bool decode_to(std::string_view text, std::size_t at, std::string_view& decoded) {
        if (!cp1252_loaded) load_windows1252();
        char* const start = scratch.data() + at;
        char* o = start;
        for (const char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x80) {
                *o++ = c;
                continue;
            }
            const auto& e = cp1252[u - 0x80];
            if (e.size == 0) return false;
            std::memcpy(o, e.utf8.data(), 4);
            o += e.size;
        }
        decoded = std::string_view(start, static_cast<std::size_t>(o - start));
        return true;
    }

    /// Decodes each non-ASCII field; one with an undefined byte is left raw (bad_encoding).
    void decode_windows1252(CsvRecord& out) {
        // Size the scratch buffer first: views into it must not move. A byte becomes at most 3
        // (plus one: decode_to() copies four bytes at a time).
        non_ascii.resize(out.fields.size());
        std::size_t need = 0;
        for (std::size_t i = 0; i < out.fields.size(); ++i) {
            const auto field = out.fields[i];
            non_ascii[i] = !is_ascii(field.data(), field.size());
            if (non_ascii[i]) need += 3 * field.size();
        }
        if (scratch.size() < need + 1) scratch.resize(need + 1);
        std::size_t used = 0;
        for (std::size_t i = 0; i < out.fields.size(); ++i) {
            if (!non_ascii[i]) continue;
            std::string_view decoded;
            if (!decode_to(out.fields[i], used, decoded)) {
                if (out.problem == RowProblem::none) out.problem = RowProblem::bad_encoding;
                continue; // left raw
            }
            out.fields[i] = decoded;
            used += decoded.size();
        }
    }
};

CsvReader::CsvReader(std::FILE* in, CsvReadOptions options)
    : impl_(std::make_unique<Impl>(in, options)) {}
CsvReader::~CsvReader() = default;

bool CsvReader::next(CsvRecord& out) {
    return impl_->next(out);
}
char CsvReader::delimiter() const {
    return impl_->delim;
}
Encoding CsvReader::encoding() const {
    return impl_->enc;
}
std::uint64_t CsvReader::bytes_read() const {
    return impl_->base + impl_->pos;
}

// ---------------------------------------------------------------------------------------------
// Writer

CsvWriter::CsvWriter(std::FILE* out, char delimiter, bool neutralise_formulas,
                     std::string_view line_end)
    : out_(out), delimiter_(delimiter), neutralise_(neutralise_formulas), line_end_(line_end) {
    buffer_.resize(2 * kWriteChunk);
}

CsvWriter::~CsvWriter() {
    try {
        if (used_ > 0) flush();
    } catch (...) {
        // Best effort: callers that care call flush() themselves.
    }
}

void CsvWriter::write_buffer() {
    if (used_ == 0) return;
    const std::size_t n = std::fwrite(buffer_.data(), 1, used_, out_);
    const std::size_t wanted = used_;
    used_ = 0;
    if (n != wanted) throw IoError("cannot write the output: " + errno_text(errno));
}

void CsvWriter::flush() {
    write_buffer();
    if (std::fflush(out_) != 0) throw IoError("cannot write the output: " + errno_text(errno));
}

namespace {

/// Whether any byte of `w` is the delimiter (eight copies in `pd`), a quote, CR or LF.
inline bool word_needs_quotes(std::uint64_t w, std::uint64_t pd) {
    return (bytes_equal(w, pd) | bytes_equal(w, kOnes * '"') | bytes_equal(w, kOnes * '\r') |
            bytes_equal(w, kOnes * '\n')) != 0;
}

inline bool byte_needs_quotes(char c, char delimiter) {
    return c == delimiter || c == '"' || c == '\r' || c == '\n';
}

/// Copies `v` to `o` (which has room for it) and tells whether it holds the delimiter, a quote,
/// CR or LF. Short cells, the common case, are moved as one or two machine words.
inline bool copy_checking(char* o, std::string_view v, char delimiter) {
    const char* p = v.data();
    const std::size_t n = v.size();
    if constexpr (std::endian::native == std::endian::little) {
        const std::uint64_t pd = kOnes * static_cast<unsigned char>(delimiter);
        if (n >= 8 && n <= 16) {
            std::uint64_t a, b;
            std::memcpy(&a, p, 8);
            std::memcpy(&b, p + n - 8, 8);
            std::memcpy(o, &a, 8);
            std::memcpy(o + n - 8, &b, 8);
            return word_needs_quotes(a, pd) || word_needs_quotes(b, pd);
        }
        if (n >= 4 && n < 8) {
            std::uint32_t a, b;
            std::memcpy(&a, p, 4);
            std::memcpy(&b, p + n - 4, 4);
            std::memcpy(o, &a, 4);
            std::memcpy(o + n - 4, &b, 4);
            return word_needs_quotes(
                static_cast<std::uint64_t>(a) | (static_cast<std::uint64_t>(b) << 32), pd);
        }
        if (n > 16) {
            std::memcpy(o, p, n);
            std::size_t i = 0;
            for (; i + 8 <= n; i += 8) {
                std::uint64_t w;
                std::memcpy(&w, p + i, 8);
                if (word_needs_quotes(w, pd)) return true;
            }
            std::uint64_t w;
            std::memcpy(&w, p + n - 8, 8);
            return word_needs_quotes(w, pd);
        }
    }
    bool quote = false;
    for (std::size_t i = 0; i < n; ++i) {
        o[i] = p[i];
        quote = quote || byte_needs_quotes(p[i], delimiter);
    }
    return quote;
}

} // namespace

void CsvWriter::cell(std::string_view value) {
    // Worst case: delimiter, two quotes, an apostrophe and every byte doubled.
    const std::size_t worst = 2 * value.size() + 4;
    if (buffer_.size() - used_ < worst) [[unlikely]] {
        if (used_ >= kWriteChunk) write_buffer();
        if (buffer_.size() - used_ < worst) buffer_.resize(used_ + worst);
    }
    char* const start = buffer_.data();
    char* o = start + used_;
    row_blank_ = first_in_row_ && value.empty();
    if (!first_in_row_) *o++ = delimiter_;
    first_in_row_ = false;
    const bool guard =
        neutralise_ && !value.empty() && formula_start(value.front()) && is_formula_like(value);
    if (guard) *o++ = '\'';
    if (!copy_checking(o, value, delimiter_)) [[likely]] {
        used_ = static_cast<std::size_t>(o + value.size() - start);
        return;
    }
    // Quote it: rewrite the cell (and its guard) from where it started.
    if (guard) --o;
    *o++ = '"';
    if (guard) *o++ = '\'';
    for (const char c : value) {
        *o++ = c;
        if (c == '"') *o++ = '"';
    }
    *o++ = '"';
    used_ = static_cast<std::size_t>(o - start);
}

void CsvWriter::end_row() {
    if (buffer_.size() - used_ < line_end_.size() + 2) buffer_.resize(used_ + line_end_.size() + 2);
    if (row_blank_) { // a lone empty cell: an empty line would be read as no record at all
        buffer_[used_++] = '"';
        buffer_[used_++] = '"';
        row_blank_ = false;
    }
    std::memcpy(buffer_.data() + used_, line_end_.data(), line_end_.size());
    used_ += line_end_.size();
    first_in_row_ = true;
    if (used_ >= kWriteChunk) write_buffer();
}

void CsvWriter::write_row(std::span<const std::string_view> cells) {
    for (const auto c : cells)
        cell(c);
    end_row();
}

void CsvWriter::write_row(std::span<const std::string> cells) {
    for (const auto& c : cells)
        cell(c);
    end_row();
}

} // namespace claimreg
