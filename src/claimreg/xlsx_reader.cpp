#include "claimreg/xlsx_reader.hpp"

#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
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

// One zip entry streamed through expat, with the bounds of XlsxReadOptions.
class XmlPart {
  public:
    XmlPart(zip_t* archive, std::string name, std::uint64_t limit, const XlsxReadOptions& options,
            XmlHandler& handler)
        : name_(std::move(name)), limit_(limit), options_(options), handler_(handler) {
        zip_stat_t st;
        zip_stat_init(&st);
        const zip_int64_t index = zip_name_locate(archive, name_.c_str(), 0);
        if (index < 0) damaged(name_, "missing");
        if (zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &st) != 0) {
            damaged(name_, "unreadable entry");
        }
        compressed_ = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
        file_ = zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0);
        if (file_ == nullptr) damaged(name_, zip_error_strerror(zip_get_error(archive)));
        parser_ = XML_ParserCreate(nullptr);
        if (parser_ == nullptr) throw std::bad_alloc();
        XML_SetUserData(parser_, this);
        XML_SetElementHandler(parser_, on_start, on_end);
        XML_SetCharacterDataHandler(parser_, on_text);
        // A workbook part never has a DTD: refusing one leaves no room for entity expansion.
        XML_SetStartDoctypeDeclHandler(parser_, on_doctype);
    }
    ~XmlPart() {
        if (parser_ != nullptr) XML_ParserFree(parser_);
        if (file_ != nullptr) zip_fclose(file_);
    }
    XmlPart(const XmlPart&) = delete;
    XmlPart& operator=(const XmlPart&) = delete;

    // Feeds the next chunk; false once the part has been read to its end.
    bool feed() {
        if (done_) return false;
        std::vector<char>& buf = buffer_;
        const zip_int64_t n = zip_fread(file_, buf.data(), buf.size());
        if (n < 0) damaged(name_, zip_error_strerror(zip_file_get_error(file_)));
        const auto got = static_cast<std::uint64_t>(n);
        inflated_ += got;
        if (inflated_ > limit_) damaged(name_, "larger than a workbook part may be");
        if (inflated_ > options_.ratio_checked_after &&
            inflated_ / options_.max_inflate_ratio > compressed_) {
            damaged(name_, fmt::format("inflates more than {} times its compressed size (a zip bomb)",
                                       options_.max_inflate_ratio));
        }
        since_event_ += got;
        const bool last = n == 0;
        if (XML_Parse(parser_, buf.data(), static_cast<int>(n), last ? XML_TRUE : XML_FALSE) !=
            XML_STATUS_OK) {
            if (error_) std::rethrow_exception(error_);
            damaged(name_, fmt::format("XML error at line {}: {}", XML_GetCurrentLineNumber(parser_),
                                       XML_ErrorString(XML_GetErrorCode(parser_))));
        }
        if (since_event_ > max_token_bytes) damaged(name_, "an XML token too large");
        done_ = last;
        return !done_;
    }

    void read_all() {
        while (feed()) {
        }
    }

    std::uint64_t inflated() const { return inflated_; }

  private:
    template <typename F> static void guarded(void* self, F&& f) {
        auto* part = static_cast<XmlPart*>(self);
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
        guarded(self, [&](XmlPart& p) { p.handler_.start(local_name(name), atts); });
    }
    static void on_end(void* self, const XML_Char* name) {
        guarded(self, [&](XmlPart& p) { p.handler_.end(local_name(name)); });
    }
    static void on_text(void* self, const XML_Char* s, int len) {
        guarded(self, [&](XmlPart& p) { p.handler_.text({s, static_cast<std::size_t>(len)}); });
    }
    static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
        guarded(self, [](XmlPart& p) { damaged(p.name_, "a document type declaration"); });
    }

    std::string name_;
    std::uint64_t limit_;
    const XlsxReadOptions& options_;
    XmlHandler& handler_;
    zip_file_t* file_ = nullptr;
    XML_Parser parser_ = nullptr;
    std::uint64_t compressed_ = 0;
    std::uint64_t inflated_ = 0;
    std::uint64_t since_event_ = 0;
    std::exception_ptr error_;
    std::vector<char> buffer_ = std::vector<char>(chunk_bytes);
    bool done_ = false;
};

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
    std::optional<std::string_view> at(std::uint64_t i) const {
        if (i >= offsets.size()) return std::nullopt;
        const std::uint64_t end = i + 1 < offsets.size() ? offsets[i + 1] : all.size();
        return std::string_view(all).substr(offsets[i], end - offsets[i]);
    }
};

