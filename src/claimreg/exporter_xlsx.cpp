#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <optional>

#include <fmt/format.h>
#include <xlsxwriter.h>

#include "claimreg/clock.hpp"
#include "claimreg/error.hpp"
#include "claimreg/exporter.hpp"
#include "export_columns.hpp"

namespace claimreg {

namespace {

using exporting::Column;
using exporting::Json;

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

std::uint64_t export_claimants_xlsx(Registry& registry, const ExportOptions& options,
                                    const std::string& path, const std::string& temp_dir) {
    const std::span<const Column> columns = exporting::columns_of(options);
    exporting::ExportScan q(registry, options, columns);
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
    exporting::Scratch scratch;
    std::string text; // NUL-terminated copy of a value
    std::uint64_t rows = 0;
    while (q.next()) {
        if (row >= options.rows_per_sheet || row >= 1048575) new_sheet();
        ++row;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            const std::string_view v = value(q.row(), columns[i], scratch);
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
