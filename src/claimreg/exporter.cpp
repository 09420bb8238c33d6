#include "claimreg/exporter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <chrono>
#include <cerrno>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>
#include <xlsxwriter.h>

#include "claimreg/clock.hpp"
#include "claimreg/csv.hpp"
#include "claimreg/error.hpp"
#include "claimreg/json.hpp"
#include "claimreg/record.hpp"

namespace claimreg {

namespace {

// How a column's value is taken from the statement.
enum class Get : std::uint8_t {
    text,            ///< the SQL column as stored (NULL: empty)
    integer,         ///< an INTEGER SQL column, in decimal
    consent,         ///< 0/1 -> `no`/`yes`
    source,          ///< `source` plus `:LINE` when the line (SQL column `sql2`) is not NULL
    year,            ///< the first four characters (of a `YYYY-MM-DD` date)
    postcode_digits, ///< the four digits of an NL postcode (country in `sql2`); empty elsewhere
    date_part,       ///< the first ten characters (the date of an ISO 8601 date-time)
};

// How a value is written in JSON.
enum class Json : std::uint8_t {
    string,   ///< always a string
    nullable, ///< a string, or null when empty
    number,   ///< the text is a decimal integer
    boolean,  ///< `yes` -> true, else false
    list,     ///< comma-separated codes -> an array of strings
};

struct Column {
    std::string_view name;
    Get get;
    Json json;
    int sql;      ///< the statement column it comes from
    int sql2 = -1; ///< a second statement column some getters need
};

// The full export: the canonical fields, then what the registry adds. Statement columns are in
// the same order (with source_line after source).
constexpr std::array<Column, 25> full_columns = {{
    {"external_ref", Get::text, Json::nullable, 0},
    {"child_first_name", Get::text, Json::string, 1},
    {"child_name_prefix", Get::text, Json::string, 2},
    {"child_last_name", Get::text, Json::string, 3},
    {"child_birth_date", Get::text, Json::string, 4},
    {"country", Get::text, Json::string, 5},
    {"postcode", Get::text, Json::string, 6},
    {"house_number", Get::text, Json::string, 7},
    {"platform", Get::text, Json::string, 8},
    {"first_use", Get::text, Json::string, 9},
    {"last_use", Get::text, Json::nullable, 10},
    {"registrant_name", Get::text, Json::string, 11},
    {"registrant_email", Get::text, Json::string, 12},
    {"registrant_phone", Get::text, Json::nullable, 13},
    {"registrant_relation", Get::text, Json::string, 14},
    {"consent", Get::consent, Json::boolean, 15},
    {"registered_at", Get::text, Json::string, 16},
    {"id", Get::integer, Json::number, 17},
    {"state", Get::text, Json::string, 18},
    {"verdict", Get::text, Json::string, 19},
    {"reasons", Get::text, Json::list, 20},
    {"age_band", Get::text, Json::nullable, 21},
    {"rule_set", Get::text, Json::string, 22},
    {"checked_at", Get::text, Json::string, 23},
    {"source", Get::source, Json::string, 24, 25},
}};

// The claimants scan stays outermost (LEFT JOIN): checks and sources are looked up by id, and
// a claimant is exported even if either were missing.
constexpr const char* full_select =
        "SELECT external_ref, child_first_name, child_name_prefix, child_last_name, "
        "child_birth_date, country, postcode, house_number, platform, first_use, last_use, "
        "registrant_name, registrant_email, registrant_phone, registrant_relation, consent, "
        "registered_at, c.id, state, verdict, reasons, age_band, k.rule_set, k.as_of, s.name, "
        "source_line FROM claimants AS c NOT INDEXED LEFT JOIN sources AS s ON s.id = c.source_id "
        "LEFT JOIN checks AS k ON k.id = ";

// The pseudonymised export: no names, e-mail, phone, house number or references.
constexpr std::array<Column, 12> pseudo_columns = {{
    {"id", Get::integer, Json::number, 0},
    {"birth_year", Get::year, Json::number, 1},
    {"postcode_digits", Get::postcode_digits, Json::nullable, 2, 3},
    {"country", Get::text, Json::string, 3},
    {"platform", Get::text, Json::string, 4},
    {"first_use", Get::text, Json::string, 5},
    {"last_use", Get::text, Json::nullable, 6},
    {"state", Get::text, Json::string, 7},
    {"verdict", Get::text, Json::string, 8},
    {"reasons", Get::text, Json::list, 9},
    {"age_band", Get::text, Json::nullable, 10},
    {"registered_on", Get::date_part, Json::string, 11},
}};

constexpr const char* pseudo_select =
    "SELECT id, child_birth_date, postcode, country, platform, first_use, last_use, state, "
    "verdict, reasons, age_band, registered_at FROM claimants AS c NOT INDEXED";

template <std::size_t N>
constexpr std::array<std::string_view, N> names_of(const std::array<Column, N>& columns) {
    std::array<std::string_view, N> names{};
    for (std::size_t i = 0; i < N; ++i) names[i] = columns[i].name;
    return names;
}
constexpr auto full_names = names_of(full_columns);
constexpr auto pseudo_names = names_of(pseudo_columns);

// A prepared statement on the raw handle: values are read as pointers into SQLite's row
// (no Column objects, no string copies per cell).
class Query {
  public:
    Query(sqlite3* db, const std::string& sql) : db_(db) {
        const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st_, nullptr);
        if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
    }
    ~Query() { sqlite3_finalize(st_); }
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    void bind(int index, std::string_view text) {
        const int rc = sqlite3_bind_text(st_, index, text.data(), static_cast<int>(text.size()),
                                         SQLITE_TRANSIENT);
        if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
    }
    /// Steps to the next row; false when done. Throws SQLite::Exception on an error.
    bool step() {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw SQLite::Exception(db_, rc);
    }
    std::string_view text(int i) const {
        const unsigned char* p = sqlite3_column_text(st_, i);
        if (p == nullptr) return {};
        return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st_, i))};
    }
    std::int64_t int64(int i) const { return sqlite3_column_int64(st_, i); }
    bool is_null(int i) const { return sqlite3_column_type(st_, i) == SQLITE_NULL; }

  private:
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

