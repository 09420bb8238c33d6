#pragma once
// The CSV reader's state, shared by its two halves: csv_reader.cpp (the input buffer, blank
// lines, the delimiter and lines without quotes) and csv_parse.cpp (the quote-aware parser).
//
// The input is read in 1 MiB chunks into `buffer`. A record is parsed in place: unquoted fields
// and quoted fields without doubled quotes are views straight into the buffer; a doubled quote
// is collapsed by moving the rest of its field left (in place). A record that does not fit is
// moved to the front of the buffer before the next read; the buffer grows up to
// max_record_bytes, and a longer record is scanned and discarded. RecordDecoder validates or
// decodes what is read.
//
// A record takes one of three paths:
// - a physical line without quotes, entirely in the buffer (the common case): found with
//   memchr, split at the delimiter in one pass (read_plain_line);
// - a line with a quote: the fields before the one holding the first quote are split the same
//   way, the rest is read by the quote-aware parser (parse_quoted);
// - a line longer than the buffer: the quote-aware parser from its start.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string_view>
#include <vector>

#include "claimreg/csv.hpp"
#include "csv_decode.hpp"
#include "csv_scan.hpp"

namespace claimreg {

struct CsvReader::Impl {
    Impl(std::FILE* f, CsvReadOptions o);

    /// Reads the next record (CsvReader::next).
    bool next(CsvRecord& out);

    std::FILE* in;
    CsvReadOptions options;
    char delimiter = 0; ///< 0 until the header line has been seen (when not given)
    csv_decode::RecordDecoder decoder;

    std::vector<char> buffer;
    std::size_t record_start = 0; ///< the current record's first byte
    std::size_t pos = 0;          ///< next byte to parse
    std::size_t end = 0;          ///< end of the bytes read
    bool at_eof = false;
    bool started = false;
    std::uint64_t buffer_offset = 0; ///< input offset of buffer[0]
    std::uint64_t line = 1;          ///< physical line of buffer[pos]

    // csv_reader.cpp: the input and the plain path (the per-record steps inlined into next()).
    std::size_t capacity() const { return buffer.size(); }
    /// Reads more input after `end`; sets at_eof at end of input. Throws IoError.
    void read_more();
    /// Drops buffer[0, from) by moving the rest to the front.
    void compact(std::size_t from);
    /// Skips a UTF-8 BOM, which settles the encoding as UTF-8.
    void start();
    /// Skips blank lines; false at end of input.
    [[gnu::always_inline]] inline bool skip_blank_lines();
    /// Brings the record's whole physical line into the buffer if it fits; the LF ending it,
    /// or null (at end of input, or the line is longer than the buffer).
    [[gnu::always_inline]] inline const char* load_line();
    /// A whole line without quotes: split at the delimiter and decode.
    [[gnu::always_inline]] inline void read_plain_line(CsvRecord& out, std::size_t line_end);

    // csv_parse.cpp: the quote-aware parser, and its state, kept across refills.

    /// Where the parser is within a field.
    enum class State { field_start, unquoted, quoted, after_quote };
    /// What a parsing step leaves to do.
    enum class Step { go_on, need_input, record_done };

    State state = State::field_start;
    std::size_t field_write = 0;     ///< where the current field's next byte goes
    std::size_t field_begin = 0;     ///< the current field's first byte
    std::size_t record_text_end = 0; ///< end of the record's text (before its line end)
    bool discarding = false;         ///< too long: scanning past the rest of the record
    bool text_moved = false; ///< a doubled quote moved field text: the record's bytes changed
    RowProblem problem = RowProblem::none;
    std::vector<std::string_view>* fields = nullptr; ///< the record being filled
    std::optional<csv_scan::SpecialBytes> special;   ///< once the delimiter is known

    /// Reads the rest of the record from pos, then decodes it.
    void parse_quoted(CsvRecord& out);
    /// Runs the parser from pos; true when the record is complete, false for more input.
    bool parse();
    /// Makes room and reads more input for a record that is not complete yet.
    void refill();
    void note_problem(RowProblem p);
    void start_discarding();

    // The parser works on a Cursor, a local copy of its positions: stores through `char*`
    // would otherwise make the compiler reload every member after each byte written. Its steps
    // are always inlined into parse(): as out-of-line calls they cost a tenth of the parse.
    struct Cursor {
        char* bytes;
        std::size_t end;
        bool keep;         ///< fields are kept (not discarding)
        std::size_t at;    ///< next byte to parse
        std::size_t write; ///< where the field's next byte goes
        std::size_t field; ///< the field's first byte
        std::uint64_t line;
        State state;
    };
    [[gnu::always_inline]] inline void push_field(const Cursor& c);
    /// Ends the record at a line end of `size` bytes at c.at (0: the end of input).
    [[gnu::always_inline]] inline Step finish_record(Cursor& c, std::size_t size);
    /// Copies [c.at, to) to the field's write position and moves on to `to`.
    [[gnu::always_inline]] inline void take_run(Cursor& c, std::size_t to);
    /// At the end of the bytes read: a record without a line end finishes at end of input.
    [[gnu::always_inline]] inline Step at_end_of_bytes(Cursor& c);
    /// At a field's end: the delimiter starts the next field; a line end finishes the record.
    /// go_on with the state unchanged: c.at is a lone CR or other text.
    [[gnu::always_inline]] inline Step field_end(Cursor& c);
    /// The steps of each State.
    [[gnu::always_inline]] inline Step start_field(Cursor& c);
    [[gnu::always_inline]] inline Step unquoted_text(Cursor& c);
    [[gnu::always_inline]] inline Step quoted_text(Cursor& c);
    /// Just after a quote inside a quoted field: a doubled quote, or the field's end.
    [[gnu::always_inline]] inline Step after_quote(Cursor& c);
};

} // namespace claimreg