// A cell reference's column (`BC12` -> 54), or nullopt.
std::optional<std::size_t> reference_column(std::string_view ref) {
    std::size_t col = 0;
    std::size_t i = 0;
    for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z'; ++i) {
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

} // namespace

// The worksheet stream: cells gathered per row, finished rows queued for next().
struct XlsxSource::Impl final : XmlHandler {
    struct Cell {
        std::size_t column = 0;
        CellKind kind = CellKind::text;
        std::string value;
        RowProblem problem = RowProblem::none;
    };
    struct Row {
        std::uint64_t number = 0;
        std::vector<Cell> cells;
        bool too_long = false;
    };

    XlsxReadOptions options;
    zip_t* archive = nullptr;
    std::string sheet_name;
    std::string sheet_part;
    bool date1904 = false;
    std::vector<bool> date_style;
    SharedStringsPart shared;
    std::unique_ptr<XmlPart> sheet;

    // Parsing state.
    std::deque<Row> finished;
    Row row;
    bool in_row = false;
    bool in_cell = false;
    std::uint64_t last_row = 0;
    std::size_t next_column = 0;
    std::size_t row_bytes = 0;
    Cell cell;
    std::string cell_type;
    std::size_t cell_style = 0;
    std::string v_text;
    std::string is_text;
    int capture_v = 0;
    int capture_t = 0;
    int in_phonetic = 0;

    // The record handed out last, and its width (the header's).
    std::vector<std::string> values;
    std::size_t width = 0;
    bool header_seen = false;

    // Parsing (inflate and XML, most of the work) runs on a thread of its own, a bounded queue
    // of row batches ahead of next().
    struct Batch {
        std::vector<Row> rows;
        std::uint64_t bytes = 0; // inflated so far
        bool last = false;
        std::exception_ptr error;
    };
    static constexpr std::size_t batch_rows = 256;
    static constexpr std::size_t queued_batches = 8;
    std::thread parsing;
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<Batch> batches;
    bool stopping = false;
    Batch current;           // the consumer's batch
    std::size_t taken = 0;   // rows of `current` handed out
    bool ended = false;
    std::uint64_t bytes_seen = 0;

    ~Impl() override {
        if (parsing.joinable()) {
            {
                const std::lock_guard lock(mutex);
                stopping = true;
            }
            changed.notify_all();
            parsing.join();
        }
        sheet.reset();
        if (archive != nullptr) zip_discard(archive);
    }

    // The parsing thread: batches of non-empty rows until the end, an error or stopping.
    void parse() {
        Batch batch;
        const auto hand_over = [&](Batch& b) {
            std::unique_lock lock(mutex);
            changed.wait(lock, [&] { return batches.size() < queued_batches || stopping; });
            if (stopping) return false;
            batches.push_back(std::move(b));
            changed.notify_all();
            return true;
        };
        try {
            for (bool more = true; more;) {
                more = sheet->feed();
                for (auto& r : finished) {
                    if (!r.cells.empty() || r.too_long) batch.rows.push_back(std::move(r));
                }
                finished.clear();
                if (batch.rows.size() >= batch_rows) {
                    batch.bytes = sheet->inflated();
                    if (!hand_over(batch)) return;
                    batch = Batch();
                }
            }
            batch.bytes = sheet->inflated();
        } catch (...) {
            batch.error = std::current_exception();
        }
        batch.last = true;
        hand_over(batch);
    }

