#pragma once
// The xlsx reader's workbook and worksheet, shared by its pieces: what the workbook says (the
// chosen sheet, the date system and date styles, the shared strings), the rows and cells of the
// sheet in batches, the parser that turns sheet XML into them, and the worksheet stream.
//
// The worksheet stream, in stages on threads of their own with bounded queues between them:
//
// - inflating (zlib) the sheet's XML and cutting it into pieces at row start tags;
// - parsing the pieces that run from one row start tag to another (whole rows) with a parser
//   each, on as many threads as there are cores (up to four), as fragments of their own;
// - the sheet's own parser, which reads everything else in order (the head before the first
//   row, the end, and every piece whose parse failed) and passes over the rows parsed in
//   pieces, and which hands out the batches of rows in the sheet's order;
// - next(), handing out the rows of a batch.
//
// Cutting at row start tags is sound: in well-formed XML a `<` is always the start of markup,
// never part of text or of an attribute value, except in comments, CDATA sections and
// processing instructions. So while no `<!` or `<?` has been seen (the XML declaration aside),
// a `<row` is a row's start tag in content, a piece from one to the next is a run of whole
// elements, and parsing it on its own gives the events the sheet's own parser would get. From
// the first `<!` or `<?` on, and for a sheet not in UTF-8, everything goes to the sheet's own
// parser. A piece whose parse fails is parsed again there, which reports the error in the
// sheet's terms (or, had the piece been cut wrongly, simply reads it right).
//
// A batch keeps every cell's text in one buffer; the text of a shared string stays in the
// shared strings and is only referred to. Pieces and batches go back to be reused.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "claimreg/csv.hpp"
#include "claimreg/xlsx_reader.hpp"
#include "xlsx_archive.hpp"

namespace claimreg::xlsx {

// `xl/sharedStrings.xml`: every string's text (rich runs joined, phonetic runs left out).
struct SharedStringsPart final : XmlHandler {
    std::string all;                    // all strings, one after another
    std::vector<std::uint64_t> offsets; // where each starts; one more at the end
    int in_t = 0;
    int in_phonetic = 0;
    void start(std::string_view name, const char**) override;
    void end(std::string_view name) override;
    void text(std::string_view s) override;
    // String `i`'s offset and size in `all`, or nullopt.
    std::optional<std::pair<std::size_t, std::size_t>> locate(std::uint64_t i) const {
        if (i >= offsets.size()) return std::nullopt;
        const std::uint64_t end = i + 1 < offsets.size() ? offsets[i + 1] : all.size();
        return std::pair<std::size_t, std::size_t>(static_cast<std::size_t>(offsets[i]),
                                                   static_cast<std::size_t>(end - offsets[i]));
    }
};

/// What the workbook says about the sheet to read.
struct Workbook {
    std::string sheet_name;
    std::string sheet_part; ///< the worksheet's part in the archive
    bool date1904 = false;
    std::vector<bool> date_style; ///< per cell format (a cell's `s`): whether it shows a date
    SharedStringsPart shared;
};

/// Reads the workbook's relationships, worksheets, styles and shared strings and chooses
/// `options.sheet`. Throws DataError for a damaged workbook, UsageError when no sheet matches.
void read_workbook(zip_t* archive, const XlsxReadOptions& options, Workbook& out);

// A cell's type, as its `t` attribute gives it.
enum class CellType : std::uint8_t { number, shared, inline_string, string, boolean, error, date };
// A cell of a batch: where its text is, and what a typed source knew of it.
struct Cell {
    std::uint32_t column = 0;
    CellKind kind = CellKind::text;
    RowProblem problem = RowProblem::none;
    bool shared = false;    // the text is a shared string's, not the batch's
    std::size_t offset = 0; // of the text, in the batch's (or the shared strings') buffer
    std::size_t size = 0;
};
// A row of a batch: its number and its cells.
struct Row {
    std::uint64_t number = 0; // with `numbered`; else rows after the last before the batch
    bool numbered = false;
    std::size_t first = 0; // its cells in the batch
    std::size_t count = 0;
    bool too_long = false;
};
// Rows handed out together, in the sheet's order, with every cell's text in one buffer.
struct Batch {
    std::string text;
    std::vector<Cell> cells;
    std::vector<Row> rows;
    // The last row number at the end of the batch (empty rows count): with `end_numbered`,
    // else as rows after the last before the batch.
    std::uint64_t end_row = 0;
    bool end_numbered = false;
    std::uint64_t bytes = 0; // inflated so far
    bool last = false;
    std::exception_ptr error;
    void clear() {
        text.clear();
        cells.clear();
        rows.clear();
        end_row = 0;
        end_numbered = false;
        bytes = 0;
        last = false;
        error = nullptr;
    }
};
// Where a piece of the sheet's XML is: waiting for a parsing thread, being parsed, parsed on
// its own, or (failed, or never taken) for the sheet's own parser.
enum class PieceState : std::uint8_t { waiting, parsing, parsed, failed };
// A stretch of the sheet's inflated XML, cut at row start tags when `rows`.
struct Piece {
    std::vector<char> data; // its first `size` bytes
    std::size_t size = 0;
    bool rows = false; // from one row start tag to another
    bool last = false;
    std::uint64_t inflated = 0;
    std::exception_ptr error; // inflating failed
    PieceState state = PieceState::waiting;
    std::unique_ptr<Batch> batch; // what a parse of its own gave
    std::uint64_t lines = 0;
};
constexpr std::size_t piece_bytes = 512 << 10;
constexpr std::size_t max_piece_bytes = 4 << 20; // then cut anyway, for the sheet's parser
constexpr std::size_t queued_batches = 4;

// The fixed context of a sheet's parse.
struct Context {
    const XlsxReadOptions& options;
    const std::string& part;
    const SharedStringsPart& shared;
    const std::vector<bool>& date_style;
    bool date1904;
};

// The events of a stretch of sheet XML into a batch: rows, and each cell as the text a
// spreadsheet shows.
struct SheetParser final : XmlHandler {
    explicit SheetParser(const Context& c) : ctx(c) {}
    const Context& ctx;
    Batch* filling = nullptr;
    bool in_row = false;
    bool in_cell = false;
    std::uint64_t last_row = 0; // as Row::number, with `numbered`
    bool numbered = false;
    std::size_t next_column = 0;
    std::size_t row_bytes = 0;
    std::size_t row_text_start = 0;
    std::size_t cell_start = 0; // where the cell's text starts in filling->text
    Row row;
    Cell cell;
    CellType cell_type = CellType::number;
    std::size_t cell_style = 0;
    std::string v_text;
    int capture_v = 0;
    int capture_t = 0;
    int in_phonetic = 0;

