#include "claimreg/xlsx_reader.hpp"

#include <strings.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <exception>
#include <iterator>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <expat.h>
#include <fmt/format.h>
#include <zip.h>

#include "claimreg/error.hpp"

namespace claimreg {

namespace {

constexpr std::size_t chunk_bytes = 1 << 18;
constexpr std::size_t max_columns = 16384; // XFD, the last column a workbook can have
// Bytes fed to the XML parser without a single element or text event: one token that large is
// not a workbook (and expat would hold all of it).
constexpr std::uint64_t max_token_bytes = 16 << 20;

[[noreturn]] void damaged(std::string_view part, std::string_view what) {
    throw DataError(fmt::format("not a readable xlsx workbook: {}: {}", part, what));
}

// The local part of an element or attribute name (`x:row` -> `row`). Names are matched without
// their namespaces: parsing without namespace processing is much faster, and the parts of a
// workbook do not reuse a local name with another meaning.
std::string_view local_name(const XML_Char* name) {
    const char* local = name;
    for (const char* p = name; *p != '\0'; ++p) {
        if (*p == ':') local = p + 1;
    }
    return local;
}

// An attribute by local name (namespace ignored), or nullptr.
const XML_Char* attribute(const XML_Char** atts, std::string_view local) {
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
        if (local_name(atts[i]) == local) return atts[i + 1];
    }
    return nullptr;
}

// A prefixed attribute (`r:id`, the relationships namespace's), or nullptr.
const XML_Char* relationship_attribute(const XML_Char** atts, std::string_view local) {
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
        const std::string_view name(atts[i]);
        if (local_name(atts[i]) == local && name.size() > local.size() && !name.starts_with("xmlns")) {
            return atts[i + 1];
        }
    }
    return nullptr;
}

// `name == literal`, for the short names of the sheet's elements, without a library call.
template <std::size_t N> bool is_name(std::string_view name, const char (&literal)[N]) {
    if (name.size() != N - 1) return false;
    for (std::size_t i = 0; i + 1 < N; ++i) {
        if (name[i] != literal[i]) return false;
    }
    return true;
}

// `std::string_view(s) == literal` for a C string.
template <std::size_t N> bool is_text(const char* s, const char (&literal)[N]) {
    for (std::size_t i = 0; i < N; ++i) {
        if (s[i] != literal[i]) return false; // the literal's own NUL too
    }
    return true;
}

// parse_unsigned() of a C string (an attribute value), without measuring it first.
std::optional<std::uint64_t> parse_unsigned(const char* s) {
    std::uint64_t v = 0;
    if (*s == '\0') return std::nullopt;
    for (; *s != '\0'; ++s) {
        if (*s < '0' || *s > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(*s - '0');
        if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// What receives a part's XML events.
class XmlHandler {
  public:
    virtual ~XmlHandler() = default;
    virtual void start(std::string_view name, const XML_Char** atts) = 0;
    virtual void end(std::string_view name) = 0;
    virtual void text(std::string_view) {}
};

// One zip entry inflated with the bounds of XlsxReadOptions: its size limit and the zip bomb
// ratio, checked on what it inflates to, not on what it declares.
class EntryStream {
  public:
    EntryStream(zip_t* archive, std::string name, std::uint64_t limit, const XlsxReadOptions& options)
        : name_(std::move(name)), limit_(limit), options_(options) {
        zip_stat_t st;
        zip_stat_init(&st);
        const zip_int64_t index = zip_name_locate(archive, name_.c_str(), 0);
        if (index < 0) damaged(name_, "missing");
        if (zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &st) != 0) {
            damaged(name_, "unreadable entry");
        }
        compressed_ = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
        declared_ = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
        file_ = zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0);
        if (file_ == nullptr) damaged(name_, zip_error_strerror(zip_get_error(archive)));
    }
    ~EntryStream() {
        if (file_ != nullptr) zip_fclose(file_);
    }
    EntryStream(const EntryStream&) = delete;
    EntryStream& operator=(const EntryStream&) = delete;

    // Inflates up to `size` bytes into `into`; 0 at the end of the entry.
    std::size_t read(char* into, std::size_t size) {
        const zip_int64_t n = zip_fread(file_, into, size);
        if (n < 0) damaged(name_, zip_error_strerror(zip_file_get_error(file_)));
        const auto got = static_cast<std::uint64_t>(n);
        inflated_ += got;
        if (inflated_ > limit_) damaged(name_, "larger than a workbook part may be");
        if (inflated_ > options_.ratio_checked_after &&
            inflated_ / options_.max_inflate_ratio > compressed_) {
            damaged(name_, fmt::format("inflates more than {} times its compressed size (a zip bomb)",
                                       options_.max_inflate_ratio));
        }
        return static_cast<std::size_t>(got);
    }

    std::uint64_t inflated() const { return inflated_; }
    // The size the archive declares (for progress only: a zip bomb declares a small one).
    std::uint64_t declared() const { return declared_; }

  private:
    std::string name_;
    std::uint64_t limit_;
    const XlsxReadOptions& options_;
    zip_file_t* file_ = nullptr;
    std::uint64_t compressed_ = 0;
    std::uint64_t declared_ = 0;
    std::uint64_t inflated_ = 0;
};

// A part's XML through expat, fed piece by piece, its events to a handler.
class XmlStream {
  public:
    XmlStream(std::string name, XmlHandler& handler) : name_(std::move(name)), handler_(handler) {
        parser_ = XML_ParserCreate(nullptr);
        if (parser_ == nullptr) throw std::bad_alloc();
        XML_SetUserData(parser_, this);
        XML_SetElementHandler(parser_, on_start, on_end);
        XML_SetCharacterDataHandler(parser_, on_text);
        // A workbook part never has a DTD: refusing one leaves no room for entity expansion.
        XML_SetStartDoctypeDeclHandler(parser_, on_doctype);
        XML_SetXmlDeclHandler(parser_, on_xml_decl);
    }
    ~XmlStream() { XML_ParserFree(parser_); }
    XmlStream(const XmlStream&) = delete;
    XmlStream& operator=(const XmlStream&) = delete;

    // Parses the next `size` bytes; `last` after the end of the part.
    void parse(const char* data, std::size_t size, bool last) {
        since_event_ += size;
        if (XML_Parse(parser_, data, static_cast<int>(size), last ? XML_TRUE : XML_FALSE) !=
            XML_STATUS_OK) {
            if (error_) std::rethrow_exception(error_);
            damaged(name_, fmt::format("XML error at line {}: {}",
                                       XML_GetCurrentLineNumber(parser_) + skipped_lines_,
                                       XML_ErrorString(XML_GetErrorCode(parser_))));
        }
        if (since_event_ > max_token_bytes) damaged(name_, "an XML token too large");
    }

    // Accounts for a stretch of balanced content (whole elements) parsed elsewhere and not fed
    // here: `lines` line ends, and events in it.
    void skipped(std::uint64_t lines) {
        skipped_lines_ += lines;
        since_event_ = 0;
    }

    // Whether the part declared itself as UTF-8 (an XML declaration without an encoding, or
    // with UTF-8): known once the declaration has been parsed.
    bool declared_utf8() const { return declared_utf8_; }

  private:
    template <typename F> static void guarded(void* self, F&& f) {
        auto* part = static_cast<XmlStream*>(self);
        if (part->error_) return;
        part->since_event_ = 0;
        try {
            f(*part);
        } catch (...) {
            part->error_ = std::current_exception();
            XML_StopParser(part->parser_, XML_FALSE);
        }
    }
    static void on_start(void* self, const XML_Char* name, const XML_Char** atts) {
        guarded(self, [&](XmlStream& p) { p.handler_.start(local_name(name), atts); });
    }
    static void on_end(void* self, const XML_Char* name) {
        guarded(self, [&](XmlStream& p) { p.handler_.end(local_name(name)); });
    }
    static void on_text(void* self, const XML_Char* s, int len) {
        guarded(self, [&](XmlStream& p) { p.handler_.text({s, static_cast<std::size_t>(len)}); });
    }
    static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        guarded(self, [](XmlStream& p) { damaged(p.name_, "a document type declaration"); });
    }
    static void on_xml_decl(void* self, const XML_Char*, const XML_Char* encoding, int) {
        auto* part = static_cast<XmlStream*>(self);
        part->declared_utf8_ = encoding == nullptr || ::strcasecmp(encoding, "UTF-8") == 0;
    }

    std::string name_;
    XmlHandler& handler_;
    XML_Parser parser_ = nullptr;
    std::uint64_t since_event_ = 0;
    std::uint64_t skipped_lines_ = 0;
    bool declared_utf8_ = false;
    std::exception_ptr error_;
};