    void start(std::string_view name, const XML_Char** atts) override {
        if (name == "row") {
            in_row = true;
            row = Row();
            const auto* r = attribute(atts, "r");
            const auto number = r != nullptr ? parse_unsigned(r) : std::optional<std::uint64_t>();
            row.number = number.value_or(last_row + 1);
            row.cells.reserve(32);
            last_row = row.number;
            next_column = 0;
            row_bytes = 0;
        } else if (name == "c" && in_row) {
            in_cell = true;
            cell = Cell();
            // One pass over the attributes: a cell is the most frequent element by far.
            const XML_Char* r = nullptr;
            const XML_Char* t = nullptr;
            const XML_Char* s = nullptr;
            for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
                const std::string_view attr = local_name(atts[i]);
                if (attr == "r") r = atts[i + 1];
                else if (attr == "t") t = atts[i + 1];
                else if (attr == "s") s = atts[i + 1];
            }
            std::optional<std::size_t> column =
                r != nullptr ? reference_column(r) : std::optional<std::size_t>(next_column);
            if (!column || *column >= max_columns) damaged(sheet_part, "a cell reference out of range");
            cell.column = *column;
            next_column = *column + 1;
            cell_type = t != nullptr ? t : "n";
            cell_style = static_cast<std::size_t>(s != nullptr ? parse_unsigned(s).value_or(0) : 0);
            v_text.clear();
            is_text.clear();
        } else if (in_cell) {
            if (name == "v") ++capture_v;
            else if (name == "t") ++capture_t;
            else if (name == "rPh") ++in_phonetic;
        }
    }

    void text(std::string_view s) override {
        if (!in_cell) return;
        std::string* into = capture_v > 0 ? &v_text : (capture_t > 0 && in_phonetic == 0) ? &is_text : nullptr;
        if (into == nullptr) return;
        row_bytes += s.size();
        if (row_bytes > options.max_row_bytes) {
            row.too_long = true;
            return;
        }
        *into += s;
    }

    void end(std::string_view name) override {
        if (name == "c" && in_cell) {
            in_cell = false;
            if (!row.too_long) finish_cell();
        } else if (name == "row" && in_row) {
            in_row = false;
            finished.push_back(std::move(row));
        } else if (in_cell) {
            if (name == "v") --capture_v;
            else if (name == "t") --capture_t;
            else if (name == "rPh") --in_phonetic;
        }
    }

    void finish_cell() {
        if (cell_type == "s") {
            const auto index = parse_unsigned(v_text);
            if (!index) {
                if (v_text.empty()) return;
                damaged(sheet_part, "a shared string reference that is not a number");
            }
            const auto s = shared.at(*index);
            if (!s) damaged(sheet_part, "a shared string reference out of range");
            cell.value.assign(*s);
        } else if (cell_type == "inlineStr") {
            cell.value = std::move(is_text);
        } else if (cell_type == "str") {
            cell.value = std::move(v_text);
        } else if (cell_type == "b") {
            if (v_text.empty()) return;
            cell.kind = CellKind::boolean;
            cell.value = v_text == "1" || v_text == "true" ? "true" : "false";
        } else if (cell_type == "e") {
            cell.problem = RowProblem::error_value;
        } else if (cell_type == "d") {
            if (v_text.empty()) return;
            cell.kind = CellKind::date;
            // ISO 8601: a date, or a date-time whose midnight is left out.
            cell.value = v_text.ends_with("T00:00:00") ? v_text.substr(0, v_text.size() - 9) : v_text;
        } else { // a number
            if (v_text.empty()) return;
            double number = 0;
            const auto r = std::from_chars(v_text.data(), v_text.data() + v_text.size(), number);
            if (r.ec != std::errc() || r.ptr != v_text.data() + v_text.size()) {
                damaged(sheet_part, "a number cell that holds no number");
            }
            if (cell_style < date_style.size() && date_style[cell_style]) {
                cell.kind = CellKind::date;
                cell.value = serial_date_text(number, date1904);
            } else {
                cell.kind = CellKind::number;
                cell.value = general_number_text(number);
            }
        }
        if (cell.value.empty() && cell.problem == RowProblem::none) return;
        row.cells.push_back(std::move(cell));
    }

    // The next non-empty row, or nullopt at the end of the sheet.
    std::optional<Row> next_row() {
        if (!parsing.joinable()) parsing = std::thread([this] { parse(); });
        for (;;) {
            if (taken < current.rows.size()) return std::move(current.rows[taken++]);
            if (ended) return std::nullopt;
            {
                std::unique_lock lock(mutex);
                changed.wait(lock, [&] { return !batches.empty(); });
                current = std::move(batches.front());
                batches.pop_front();
            }
            changed.notify_all();
            taken = 0;
            bytes_seen = current.bytes;
            if (current.error) {
                ended = true;
                std::rethrow_exception(current.error);
            }
            ended = current.last;
        }
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
            XmlPart(archive, "_rels/.rels", options.max_part_bytes, options, package).read_all();
            const std::string target = package.of_type("officeDocument");
            if (!target.empty()) workbook = resolve("", target);
        }
        if (zip_name_locate(archive, workbook.c_str(), 0) < 0) {
            throw DataError("not an xlsx workbook (no workbook part)");
        }
        WorkbookPart book;
        XmlPart(archive, workbook, options.max_part_bytes, options, book).read_all();
        date1904 = book.date1904;
        const std::string dir = directory_of(workbook);
        const std::string rels_name = dir + "_rels/" + workbook.substr(dir.size()) + ".rels";
        Relationships rels;
        XmlPart(archive, rels_name, options.max_part_bytes, options, rels).read_all();
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
            XmlPart(archive, resolve(dir, styles), options.max_part_bytes, options, part).read_all();
            date_style = part.date_styles();
        }
        if (const std::string strings = rels.of_type("sharedStrings"); !strings.empty()) {
            XmlPart(archive, resolve(dir, strings), options.max_shared_strings_bytes, options, shared)
                .read_all();
        }
        sheet = std::make_unique<XmlPart>(archive, sheet_part, options.max_sheet_bytes, options, *this);
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
    auto row = impl_->next_row();
    if (!row) return false;
    Impl& m = *impl_;
    out.line = row->number;
    out.problem = RowProblem::none;
    out.problem_column = CsvRecord::no_column;
    if (row->too_long) out.problem = RowProblem::too_long;
    std::stable_sort(row->cells.begin(), row->cells.end(),
                     [](const Impl::Cell& a, const Impl::Cell& b) { return a.column < b.column; });
    if (!m.header_seen) {
        m.header_seen = true;
        m.width = row->cells.empty() ? 0 : row->cells.back().column + 1;
    }
    m.values.assign(m.width, std::string());
    out.kinds.assign(m.width, CellKind::text);
    std::size_t previous = CsvRecord::no_column;
    for (auto& c : row->cells) {
        const auto flag = [&](RowProblem p) {
            if (out.problem != RowProblem::none) return;
            out.problem = p;
            out.problem_column = c.column;
        };
        if (c.column == previous) flag(RowProblem::cell_twice);
        previous = c.column;
        if (c.problem != RowProblem::none) flag(c.problem);
        if (c.column >= m.width) {
            flag(RowProblem::beyond_header);
            continue;
        }
        m.values[c.column] = std::move(c.value);
        out.kinds[c.column] = c.kind;
    }
    out.fields.assign(m.values.begin(), m.values.end());
    return true;
}