// Holds the text of computed values for the current cell.
struct Scratch {
    std::array<char, 24> digits{};
    std::string composed;
};

std::string_view decimal(std::int64_t value, Scratch& s) {
    const auto r = std::to_chars(s.digits.data(), s.digits.data() + s.digits.size(), value);
    return {s.digits.data(), static_cast<std::size_t>(r.ptr - s.digits.data())};
}

// The text of one column of the current row (views into the row or `s`, valid until the next
// call or step).
inline std::string_view value(const Query& q, const Column& c, Scratch& s) {
    switch (c.get) {
    case Get::text: return q.text(c.sql);
    case Get::integer: return decimal(q.int64(c.sql), s);
    case Get::consent: return q.int64(c.sql) != 0 ? "yes" : "no";
    case Get::source: {
        const std::string_view source = q.text(c.sql);
        if (q.is_null(c.sql2)) return source;
        s.composed.assign(source);
        s.composed += ':';
        s.composed += decimal(q.int64(c.sql2), s);
        return s.composed;
    }
    case Get::year: return q.text(c.sql).substr(0, 4);
    case Get::postcode_digits:
        if (q.text(c.sql2) != "NL") return {};
        return q.text(c.sql).substr(0, 4);
    case Get::date_part: return q.text(c.sql).substr(0, 10);
    }
    return {};
}

void write_bytes(std::FILE* out, std::string_view bytes) {
    if (bytes.empty()) return;
    if (std::fwrite(bytes.data(), 1, bytes.size(), out) != bytes.size()) {
        throw IoError("cannot write the output: " + errno_text(errno));
    }
}

void flush(std::FILE* out) {
    if (std::fflush(out) != 0 || std::ferror(out)) {
        throw IoError("cannot write the output: " + errno_text(errno));
    }
}