// Reads a whole (small) part into `handler`.
void read_part(zip_t* archive, const std::string& name, std::uint64_t limit,
               const XlsxReadOptions& options, XmlHandler& handler) {
    EntryStream entry(archive, name, limit, options);
    XmlStream xml(name, handler);
    std::vector<char> buffer(chunk_bytes);
    for (;;) {
        const std::size_t n = entry.read(buffer.data(), buffer.size());
        xml.parse(buffer.data(), n, n == 0);
        if (n == 0) return;
    }
}

// `_rels/*.rels`: relationship id -> target, and targets by type.
struct Relationships final : XmlHandler {
    struct Entry {
        std::string id, type, target;
    };
    std::vector<Entry> entries;
    void start(std::string_view name, const XML_Char** atts) override {
        if (name != "Relationship") return;
        Entry e;
        if (const auto* v = attribute(atts, "Id")) e.id = v;
        if (const auto* v = attribute(atts, "Type")) e.type = v;
        if (const auto* v = attribute(atts, "Target")) e.target = v;
        entries.push_back(std::move(e));
    }
    void end(std::string_view) override {}
    // The first target whose type ends in `/suffix`, or empty.
    std::string of_type(std::string_view suffix) const {
        for (const auto& e : entries) {
            if (e.type.size() > suffix.size() && e.type.ends_with(suffix) &&
                e.type[e.type.size() - suffix.size() - 1] == '/')
                return e.target;
        }
        return {};
    }
    std::string of_id(std::string_view id) const {
        for (const auto& e : entries) {
            if (e.id == id) return e.target;
        }
        return {};
    }
};

// `xl/workbook.xml`: the sheets in order and the date system.
struct WorkbookPart final : XmlHandler {
    struct Sheet {
        std::string name, relationship;
    };
    std::vector<Sheet> sheets;
    bool date1904 = false;
    void start(std::string_view name, const XML_Char** atts) override {
        if (name == "workbookPr") {
            if (const auto* v = attribute(atts, "date1904")) {
                date1904 = std::string_view(v) == "1" || std::string_view(v) == "true";
            }
        } else if (name == "sheet") {
            Sheet s;
            if (const auto* v = attribute(atts, "name")) s.name = v;
            if (const auto* v = relationship_attribute(atts, "id")) s.relationship = v;
            sheets.push_back(std::move(s));
        }
    }
    void end(std::string_view) override {}
};

