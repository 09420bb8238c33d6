// The CSV reader: its input buffer, blank lines, the delimiter and lines without quotes (the
// quote-aware parser is csv_parse.cpp; see csv_reader_impl.hpp).

#include "claimreg/csv.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "claimreg/error.hpp"
#include "csv_reader_impl.hpp"

namespace claimreg {

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

namespace {

constexpr std::size_t read_chunk_bytes = std::size_t{1} << 20;

/// The delimiter of a header line: the most frequent unquoted `,` `;` or tab; a comma on a tie
/// or when there is none. A quote opens a quoted field only at the start of a field, as in the
/// parser.
char detect_delimiter(std::string_view line) {
    std::size_t comma = 0, semicolon = 0, tab = 0;
    bool quoted = false;
    const auto separates = [](char c) { return c == ',' || c == ';' || c == '\t'; };
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
                ++i; // a doubled quote
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '"' && (i == 0 || separates(line[i - 1])))
            quoted = true;
        else if (c == ',')
            ++comma;
        else if (c == ';')
            ++semicolon;
        else if (c == '\t')
            ++tab;
    }
    const std::size_t best = std::max({comma, semicolon, tab});
    const int at_best = (comma == best) + (semicolon == best) + (tab == best);
    if (at_best != 1) return ',';
    return semicolon == best ? ';' : tab == best ? '\t' : ',';
}

} // namespace

CsvReader::Impl::Impl(std::FILE* f, CsvReadOptions o)
    : in(f), options(o), delimiter(o.delimiter), decoder(o.encoding) {
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r')
        throw ValueError("the delimiter cannot be a quote or a line end");
    if (options.max_record_bytes == 0) options.max_record_bytes = 1;
    buffer.resize(read_chunk_bytes);
}

void CsvReader::Impl::read_more() {
    if (at_eof || end == capacity()) return;
    const std::size_t want = capacity() - end;
    const std::size_t n = std::fread(buffer.data() + end, 1, want, in);
    end += n;
    if (n < want) {
        if (std::ferror(in)) throw IoError("cannot read the input: " + errno_text(errno));
        if (n == 0 || std::feof(in)) at_eof = true;
    }
}

void CsvReader::Impl::compact(std::size_t from) {
    if (from == 0) return;
    std::memmove(buffer.data(), buffer.data() + from, end - from);
    buffer_offset += from;
    end -= from;
    pos -= from;
    for (std::size_t* at : {&record_start, &field_write, &field_begin, &record_text_end})
        *at = *at >= from ? *at - from : 0;
}

void CsvReader::Impl::start() {
    started = true;
    const std::size_t bom = csv_decode::utf8_bom.size();
    while (end < bom && !at_eof)
        read_more();
    if (std::string_view(buffer.data(), end).starts_with(csv_decode::utf8_bom)) {
        pos = bom;
        decoder.settle(csv_decode::utf8_bom);
    }
}

inline bool CsvReader::Impl::skip_blank_lines() {
    for (;;) {
        if (pos == end) {
            if (at_eof) return false;
            compact(pos);
            read_more();
            continue;
        }
        const char c = buffer[pos];
        if (c == '\n') {
            ++pos;
            ++line;
            continue;
        }
        if (c == '\r') {
            if (pos + 1 == end) {
                if (!at_eof) {
                    compact(pos);
                    read_more();
                    continue;
                }
                ++pos; // a lone CR at the very end
                continue;
            }
            if (buffer[pos + 1] == '\n') {
                pos += 2;
                ++line;
                continue;
            }
        }
        return true;
    }
}

inline const char* CsvReader::Impl::load_line() {
    std::size_t scanned = pos;
    for (;;) {
        const auto* lf =
            static_cast<const char*>(std::memchr(buffer.data() + scanned, '\n', end - scanned));
        if (lf || at_eof) return lf;
        scanned = end;
        if (record_start > 0) {
            scanned -= record_start;
            compact(record_start);
        } else if (end == capacity()) {
            return nullptr; // longer than the buffer: the parser grows it or discards
        }
        read_more();
    }
}

bool CsvReader::Impl::next(CsvRecord& out) {
    if (!started) start();
    out.fields.clear();
    out.problem = RowProblem::none;
    if (!skip_blank_lines()) return false;
    record_start = pos;
    out.line = line;

    const char* lf = load_line();
    const bool whole_line = lf || at_eof;
    const std::size_t line_end = lf ? static_cast<std::size_t>(lf - buffer.data()) : end;
    char* const text = buffer.data() + record_start;
    if (delimiter == 0)
        delimiter = detect_delimiter(std::string_view(text, line_end - record_start));
    const char* quote =
        whole_line ? static_cast<const char*>(std::memchr(text, '"', line_end - record_start))
                   : nullptr;
    if (whole_line && !quote) {
        read_plain_line(out, line_end);
        pos = lf ? line_end + 1 : end;
        if (lf) ++line;
        return true;
    }
    // The fields before the one with the first quote are plain: split them the fast way.
    if (quote) {
        const void* last = memrchr(text, delimiter, static_cast<std::size_t>(quote - text));
        if (last) {
            csv_scan::split_plain(text, static_cast<const char*>(last), delimiter, out.fields);
            pos = static_cast<std::size_t>(static_cast<const char*>(last) + 1 - buffer.data());
        }
    }
    parse_quoted(out);
    return true;
}

inline void CsvReader::Impl::read_plain_line(CsvRecord& out, std::size_t line_end) {
    std::size_t stop = line_end;
    if (stop > record_start && buffer[stop - 1] == '\r') --stop;
    if (stop - record_start > options.max_record_bytes) {
        out.problem = RowProblem::too_long;
        return;
    }
    const char* text = buffer.data() + record_start;
    csv_scan::split_plain(text, buffer.data() + stop, delimiter, out.fields);
    out.problem =
        decoder.decode_line(std::string_view(text, stop - record_start), delimiter, out.fields);
}

CsvReader::CsvReader(std::FILE* in, CsvReadOptions options)
    : impl_(std::make_unique<Impl>(in, options)) {}
CsvReader::~CsvReader() = default;

bool CsvReader::next(CsvRecord& out) {
    return impl_->next(out);
}
char CsvReader::delimiter() const {
    return impl_->delimiter;
}
Encoding CsvReader::encoding() const {
    return impl_->decoder.encoding();
}
std::uint64_t CsvReader::bytes_read() const {
    return impl_->buffer_offset + impl_->pos;
}

} // namespace claimreg