std::uint64_t write_csv(Query& q, std::span<const Column> columns, const ExportOptions& options,
                        std::FILE* out) {
    if (options.bom) write_bytes(out, "\xEF\xBB\xBF");
    CsvWriter writer(out, options.delimiter, /*neutralise_formulas=*/true);
    for (const Column& c : columns) writer.cell(c.name);
    writer.end_row();
    Scratch scratch;
    std::uint64_t rows = 0;
    while (q.step()) {
        for (const Column& c : columns) writer.cell(value(q, c, scratch));
        writer.end_row();
        ++rows;
    }
    writer.flush();
    return rows;
}

void append_json_value(std::string& buf, const Column& c, std::string_view v) {
    switch (c.json) {
    case Json::string: append_json_string(buf, v); return;
    case Json::nullable:
        if (v.empty()) {
            buf += "null";
        } else {
            append_json_string(buf, v);
        }
        return;
    case Json::number: buf += v; return;
    case Json::boolean: buf += (v == "yes") ? "true" : "false"; return;
    case Json::list: {
        buf += '[';
        while (!v.empty()) {
            const std::size_t comma = v.find(',');
            append_json_string(buf, v.substr(0, comma));
            if (comma == std::string_view::npos) break;
            buf += ',';
            v.remove_prefix(comma + 1);
        }
        buf += ']';
        return;
    }
    }
}

constexpr std::size_t json_chunk = 1 << 16;

std::uint64_t write_json(Query& q, std::span<const Column> columns, bool ndjson, std::FILE* out) {
    // The keys with their punctuation, made once: `{"id":` then `,"state":` ...
    std::vector<std::string> keys;
    for (const Column& c : columns) {
        std::string key = keys.empty() ? "{" : ",";
        append_json_string(key, c.name);
        key += ':';
        keys.push_back(std::move(key));
    }
    std::string buf;
    buf.reserve(2 * json_chunk);
    if (!ndjson) buf += '[';
    Scratch scratch;
    std::uint64_t rows = 0;
    while (q.step()) {
        if (!ndjson) buf += rows == 0 ? "\n" : ",\n";
        for (std::size_t i = 0; i < columns.size(); ++i) {
            buf += keys[i];
            append_json_value(buf, columns[i], value(q, columns[i], scratch));
        }
        buf += ndjson ? "}\n" : "}";
        ++rows;
        if (buf.size() >= json_chunk) {
            write_bytes(out, buf);
            buf.clear();
        }
    }
    if (!ndjson) buf += rows == 0 ? "]\n" : "\n]\n";
    write_bytes(out, buf);
    flush(out);
    return rows;
}

// Parsing --since.

constexpr const char* since_forms =
    "--since: expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM:SS with Z or an "
    "offset such as +01:00";


} // namespace

ExportFormat parse_export_format(std::string_view text) {
    if (text == "csv") return ExportFormat::csv;
    if (text == "json") return ExportFormat::json;
    if (text == "ndjson") return ExportFormat::ndjson;
    if (text == "xlsx") return ExportFormat::xlsx;
    throw UsageError("unknown format (use csv, json, ndjson or xlsx)");
}

std::span<const std::string_view> export_columns() { return full_names; }
std::span<const std::string_view> pseudonymized_columns() { return pseudo_names; }

std::string parse_since(std::string_view s) {
    // A value typed on a command line: also `t` and `z`, a decimal comma, a fraction of any
    // length and `+0100`; no leap second; a date-time names its zone.
    constexpr DateTimeForms forms{.lower_case_letters = true,
                                  .comma_fraction = true,
                                  .max_fraction_digits = ~std::size_t{0},
                                  .leap_second = false,
                                  .offset_without_colon = true};
    DateTime t;
    switch (parse_date_time(s, forms, t)) {
    case DateTimeProblem::not_a_date:
    case DateTimeProblem::not_a_time: throw UsageError(since_forms);
    case DateTimeProblem::unreal_date: throw UsageError("--since: not a real calendar date");
    case DateTimeProblem::none: break;
    }
    if (t.has_time && t.zone == DateTime::Zone::none) {
        throw UsageError("--since: give the time zone of a date-time (Z for UTC, or an "
                         "offset such as +01:00)");
    }
    return format_utc(epoch_seconds(t));
}