// `xl/styles.xml`: for each cell format (a cell's `s`), whether it shows a date.
struct StylesPart final : XmlHandler {
    std::vector<std::pair<unsigned, std::string>> custom; // numFmtId -> formatCode
    std::vector<unsigned> cell_formats;                   // cellXfs: xf -> numFmtId
    bool in_cell_xfs = false;
    void start(std::string_view name, const XML_Char** atts) override {
        if (name == "numFmt") {
            const auto* id = attribute(atts, "numFmtId");
            const auto* code = attribute(atts, "formatCode");
            if (id != nullptr && code != nullptr) {
                if (const auto n = parse_unsigned(id)) custom.emplace_back(static_cast<unsigned>(*n), code);
            }
        } else if (name == "cellXfs") {
            in_cell_xfs = true;
        } else if (name == "xf" && in_cell_xfs) {
            const auto* id = attribute(atts, "numFmtId");
            const auto n = id != nullptr ? parse_unsigned(id) : std::optional<std::uint64_t>(0);
            cell_formats.push_back(static_cast<unsigned>(n.value_or(0)));
        }
    }
    void end(std::string_view name) override {
        if (name == "cellXfs") in_cell_xfs = false;
    }
    std::vector<bool> date_styles() const {
        std::vector<bool> dates;
        for (const unsigned id : cell_formats) {
            std::string_view code;
            for (const auto& [cid, c] : custom) {
                if (cid == id) code = c;
            }
            dates.push_back(is_date_format(id, code));
        }
        return dates;
    }
};

// `xl/sharedStrings.xml`: every string's text (rich runs joined, phonetic runs left out).
struct SharedStringsPart final : XmlHandler {
    std::string all;                    // all strings, one after another
    std::vector<std::uint64_t> offsets; // where each starts; one more at the end
    int in_t = 0;
    int in_phonetic = 0;
    void start(std::string_view name, const XML_Char**) override {
        if (name == "si") offsets.push_back(all.size());
        else if (name == "t") ++in_t;
        else if (name == "rPh") ++in_phonetic;
    }
    void end(std::string_view name) override {
        if (name == "t") --in_t;
        else if (name == "rPh") --in_phonetic;
    }
    void text(std::string_view s) override {
        if (in_t > 0 && in_phonetic == 0 && !offsets.empty()) all += s;
    }
    // String `i`'s offset and size in `all`, or nullopt.
    std::optional<std::pair<std::size_t, std::size_t>> locate(std::uint64_t i) const {
        if (i >= offsets.size()) return std::nullopt;
        const std::uint64_t end = i + 1 < offsets.size() ? offsets[i + 1] : all.size();
        return std::pair<std::size_t, std::size_t>(static_cast<std::size_t>(offsets[i]),
                                                   static_cast<std::size_t>(end - offsets[i]));
    }
};

// A cell reference's column (`BC12` -> 54), or nullopt.
std::optional<std::size_t> reference_column(const char* ref) {
    std::size_t col = 0;
    std::size_t i = 0;
    for (; ref[i] >= 'A' && ref[i] <= 'Z'; ++i) {
        col = col * 26 + static_cast<std::size_t>(ref[i] - 'A' + 1);
        if (col > max_columns) return std::nullopt;
    }
    if (i == 0) return std::nullopt;
    return col - 1;
}

// Resolves a relationship target against the directory of the part that names it.
std::string resolve(std::string_view base_dir, std::string_view target) {
    if (!target.empty() && target.front() == '/') return std::string(target.substr(1));
    std::string dir(base_dir);
    while (target.starts_with("../")) {
        target.remove_prefix(3);
        if (!dir.empty()) dir.pop_back();
        const auto slash = dir.rfind('/');
        dir = slash == std::string::npos ? std::string() : dir.substr(0, slash + 1);
    }
    return dir + std::string(target);
}

std::string directory_of(std::string_view part) {
    const auto slash = part.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
}

// Appends the text of general_number_text(value) to `out`.
void append_general_number(std::string& out, double value) {
    if (value == 0) {
        out += '0';
    } else if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
        char digits[24];
        const auto r = std::to_chars(digits, digits + sizeof digits, static_cast<long long>(value));
        out.append(digits, r.ptr);
    } else {
        fmt::format_to(std::back_inserter(out), "{:.15g}", value);
    }
}

} // namespace

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
struct XlsxSource::Impl {
    enum class CellType : std::uint8_t { number, shared, inline_string, string, boolean, error, date };
    struct Cell {
        std::uint32_t column = 0;
        CellKind kind = CellKind::text;
        RowProblem problem = RowProblem::none;
        bool shared = false;    // the text is a shared string's, not the batch's
        std::size_t offset = 0; // of the text, in the batch's (or the shared strings') buffer
        std::size_t size = 0;
    };
    struct Row {
        std::uint64_t number = 0; // with `numbered`; else rows after the last before the batch
        bool numbered = false;
        std::size_t first = 0; // its cells in the batch
        std::size_t count = 0;
        bool too_long = false;
    };
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
    enum class PieceState : std::uint8_t { waiting, parsing, parsed, failed };
    struct Piece {
        std::vector<char> data; // its first `size` bytes
        std::size_t size = 0;
        bool rows = false;      // from one row start tag to another
        bool last = false;
        std::uint64_t inflated = 0;
        std::exception_ptr error; // inflating failed
        PieceState state = PieceState::waiting;
        std::unique_ptr<Batch> batch; // what a parse of its own gave
        std::uint64_t lines = 0;
    };
    static constexpr std::size_t piece_bytes = 512 << 10;
    static constexpr std::size_t max_piece_bytes = 4 << 20; // then cut anyway, for the sheet's parser
    static constexpr std::size_t queued_batches = 4;

    // The fixed context of a sheet's parse.
    struct Context {
        const XlsxReadOptions& options;
        const std::string& part;
        const SharedStringsPart& shared;
        const std::vector<bool>& date_style;
        bool date1904;
    };