std::uint64_t XlsxSource::bytes_read() const { return impl_->bytes_seen; }

std::string XlsxSource::column_name(std::size_t index) const { return column_letters(index); }

std::string XlsxSource::row_name(std::uint64_t line) const { return fmt::format("row {}", line); }

std::string column_letters(std::size_t index) {
    std::string letters;
    for (std::size_t n = index + 1; n > 0; n = (n - 1) / 26) {
        letters.insert(letters.begin(), static_cast<char>('A' + (n - 1) % 26));
    }
    return letters;
}

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
        const year_month_day d{sys_days(year{1904} / January / 1) + days(whole)};
        date = fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                           static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    } else if (whole == 60) {
        date = "1900-02-29"; // Lotus 1-2-3's leap day, kept by Excel: not a real date
    } else if (whole == 0) {
        date = "1900-01-00";
    } else {
        // Day 1 is 1900-01-01; from day 61 on the fictitious 29 February is counted.
        const year_month_day d{sys_days(year{1899} / December / 31) + days(whole < 60 ? whole : whole - 1)};
        date = fmt::format("{:04}-{:02}-{:02}", static_cast<int>(d.year()),
                           static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
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
    if (value == 0) return "0";
    if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
        return fmt::format("{}", static_cast<long long>(value));
    }
    std::string text = fmt::format("{:.15g}", value);
    return text;
}

} // namespace claimreg