namespace {

// Prepares the statement of an export into `q`, with its filters bound; returns its columns.
std::span<const Column> select_claimants(Registry& registry, const ExportOptions& options,
                                         std::optional<Query>& query) {
    // NOT INDEXED: an export reads nearly every row, best in rowid order; the counting index
    // would match `state = 'active'` and cost a sort plus a random fetch per row.
    std::string sql = options.pseudonymize ? pseudo_select : full_select + std::string(effective_check_sql);
    std::vector<std::string> where;
    // Claimants linked into another (review.hpp) are registrations of it, never exported.
    where.emplace_back(options.include_withdrawn ? "state != 'linked'" : "state = 'active'");
    int next_param = 1;
    if (!options.since.empty()) where.push_back(fmt::format("changed_at >= ?{}", next_param++));
    if (!options.verdicts.empty()) {
        std::string in = "verdict IN (";
        for (std::size_t i = 0; i < options.verdicts.size(); ++i) {
            in += fmt::format("{}?{}", i == 0 ? "" : ", ", next_param++);
        }
        where.push_back(in + ")");
    }
    for (std::size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + where[i];
    sql += " ORDER BY c.id";

    Query& q = query.emplace(registry.db().getHandle(), sql);
    int param = 1;
    if (!options.since.empty()) q.bind(param++, options.since);
    for (const VerdictKind v : options.verdicts) q.bind(param++, to_string(v));

    const std::span<const Column> columns =
        options.pseudonymize ? std::span<const Column>(pseudo_columns) : std::span<const Column>(full_columns);
    return columns;
}

// What kind of cell a column's values become in a workbook.
enum class Cell : std::uint8_t { text, number, date };

Cell cell_kind(const Column& c) {
    if (c.json == Json::number) return Cell::number;
    static constexpr std::array<std::string_view, 5> dates = {
        "child_birth_date", "first_use", "last_use", "checked_at", "registered_on"};
    return std::find(dates.begin(), dates.end(), c.name) != dates.end() ? Cell::date : Cell::text;
}

double column_width(const Column& c, Cell kind) {
    if (kind == Cell::date) return 11;
    if (kind == Cell::number) return std::max<double>(8, static_cast<double>(c.name.size()) + 3);
    if (c.name == "registrant_email" || c.name == "reasons" || c.name == "source") return 28;
    if (c.name == "registered_at") return 21;
    return std::max<double>(12, static_cast<double>(c.name.size()) + 3);
}

// The spreadsheet serial number (1900 date system) of a `YYYY-MM-DD` date from 1900-03-01 on.
std::optional<double> serial_of(std::string_view text) {
    using namespace std::chrono;
    int y = 0, m = 0, d = 0;
    if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !read_digits(text, 0, 4, y) ||
        !read_digits(text, 5, 2, m) || !read_digits(text, 8, 2, d))
        return std::nullopt;
    const year_month_day date{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
    if (!date.ok() || date < year{1900} / March / 1) return std::nullopt;
    return static_cast<double>((sys_days(date) - sys_days(year{1899} / December / 30)).count());
}

[[noreturn]] void xlsx_failed(lxw_error error) {
    throw IoError(fmt::format("cannot write the workbook: {}", lxw_strerror(error)));
}

void check(lxw_error error) {
    if (error != LXW_NO_ERROR) xlsx_failed(error);
}

// A workbook being written; closed (and freed) once, by close() or on destruction.
class Workbook {
  public:
    Workbook(const std::string& path, const std::string& temp_dir) : temp_dir_(temp_dir) {
        lxw_workbook_options opts{};
        opts.constant_memory = LXW_TRUE;
        opts.tmpdir = temp_dir_.data();
        book_ = workbook_new_opt(path.c_str(), &opts);
        if (book_ == nullptr) throw IoError("cannot write the workbook: out of memory");
    }
    ~Workbook() {
        if (book_ != nullptr) workbook_close(book_);
    }
    Workbook(const Workbook&) = delete;
    Workbook& operator=(const Workbook&) = delete;
    lxw_workbook* get() const { return book_; }
    void close() {
        lxw_workbook* book = book_;
        book_ = nullptr;
        check(workbook_close(book));
    }

  private:
    std::string temp_dir_;
    lxw_workbook* book_ = nullptr;
};

} // namespace

std::uint64_t export_claimants(Registry& registry, const ExportOptions& options, std::FILE* out) {
    if (options.format != ExportFormat::csv && options.bom) {
        throw UsageError("--bom applies to CSV only");
    }
    if (options.format == ExportFormat::xlsx) throw UsageError("a workbook is written to a file");
    std::optional<Query> q;
    const std::span<const Column> columns = select_claimants(registry, options, q);
    if (options.format == ExportFormat::csv) return write_csv(*q, columns, options, out);
    return write_json(*q, columns, options.format == ExportFormat::ndjson, out);
}

std::uint64_t export_claimants_xlsx(Registry& registry, const ExportOptions& options,
                                    const std::string& path, const std::string& temp_dir) {
    std::optional<Query> query;
    const std::span<const Column> columns = select_claimants(registry, options, query);
    Query& q = *query;
    Workbook book(path, temp_dir);
    lxw_format* header = workbook_add_format(book.get());
    format_set_bold(header);
    lxw_format* date = workbook_add_format(book.get());
    format_set_num_format(date, "yyyy-mm-dd");
    std::vector<Cell> kinds;
    for (const Column& c : columns) kinds.push_back(cell_kind(c));
    const auto last_column = static_cast<lxw_col_t>(columns.size() - 1);

    lxw_worksheet* sheet = nullptr;
    lxw_row_t row = 0; // in the current sheet
    std::uint64_t sheets = 0;
    const auto finish_sheet = [&] {
        if (sheet != nullptr) check(worksheet_autofilter(sheet, 0, 0, row, last_column));
    };
    const auto new_sheet = [&] {
        finish_sheet();
        ++sheets;
        const std::string name = sheets == 1 ? "claimants" : fmt::format("claimants {}", sheets);
        sheet = workbook_add_worksheet(book.get(), name.c_str());
        if (sheet == nullptr) throw IoError("cannot write the workbook: cannot add a worksheet");
        for (std::size_t i = 0; i < columns.size(); ++i) {
            check(worksheet_set_column(sheet, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i),
                                       column_width(columns[i], kinds[i]),
                                       kinds[i] == Cell::date ? date : nullptr));
        }
        worksheet_freeze_panes(sheet, 1, 0);
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const std::string name_text(columns[i].name);
            check(worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(i), name_text.c_str(), header));
        }
        row = 0;
    };
    new_sheet();
    Scratch scratch;
    std::string text; // NUL-terminated copy of a value
    std::uint64_t rows = 0;
    while (q.step()) {
        if (row >= options.rows_per_sheet || row >= 1048575) new_sheet();
        ++row;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const std::string_view v = value(q, columns[i], scratch);
            if (v.empty()) continue;
            const auto col = static_cast<lxw_col_t>(i);
            switch (kinds[i]) {
            case Cell::number: {
                std::int64_t n = 0;
                const auto r = std::from_chars(v.data(), v.data() + v.size(), n);
                if (r.ec == std::errc() && r.ptr == v.data() + v.size()) {
                    check(worksheet_write_number(sheet, row, col, static_cast<double>(n), nullptr));
                    continue;
                }
                break;
            }
            case Cell::date:
                if (const auto serial = serial_of(v)) {
                    check(worksheet_write_number(sheet, row, col, *serial, date));
                    continue;
                }
                break;
            case Cell::text: break;
            }
            text.assign(v);
            check(worksheet_write_string(sheet, row, col, text.c_str(), nullptr));
        }
        ++rows;
    }
    finish_sheet();
    book.close();
    return rows;
}

} // namespace claimreg