    // The events of a stretch of sheet XML into a batch.
    struct Parser final : XmlHandler {
        explicit Parser(const Context& c) : ctx(c) {}
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
        void end_batch(Batch* next) {
            filling->end_row = last_row;
            filling->end_numbered = numbered;
            if (next != nullptr && in_row) {
                Batch& from = *filling;
                next->text.append(from.text, row_text_start);
                for (std::size_t i = row.first; i < from.cells.size(); ++i) {
                    Cell c = from.cells[i];
                    if (!c.shared) c.offset -= row_text_start;
                    next->cells.push_back(c);
                }
                from.text.resize(row_text_start);
                from.cells.resize(row.first);
                cell_start -= std::min(cell_start, row_text_start);
                row.first = 0;
                row_text_start = 0;
                if (!row.numbered) row.number = 0;
            } else {
                in_row = false;
                in_cell = false;
            }
            last_row = 0;
            numbered = false;
            filling = next;
        }

        void start(std::string_view name, const XML_Char** atts) override {
            if (is_name(name, "row")) {
                // Everything of a row starts here, whatever came before.
                in_row = true;
                in_cell = false;
                capture_v = capture_t = in_phonetic = 0;
                const auto* r = attribute(atts, "r");
                const auto number = r != nullptr ? parse_unsigned(r) : std::optional<std::uint64_t>();
                row = Row();
                if (number) {
                    row.number = *number;
                    row.numbered = true;
                } else {
                    row.number = last_row + 1;
                    row.numbered = numbered;
                }
                last_row = row.number;
                numbered = row.numbered;
                row.first = filling->cells.size();
                row_text_start = filling->text.size();
                next_column = 0;
                row_bytes = 0;
            } else if (is_name(name, "c") && in_row) {
                in_cell = true;
                capture_v = capture_t = in_phonetic = 0;
                cell = Cell();
                // One pass over the attributes: a cell is the most frequent element by far.
                const XML_Char* r = nullptr;
                const XML_Char* t = nullptr;
                const XML_Char* s = nullptr;
                for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
                    const XML_Char* a = atts[i];
                    // The names as producers write them (no prefix) first, the general case after.
                    if (a[0] != '\0' && a[1] == '\0') {
                        if (a[0] == 'r') r = atts[i + 1];
                        else if (a[0] == 't') t = atts[i + 1];
                        else if (a[0] == 's') s = atts[i + 1];
                        continue;
                    }
                    const std::string_view attr = local_name(a);
                    if (attr == "r") r = atts[i + 1];
                    else if (attr == "t") t = atts[i + 1];
                    else if (attr == "s") s = atts[i + 1];
                }
                std::optional<std::size_t> column =
                    r != nullptr ? reference_column(r) : std::optional<std::size_t>(next_column);
                if (!column || *column >= max_columns) damaged(ctx.part, "a cell reference out of range");
                cell.column = static_cast<std::uint32_t>(*column);
                next_column = *column + 1;
                cell_type = type_of(t);
                cell_style = static_cast<std::size_t>(s != nullptr ? parse_unsigned(s).value_or(0) : 0);
                cell_start = text().size();
                v_text.clear();
            } else if (in_cell) {
                if (is_name(name, "v")) ++capture_v;
                else if (is_name(name, "t")) ++capture_t;
                else if (is_name(name, "rPh")) ++in_phonetic;
            }
        }

        static CellType type_of(const XML_Char* t) {
            if (t == nullptr) return CellType::number;
            if (is_text(t, "s")) return CellType::shared;
            if (is_text(t, "inlineStr")) return CellType::inline_string;
            if (is_text(t, "str")) return CellType::string;
            if (is_text(t, "b")) return CellType::boolean;
            if (is_text(t, "e")) return CellType::error;
            if (is_text(t, "d")) return CellType::date;
            return CellType::number;
        }

        // Counts `size` more bytes of the row's text; false once the row is too long.
        bool count(std::size_t size) {
            row_bytes += size;
            if (row_bytes > ctx.options.max_row_bytes) row.too_long = true;
            return !row.too_long;
        }

        void text(std::string_view s) override {
            if (!in_cell || row.too_long) return;
            std::string* into =
                capture_v > 0 ? &v_text : (capture_t > 0 && in_phonetic == 0) ? &text() : nullptr;
            if (into == nullptr) return;
            if (!count(s.size())) return;
            into->append(s);
        }

        void end(std::string_view name) override {
            if (is_name(name, "c") && in_cell) {
                in_cell = false;
                if (!row.too_long) finish_cell();
                if (row.too_long) text().resize(cell_start);
            } else if (is_name(name, "row") && in_row) {
                in_row = false;
                row.count = filling->cells.size() - row.first;
                if (row.count > 0 || row.too_long) filling->rows.push_back(row);
            } else if (in_cell) {
                if (is_name(name, "v")) --capture_v;
                else if (is_name(name, "t")) --capture_t;
                else if (is_name(name, "rPh")) --in_phonetic;
            }
        }