    std::string& text() { return filling->text; }

    // Ends the batch: its last row number (a row still open carries on into `next`, which
    // starts counting after it).
    void end_batch(Batch* next);
    void start(std::string_view name, const char** atts) override;
    void text(std::string_view s) override;
    void end(std::string_view name) override;

  private:
    // Counts `size` more bytes of the row's text; false once the row is too long.
    bool count(std::size_t size);
    // The cell's text from its type, value and style, into the batch.
    void finish_cell();
};

/// Appends the text of general_number_text(value) to `out`.
void append_general_number(std::string& out, double value);

} // namespace claimreg::xlsx

namespace claimreg {

// The worksheet stream (see the top of this file); xlsx_stream.cpp.
struct XlsxSource::Impl {
    XlsxReadOptions options;
    zip_t* archive = nullptr;
    xlsx::Workbook book;
    std::unique_ptr<xlsx::EntryStream> sheet;
    std::uint64_t sheet_declared = 0;
    std::optional<xlsx::Context> context;

    // The consumer's side: its header's width, and row numbers.
    std::size_t width = 0;
    bool header_seen = false;
    std::uint64_t batch_base = 0; // the last row number before `current`

    std::vector<std::thread> threads;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::unique_ptr<xlsx::Piece>> pieces; // in the sheet's order
    std::vector<std::vector<char>> spare_buffers;
    std::deque<std::unique_ptr<xlsx::Batch>> batches, spare_batches;
    std::size_t max_pieces = 6;
    bool workers_wanted = true; // false: the sheet's parser reads every piece
    bool stopping = false;
    std::unique_ptr<xlsx::Batch> current; // the consumer's batch
    std::size_t taken = 0;                // rows of `current` handed out
    bool ended = false;
    std::uint64_t bytes_seen = 0;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl();

    // Opens the workbook on `fd`, reads what it says and opens the sheet's part.
    void open(int fd);
    // Starts the stream's threads: the sheet is read while the caller gets ready for its rows
    // (a new registry's schema), its first rows waiting in bounded queues.
    void start();
    // The next non-empty row (in `current`), or nullptr at the end of the sheet.
    xlsx::Row* next_row();
    std::string_view text_of(const xlsx::Cell& c) const {
        return c.shared ? std::string_view(book.shared.all).substr(c.offset, c.size)
                        : std::string_view(current->text).substr(c.offset, c.size);
    }

  private:
    // Waits until `ready` or stopping (then false).
    template <typename Ready> bool wait_for(std::unique_lock<std::mutex>& lock, Ready ready) {
        changed.wait(lock, [&] { return stopping || ready(); });
        return !stopping;
    }
    std::unique_ptr<xlsx::Batch> spare_batch();
    // The inflating thread: the sheet's XML in pieces, cut at row start tags.
    void inflate();
    // A parsing thread: pieces of whole rows, each parsed on its own.
    void parse_pieces();
    // Parses a piece of whole rows on its own into its batch: parsed, or failed (for the
    // sheet's parser to read in order).
    xlsx::PieceState parse_piece(xlsx::Piece& piece);
    // The sheet's own parser: the pieces in order into batches for next().
    void parse_sheet();
};

} // namespace claimreg
