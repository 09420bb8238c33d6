// The CSV writer (RFC 4180 quoting, CRLF rows) and the spreadsheet-formula guard.

#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "claimreg/csv.hpp"
#include "claimreg/error.hpp"
#include "claimreg/text.hpp"
#include "csv_scan.hpp"

namespace claimreg {

namespace {

constexpr std::size_t write_chunk_bytes = std::size_t{64} << 10;

bool formula_start(char c) {
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/// ^[+-]?[0-9]+([.,][0-9]+)?$
bool plain_number(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t int_start = i;
    while (i < s.size() && is_ascii_digit(s[i]))
        ++i;
    if (i == int_start) return false;
    if (i == s.size()) return true;
    if (s[i] != '.' && s[i] != ',') return false;
    ++i;
    const std::size_t frac_start = i;
    while (i < s.size() && is_ascii_digit(s[i]))
        ++i;
    return i > frac_start && i == s.size();
}

} // namespace

bool is_formula_like(std::string_view cell) {
    if (cell.empty() || !formula_start(cell.front())) return false;
    return !plain_number(cell);
}

std::string_view strip_formula_guard(std::string_view cell) {
    if (cell.size() >= 2 && cell[0] == '\'' && formula_start(cell[1])) return cell.substr(1);
    return cell;
}

CsvWriter::CsvWriter(std::FILE* out, char delimiter, bool neutralise_formulas,
                     std::string_view line_end)
    : out_(out), delimiter_(delimiter), neutralise_(neutralise_formulas), line_end_(line_end) {
    buffer_.resize(2 * write_chunk_bytes);
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

inline bool byte_needs_quotes(char c, char delimiter) {
    return c == delimiter || c == '"' || c == '\r' || c == '\n';
}

/// Copies `v` to `o` (which has room for it) and tells whether it holds the delimiter, a quote,
/// CR or LF. Short cells, the common case, are moved as one or two machine words.
inline bool copy_checking(char* o, std::string_view v, char delimiter) {
    const char* p = v.data();
    const std::size_t n = v.size();
    if constexpr (std::endian::native == std::endian::little) {
        const std::uint64_t pd = csv_scan::broadcast(delimiter);
        if (n >= 8 && n <= 16) {
            std::uint64_t a, b;
            std::memcpy(&a, p, 8);
            std::memcpy(&b, p + n - 8, 8);
            std::memcpy(o, &a, 8);
            std::memcpy(o + n - 8, &b, 8);
            return csv_scan::word_needs_quotes(a, pd) || csv_scan::word_needs_quotes(b, pd);
        }
        if (n >= 4 && n < 8) {
            std::uint32_t a, b;
            std::memcpy(&a, p, 4);
            std::memcpy(&b, p + n - 4, 4);
            std::memcpy(o, &a, 4);
            std::memcpy(o + n - 4, &b, 4);
            return csv_scan::word_needs_quotes(
                static_cast<std::uint64_t>(a) | (static_cast<std::uint64_t>(b) << 32), pd);
        }
        if (n > 16) {
            std::memcpy(o, p, n);
            std::size_t i = 0;
            for (; i + 8 <= n; i += 8) {
                std::uint64_t w;
                std::memcpy(&w, p + i, 8);
                if (csv_scan::word_needs_quotes(w, pd)) return true;
            }
            std::uint64_t w;
            std::memcpy(&w, p + n - 8, 8);
            return csv_scan::word_needs_quotes(w, pd);
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
        if (used_ >= write_chunk_bytes) write_buffer();
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
    if (used_ >= write_chunk_bytes) write_buffer();
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