        void finish_cell() {
            std::string& out = text();
            if (cell_type != CellType::inline_string) out.resize(cell_start); // only is/t text counts
            switch (cell_type) {
            case CellType::shared: {
                const auto index = parse_unsigned(v_text);
                if (!index) {
                    if (v_text.empty()) return;
                    damaged(ctx.part, "a shared string reference that is not a number");
                }
                const auto s = ctx.shared.locate(*index);
                if (!s) damaged(ctx.part, "a shared string reference out of range");
                if (!count(s->second)) return;
                cell.shared = true;
                cell.offset = s->first;
                cell.size = s->second;
                break;
            }
            case CellType::inline_string: break;
            case CellType::string: out += v_text; break;
            case CellType::boolean:
                if (v_text.empty()) return;
                cell.kind = CellKind::boolean;
                out += v_text == "1" || v_text == "true" ? "true" : "false";
                break;
            case CellType::error: cell.problem = RowProblem::error_value; break;
            case CellType::date:
                if (v_text.empty()) return;
                cell.kind = CellKind::date;
                // ISO 8601: a date, or a date-time whose midnight is left out.
                out += std::string_view(v_text).substr(
                    0, v_text.ends_with("T00:00:00") ? v_text.size() - 9 : v_text.size());
                break;
            case CellType::number: {
                if (v_text.empty()) return;
                double number = 0;
                const auto r = std::from_chars(v_text.data(), v_text.data() + v_text.size(), number);
                if (r.ec != std::errc() || r.ptr != v_text.data() + v_text.size()) {
                    damaged(ctx.part, "a number cell that holds no number");
                }
                if (cell_style < ctx.date_style.size() && ctx.date_style[cell_style]) {
                    cell.kind = CellKind::date;
                    out += serial_date_text(number, ctx.date1904);
                } else {
                    cell.kind = CellKind::number;
                    append_general_number(out, number);
                }
                break;
            }
            }
            if (!cell.shared) {
                cell.offset = cell_start;
                cell.size = out.size() - cell_start;
            }
            if (cell.size == 0 && cell.problem == RowProblem::none) return;
            filling->cells.push_back(cell);
        }
    };

    XlsxReadOptions options;
    zip_t* archive = nullptr;
    std::string sheet_name;
    std::string sheet_part;
    bool date1904 = false;
    std::vector<bool> date_style;
    SharedStringsPart shared;
    std::unique_ptr<EntryStream> sheet;
    std::uint64_t sheet_declared = 0;
    std::optional<Context> context;

    // The consumer's side: its header's width, and row numbers.
    std::size_t width = 0;
    bool header_seen = false;
    std::uint64_t batch_base = 0; // the last row number before `current`

    std::vector<std::thread> threads;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::unique_ptr<Piece>> pieces;  // in the sheet's order
    std::vector<std::vector<char>> spare_buffers;
    std::deque<std::unique_ptr<Batch>> batches, spare_batches;
    std::size_t max_pieces = 6;
    bool workers_wanted = true; // false: the sheet's parser reads every piece
    bool stopping = false;
    std::unique_ptr<Batch> current; // the consumer's batch
    std::size_t taken = 0;          // rows of `current` handed out
    bool ended = false;
    std::uint64_t bytes_seen = 0;

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl() {
        {
            const std::lock_guard lock(mutex);
            stopping = true;
        }
        changed.notify_all();
        for (auto& t : threads) t.join();
        sheet.reset();
        if (archive != nullptr) zip_discard(archive);
    }

    // Waits until `ready` or stopping (then false).
    template <typename Ready> bool wait_for(std::unique_lock<std::mutex>& lock, Ready ready) {
        changed.wait(lock, [&] { return stopping || ready(); });
        return !stopping;
    }

    std::unique_ptr<Batch> spare_batch() {
        std::unique_ptr<Batch> b;
        {
            const std::lock_guard lock(mutex);
            if (!spare_batches.empty()) {
                b = std::move(spare_batches.front());
                spare_batches.pop_front();
            }
        }
        if (b) b->clear();
        else b = std::make_unique<Batch>();
        return b;
    }

    static std::uint64_t lines_in(const char* data, std::size_t size) {
        std::uint64_t lines = 0;
        const char* p = data;
        const char* end = p + size;
        while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr) {
            ++lines;
            ++p;
        }
        return lines;
    }

    // Whether a `<` at `p` (with `end - p` bytes after it) starts a row's start tag; nullopt
    // when the name runs past `end`.
    static std::optional<bool> row_start_at(const char* p, const char* end) {
        const char* q = p + 1;
        const char* colon = nullptr;
        for (; q < end; ++q) {
            const char c = *q;
            if (c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r') break;
            if (c == ':') colon = q;
            if (q - p > 64) return false;
        }
        if (q == end) return std::nullopt;
        const char* local = colon != nullptr ? colon + 1 : p + 1;
        return q - local == 3 && local[0] == 'r' && local[1] == 'o' && local[2] == 'w';
    }

    // The inflating thread: the sheet's XML in pieces, cut at row start tags.
    void inflate() {
        constexpr std::size_t read_bytes = 64 << 10;
        std::vector<char> pending;  // from the last cut on: its first `used` bytes
        std::size_t used = 0;
        char before = '\0'; // the byte before pending's first (the end of the last piece)
        std::size_t scanned = 0;    // of pending, looked at for the first row (the head's end)
        bool head = true;           // pending starts at the sheet's start
        bool starts_at_row = false; // pending starts with a row start tag
        bool only_sequential = false;
        std::uint64_t position = 0; // of pending's start in the sheet
        const auto emit = [&](std::size_t size, bool rows, bool last, std::exception_ptr error) {
            auto piece = std::make_unique<Piece>();
            std::vector<char> next;
            {
                std::unique_lock lock(mutex);
                if (!wait_for(lock, [&] { return pieces.size() < max_pieces; })) return false;
                if (!spare_buffers.empty()) {
                    next = std::move(spare_buffers.back());
                    spare_buffers.pop_back();
                }
            }
            // The piece takes the buffer; what follows the cut (a few bytes) starts another.
            if (size > 0) before = pending[size - 1];
            const std::size_t rest = used - size;
            if (next.size() < rest + piece_bytes + read_bytes) next.resize(rest + piece_bytes + read_bytes);
            if (rest > 0) std::memcpy(next.data(), pending.data() + size, rest);
            piece->data = std::move(pending);
            piece->size = size;
            pending = std::move(next);
            used = rest;
            position += size;
            scanned = 0;
            head = false;
            piece->rows = rows && !only_sequential;
            piece->last = last;
            piece->inflated = sheet->inflated();
            piece->error = std::move(error);
            {
                const std::lock_guard lock(mutex);
                pieces.push_back(std::move(piece));
            }
            changed.notify_all();
            return true;
        };
        // Whether `<!` or `<?` (other than the XML declaration's) is in pending from `from` on.
        // Looks for the rare `!` and `?`, then at the byte before.
        const auto markup_from = [&](std::size_t from) {
            for (const char mark : {'!', '?'}) {
                for (std::size_t at = from; at < used;) {
                    const auto* hit = static_cast<const char*>(std::memchr(pending.data() + at, mark, used - at));
                    if (hit == nullptr) break;
                    const auto offset = static_cast<std::size_t>(hit - pending.data());
                    at = offset + 1;
                    if ((offset > 0 ? pending[offset - 1] : before) != '<') continue;
                    // The XML declaration, at the very start (after a byte order mark).
                    if (mark == '?' && position + offset <= 4) continue;
                    return true;
                }
            }
            return false;
        };
        pending.resize(piece_bytes + read_bytes);
        for (;;) {
            const std::size_t had = used;
            if (pending.size() < had + read_bytes) pending.resize(2 * (had + read_bytes));
            std::size_t n = 0;
            try {
                n = sheet->read(pending.data() + had, read_bytes);
            } catch (...) {
                emit(0, false, true, std::current_exception());
                return;
            }
            used += n;
            const bool end = n == 0;
            if (position == 0 && had == 0 && n > 0) {
                // Cutting needs UTF-8 (or ASCII): a sheet in UTF-16 is read whole, in order.
                const auto b = static_cast<unsigned char>(pending[0]);
                if (b != '<' && b != 0xEF) only_sequential = true;
            }
            if (!only_sequential && markup_from(had)) only_sequential = true;
            if (end) {
                emit(used, false, true, nullptr);
                return;
            }
            if (only_sequential) {
                if (used >= piece_bytes && !emit(used, false, false, nullptr)) return;
                continue;
            }
            const char* base = pending.data();
            const char* stop = base + used;
            if (head) {
                // The head: everything before the first row, for the sheet's parser.
                while (scanned < used) {
                    const char* p = static_cast<const char*>(std::memchr(base + scanned, '<', used - scanned));
                    if (p == nullptr) {
                        scanned = used;
                        break;
                    }
                    const auto row = row_start_at(p, stop);
                    if (!row) break; // the name is not all here yet
                    if (*row && p != base) {
                        if (!emit(static_cast<std::size_t>(p - base), false, false, nullptr)) return;
                        starts_at_row = true;
                        break;
                    }
                    scanned = static_cast<std::size_t>(p - base) + 1;
                }
                if (head && used >= max_piece_bytes) {
                    if (!emit(used, false, false, nullptr)) return;
                    starts_at_row = false;
                }
                continue;
            }
            if (used < piece_bytes) continue;
            // The last row start tag in pending: the cut.
            std::size_t cut = 0;
            for (const char* p = stop; p > base;) {
                p = static_cast<const char*>(::memrchr(base, '<', static_cast<std::size_t>(p - base)));
                if (p == nullptr || p == base) break;
                if (row_start_at(p, stop).value_or(false)) {
                    cut = static_cast<std::size_t>(p - base);
                    break;
                }
            }
            if (cut > 0) {
                if (!emit(cut, starts_at_row, false, nullptr)) return;
                starts_at_row = true;
            } else if (used >= max_piece_bytes) {
                // No row start tag in all that: the sheet's parser reads it as it comes.
                if (!emit(used, false, false, nullptr)) return;
                starts_at_row = false;
            }
        }
    }

    // A parsing thread: pieces of whole rows, each parsed on its own.
    void parse_pieces() {
        for (;;) {
            Piece* piece = nullptr;
            {
                std::unique_lock lock(mutex);
                if (!wait_for(lock, [&] {
                        if (!workers_wanted) return false;
                        for (auto& p : pieces) {
                            if (p->rows && p->state == PieceState::waiting) {
                                piece = p.get();
                                return true;
                            }
                        }
                        return false;
                    }))
                    return;
                piece->state = PieceState::parsing;
            }
            std::unique_ptr<Batch> batch = spare_batch();
            PieceState result = PieceState::parsed;
            try {
                Parser parser(*context);
                parser.filling = batch.get();
                XmlStream xml(sheet_part, parser);
                static constexpr std::string_view open = "<w>", close = "</w>";
                xml.parse(open.data(), open.size(), false);
                xml.parse(piece->data.data(), piece->size, false);
                xml.parse(close.data(), close.size(), true);
                parser.end_batch(nullptr);
                piece->lines = lines_in(piece->data.data(), piece->size);
            } catch (...) {
                result = PieceState::failed; // read again by the sheet's parser
            }
            {
                const std::lock_guard lock(mutex);
                piece->batch = std::move(batch);
                piece->state = result;
            }
            changed.notify_all();
        }
    }

    // The sheet's own parser: the pieces in order into batches for next().
    void parse_sheet() {
        std::unique_ptr<Batch> batch = spare_batch();
        const auto hand_over = [&](std::unique_ptr<Batch> b) {
            std::unique_lock lock(mutex);
            if (!wait_for(lock, [&] { return batches.size() < queued_batches; })) return false;
            batches.push_back(std::move(b));
            lock.unlock();
            changed.notify_all();
            return true;
        };
        Parser parser(*context);
        parser.filling = batch.get();
        try {
            XmlStream xml(sheet_part, parser);
            bool first = true;
            for (bool last = false; !last;) {
                std::unique_ptr<Piece> piece;
                {
                    std::unique_lock lock(mutex);
                    // The next piece, unless a parsing thread has it; one no thread has taken
                    // yet is this thread's.
                    if (!wait_for(lock, [&] {
                            return !pieces.empty() && pieces.front()->state != PieceState::parsing;
                        }))
                        return;
                    if (pieces.front()->state == PieceState::waiting) pieces.front()->state = PieceState::failed;
                    piece = std::move(pieces.front());
                    pieces.pop_front();
                }
                changed.notify_all();
                if (piece->error) std::rethrow_exception(piece->error);
                last = piece->last;
                if (piece->rows && piece->state == PieceState::parsed && workers_wanted) {
                    // Rows parsed on their own: the sheet's parser passes over them.
                    xml.skipped(piece->lines);
                    parser.end_batch(nullptr);
                    std::unique_ptr<Batch> own = std::move(piece->batch);
                    own->bytes = piece->inflated;
                    if (!hand_over(std::move(own))) return;
                    parser.filling = batch.get();
                } else {
                    xml.parse(piece->data.data(), piece->size, last);
                    if (first && !xml.declared_utf8()) {
                        const std::lock_guard lock(mutex);
                        workers_wanted = false;
                    }
                    batch->bytes = piece->inflated;
                    std::unique_ptr<Batch> next = last ? nullptr : spare_batch();
                    parser.end_batch(next.get());
                    if (last) batch->last = true;
                    if (!hand_over(std::move(batch))) return;
                    batch = std::move(next);
                    parser.filling = batch.get();
                }
                first = false;
                {
                    const std::lock_guard lock(mutex);
                    spare_buffers.push_back(std::move(piece->data));
                    if (piece->batch) spare_batches.push_back(std::move(piece->batch));
                }
                changed.notify_all();
            }
        } catch (...) {
            if (!batch) batch = std::make_unique<Batch>();
            batch->clear();
            batch->error = std::current_exception();
            batch->last = true;
            hand_over(std::move(batch));
        }
    }

    // The next non-empty row (in `current`), or nullptr at the end of the sheet.
    Row* next_row() {
        if (threads.empty()) {
            context.emplace(Context{options, sheet_part, shared, date_style, date1904});
            const unsigned cores = std::thread::hardware_concurrency();
            const unsigned workers = std::clamp(cores, 1u, 4u);
            max_pieces = 2 * workers + 2;
            threads.emplace_back([this] { inflate(); });
            threads.emplace_back([this] { parse_sheet(); });
            for (unsigned i = 0; i < workers; ++i) threads.emplace_back([this] { parse_pieces(); });
        }
        for (;;) {
            if (current && taken < current->rows.size()) return &current->rows[taken++];
            if (ended) return nullptr;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return !batches.empty(); });
                if (current) {
                    batch_base = current->end_numbered ? current->end_row : batch_base + current->end_row;
                    spare_batches.push_back(std::move(current));
                }
                current = std::move(batches.front());
                batches.pop_front();
            }
            changed.notify_all();
            taken = 0;
            bytes_seen = current->bytes;
            if (current->error) {
                ended = true;
                std::rethrow_exception(current->error);
            }
            ended = current->last;
        }
    }

    std::string_view text_of(const Cell& c) const {
        return c.shared ? std::string_view(shared.all).substr(c.offset, c.size)
                        : std::string_view(current->text).substr(c.offset, c.size);
    }

    void open(int fd) {
        const int own = ::dup(fd);
        if (own < 0) throw IoError("cannot read the workbook: " + errno_text(errno));
        int error = 0;
        archive = zip_fdopen(own, 0, &error);
        if (archive == nullptr) {
            ::close(own);
            if (error == ZIP_ER_NOZIP || error == ZIP_ER_INCONS) {
                throw DataError("not an xlsx workbook (not a zip archive)");
            }
            zip_error_t ze;
            zip_error_init_with_code(&ze, error);
            const std::string what = zip_error_strerror(&ze);
            zip_error_fini(&ze);
            if (error == ZIP_ER_READ || error == ZIP_ER_SEEK) throw IoError("cannot read the workbook: " + what);
            throw DataError("not a readable xlsx workbook: " + what);
        }
        Relationships package;
        std::string workbook = "xl/workbook.xml";
        if (zip_name_locate(archive, "_rels/.rels", 0) >= 0) {
            read_part(archive, "_rels/.rels", options.max_part_bytes, options, package);
            const std::string target = package.of_type("officeDocument");
            if (!target.empty()) workbook = resolve("", target);
        }
        if (zip_name_locate(archive, workbook.c_str(), 0) < 0) {
            throw DataError("not an xlsx workbook (no workbook part)");
        }
        WorkbookPart book;
        read_part(archive, workbook, options.max_part_bytes, options, book);
        date1904 = book.date1904;
        const std::string dir = directory_of(workbook);
        const std::string rels_name = dir + "_rels/" + workbook.substr(dir.size()) + ".rels";
        Relationships rels;
        read_part(archive, rels_name, options.max_part_bytes, options, rels);
        if (book.sheets.empty()) damaged(workbook, "no worksheet");

        const WorkbookPart::Sheet* chosen = nullptr;
        if (options.sheet.empty()) {
            chosen = &book.sheets.front();
        } else {
            for (const auto& s : book.sheets) {
                if (s.name == options.sheet) chosen = &s;
            }
            if (chosen == nullptr) {
                const auto n = parse_unsigned(options.sheet);
                if (n && *n >= 1 && *n <= book.sheets.size()) chosen = &book.sheets[*n - 1];
            }
            if (chosen == nullptr) {
                throw UsageError(fmt::format("no worksheet of that name or number (the workbook "
                                             "has {} worksheet{})",
                                             book.sheets.size(), book.sheets.size() == 1 ? "" : "s"));
            }
        }
        sheet_name = chosen->name;
        const std::string target = rels.of_id(chosen->relationship);
        if (target.empty()) damaged(workbook, "a worksheet without its part");
        sheet_part = resolve(dir, target);

        if (const std::string styles = rels.of_type("styles"); !styles.empty()) {
            StylesPart part;
            read_part(archive, resolve(dir, styles), options.max_part_bytes, options, part);
            date_style = part.date_styles();
        }
        if (const std::string strings = rels.of_type("sharedStrings"); !strings.empty()) {
            read_part(archive, resolve(dir, strings), options.max_shared_strings_bytes, options, shared);
        }
        sheet = std::make_unique<EntryStream>(archive, sheet_part, options.max_sheet_bytes, options);
        sheet_declared = sheet->declared();
    }
};

