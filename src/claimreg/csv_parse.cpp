// The CSV reader's quote-aware parser: fields, quoting and row problems (see csv_reader_impl.hpp).

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "csv_reader_impl.hpp"

namespace claimreg {

namespace {

constexpr std::size_t grow_margin_bytes = std::size_t{64} << 10;

} // namespace

void CsvReader::Impl::parse_quoted(CsvRecord& out) {
    if (!special) special.emplace(delimiter);
    state = State::field_start;
    field_write = field_begin = pos;
    discarding = false;
    text_moved = false;
    problem = RowProblem::none;
    fields = &out.fields;
    while (!parse())
        refill();
    if (!discarding && record_text_end - record_start > options.max_record_bytes)
        start_discarding();
    fields = nullptr;
    out.problem = problem;
    if (discarding) return;
    const RowProblem encoding = decoder.decode_record(
        std::string_view(buffer.data() + record_start, record_text_end - record_start), !text_moved,
        out.fields);
    if (out.problem == RowProblem::none) out.problem = encoding;
}

void CsvReader::Impl::note_problem(RowProblem p) {
    if (problem == RowProblem::none) problem = p;
}

void CsvReader::Impl::start_discarding() {
    discarding = true;
    problem = RowProblem::too_long;
    fields->clear();
}

void CsvReader::Impl::refill() {
    if (!discarding && pos - record_start > options.max_record_bytes) start_discarding();
    if (discarding) {
        compact(pos);
        field_write = field_begin = pos;
    } else {
        const char* old = buffer.data() + record_start;
        compact(record_start);
        if (end == capacity()) {
            // The record fills the buffer but is not too long yet: grow.
            const std::size_t max = options.max_record_bytes;
            const std::size_t limit =
                max > SIZE_MAX - grow_margin_bytes ? SIZE_MAX : max + grow_margin_bytes;
            buffer.resize(std::max(capacity() + 1, std::min(capacity() * 2, limit)));
        }
        // The fields so far point into the record's old place.
        const char* now = buffer.data() + record_start;
        for (auto& v : *fields)
            v = std::string_view(now + (v.data() - old), v.size());
    }
    read_more();
}

inline void CsvReader::Impl::push_field(const Cursor& c) {
    if (c.keep) fields->emplace_back(c.bytes + c.field, c.write - c.field);
}

inline auto CsvReader::Impl::finish_record(Cursor& c, std::size_t size) -> Step {
    push_field(c);
    record_text_end = c.at;
    c.at += size;
    if (size > 0) ++c.line;
    return Step::record_done;
}

inline void CsvReader::Impl::take_run(Cursor& c, std::size_t to) {
    if (c.keep && c.write != c.at) std::memmove(c.bytes + c.write, c.bytes + c.at, to - c.at);
    c.write += to - c.at;
    c.at = to;
}

inline auto CsvReader::Impl::at_end_of_bytes(Cursor& c) -> Step {
    return at_eof ? finish_record(c, 0) : Step::need_input;
}

inline auto CsvReader::Impl::field_end(Cursor& c) -> Step {
    const char ch = c.bytes[c.at];
    if (ch == delimiter) {
        push_field(c);
        ++c.at;
        c.state = State::field_start;
        return Step::go_on;
    }
    if (ch == '\n') return finish_record(c, 1);
    if (ch == '\r') {
        if (c.at + 1 == c.end) return at_eof ? finish_record(c, 1) : Step::need_input;
        if (c.bytes[c.at + 1] == '\n') return finish_record(c, 2);
    }
    return Step::go_on;
}

inline auto CsvReader::Impl::start_field(Cursor& c) -> Step {
    if (c.at == c.end) {
        c.field = c.write = c.at; // an empty last field, not the one before it again
        return at_end_of_bytes(c);
    }
    if (c.bytes[c.at] == '"') {
        ++c.at;
        c.state = State::quoted;
    } else {
        c.state = State::unquoted;
    }
    c.field = c.write = c.at;
    return Step::go_on;
}

inline auto CsvReader::Impl::unquoted_text(Cursor& c) -> Step {
    take_run(c, csv_scan::find_special(c.bytes, c.at, c.end, *special));
    if (c.at == c.end) return at_end_of_bytes(c);
    const Step step = field_end(c);
    if (step != Step::go_on || c.state != State::unquoted) return step;
    // A lone CR, or a quote inside an unquoted field: literal text (as Python's csv, Excel).
    if (c.keep) c.bytes[c.write] = c.bytes[c.at];
    ++c.write;
    ++c.at;
    return Step::go_on;
}

inline auto CsvReader::Impl::quoted_text(Cursor& c) -> Step {
    std::size_t stop = c.at;
    for (;;) { // to the next quote, counting line ends
        stop = csv_scan::find_quote_or_lf(c.bytes, stop, c.end);
        if (stop == c.end || c.bytes[stop] == '"') break;
        ++c.line;
        ++stop;
    }
    take_run(c, stop);
    if (c.at == c.end) {
        if (!at_eof) return Step::need_input;
        note_problem(RowProblem::unterminated_quote);
        return finish_record(c, 0);
    }
    ++c.at;
    c.state = State::after_quote;
    return Step::go_on;
}

inline auto CsvReader::Impl::after_quote(Cursor& c) -> Step {
    if (c.at == c.end) return at_end_of_bytes(c);
    if (c.bytes[c.at] == '"') { // a doubled quote
        text_moved = true;
        if (c.keep) c.bytes[c.write] = '"';
        ++c.write;
        ++c.at;
        c.state = State::quoted;
        return Step::go_on;
    }
    const Step step = field_end(c);
    if (step != Step::go_on || c.state != State::after_quote) return step;
    // Text after the closing quote: keep it, read on as unquoted.
    text_moved = true;
    note_problem(RowProblem::bad_quote);
    c.state = State::unquoted;
    return Step::go_on;
}

bool CsvReader::Impl::parse() {
    Cursor c{buffer.data(), end, !discarding, pos, field_write, field_begin, line, state};
    Step step = Step::go_on;
    while (step == Step::go_on) {
        switch (c.state) {
        case State::field_start:
            step = start_field(c);
            break;
        case State::unquoted:
            step = unquoted_text(c);
            break;
        case State::quoted:
            step = quoted_text(c);
            break;
        case State::after_quote:
            step = after_quote(c);
            break;
        }
    }
    pos = c.at;
    field_write = c.write;
    field_begin = c.field;
    line = c.line;
    state = c.state;
    return step == Step::record_done;
}

} // namespace claimreg