XlsxSource::XlsxSource(int fd, const XlsxReadOptions& options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    if (impl_->options.max_inflate_ratio == 0) impl_->options.max_inflate_ratio = 1;
    impl_->open(fd);
}

XlsxSource::~XlsxSource() = default;

const std::string& XlsxSource::sheet_name() const { return impl_->sheet_name; }

bool XlsxSource::next(CsvRecord& out) {
    Impl& m = *impl_;
    const Impl::Row* row = m.next_row();
    if (row == nullptr) return false;
    out.line = row->numbered ? row->number : m.batch_base + row->number;
    out.problem = RowProblem::none;
    out.problem_column = CsvRecord::no_column;
    if (row->too_long) out.problem = RowProblem::too_long;
    const auto first = m.current->cells.begin() + static_cast<std::ptrdiff_t>(row->first);
    const auto last = first + static_cast<std::ptrdiff_t>(row->count);
    const auto by_column = [](const Impl::Cell& a, const Impl::Cell& b) { return a.column < b.column; };
    if (!std::is_sorted(first, last, by_column)) std::stable_sort(first, last, by_column);
    if (!m.header_seen) {
        m.header_seen = true;
        m.width = first == last ? 0 : std::prev(last)->column + std::size_t{1};
    }
    out.fields.assign(m.width, std::string_view());
    out.kinds.assign(m.width, CellKind::text);
    std::size_t previous = CsvRecord::no_column;
    for (auto c = first; c != last; ++c) {
        const auto flag = [&](RowProblem p) {
            if (out.problem != RowProblem::none) return;
            out.problem = p;
            out.problem_column = c->column;
        };
        if (c->column == previous) flag(RowProblem::cell_twice);
        previous = c->column;
        if (c->problem != RowProblem::none) flag(c->problem);
        if (c->column >= m.width) {
            flag(RowProblem::beyond_header);
            continue;
        }
        out.fields[c->column] = m.text_of(*c);
        out.kinds[c->column] = c->kind;
    }
    return true;
}

std::uint64_t XlsxSource::bytes_read() const { return impl_->bytes_seen; }

std::uint64_t XlsxSource::sheet_size() const { return impl_->sheet_declared; }

std::string XlsxSource::column_name(std::size_t index) const { return column_letters(index); }

std::string XlsxSource::row_name(std::uint64_t line) const { return fmt::format("row {}", line); }

std::string column_letters(std::size_t index) {
    std::string letters;
    for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) {
        letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
    }
    return letters;
}

namespace {

// `YYYY-MM-DD` of a date in years 1900 to 9999, digit by digit (a workbook has many).
std::string date_text(const std::chrono::year_month_day& d) {
    const auto y = static_cast<unsigned>(static_cast<int>(d.year()));
    const auto m = static_cast<unsigned>(d.month());
    const auto day = static_cast<unsigned>(d.day());
    const auto digit = [](unsigned v) { return static_cast<char>('0' + v % 10); };
    const char text[10] = {digit(y / 1000), digit(y / 100), digit(y / 10), digit(y), '-',
                           digit(m / 10),   digit(m),       '-',           digit(day / 10), digit(day)};
    return std::string(text, sizeof text);
}

} // namespace

std::string serial_date_text(double serial, bool date1904) {
    using namespace std::chrono;
    if (!std::isfinite(serial) || serial < 0 || serial >= 2958466) return general_number_text(serial);
    auto whole = static_cast<long>(std::floor(serial));
    auto seconds_of_day = static_cast<long>(std::llround((serial - static_cast<double>(whole)) * 86400.0));
    if (seconds_of_day >= 86400) {
        ++whole;
        seconds_of_day -= 86400;
    }
    std::string date;
    if (date1904) {
        date = date_text(year_month_day{sys_days(year{1904} / January / 1) + days(whole)});
    } else if (whole == 60) {
        date = "1900-02-29"; // Lotus 1-2-3's leap day, kept by Excel: not a real date
    } else if (whole == 0) {
        date = "1900-01-00";
    } else {
        // Day 1 is 1900-01-01; from day 61 on the fictitious 29 February is counted.
        date = date_text(year_month_day{sys_days(year{1899} / December / 31) + days(whole < 60 ? whole : whole - 1)});
    }
    if (seconds_of_day == 0) return date;
    return fmt::format("{}T{:02}:{:02}:{:02}", date, seconds_of_day / 3600, seconds_of_day / 60 % 60,
                       seconds_of_day % 60);
}

bool is_date_format(unsigned id, std::string_view code) {
    if ((id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
        (id >= 50 && id <= 58))
        return true;
    if (id < 164 || code.empty()) return false;
    bool quoted = false;
    for (std::size_t i = 0; i < code.size(); ++i) {
        const char c = code[i];
        if (quoted) {
            quoted = c != '"';
            continue;
        }
        switch (c) {
        case '"': quoted = true; break;
        case '\\':
        case '_':
        case '*': ++i; break; // the next character is literal (or padding)
        case '[': {
            // `[h]`, `[mm]`, `[ss]` are elapsed time; `[Red]`, `[$-409]` are not dates.
            const auto close = code.find(']', i);
            if (close == std::string_view::npos) return false;
            const std::string_view inside = code.substr(i + 1, close - i - 1);
            if (!inside.empty() && inside.find_first_not_of("hHmMsS") == std::string_view::npos) return true;
            i = close;
            break;
        }
        case 'd': case 'D': case 'm': case 'M': case 'y': case 'Y':
        case 'h': case 'H': case 's': case 'S':
            return true;
        default: break;
        }
    }
    return false;
}

std::string general_number_text(double value) {
    std::string text;
    append_general_number(text, value);
    return text;
}

} // namespace claimreg
