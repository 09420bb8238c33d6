// The xlsx reader's cells: sheet XML into rows of cells, and each cell's value into the text a
// spreadsheet shows (shared and inline strings, numbers, dates in the 1900 and 1904 systems,
// booleans, error values).

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include "xlsx_archive.hpp"
#include "xlsx_sheet.hpp"

namespace claimreg {

namespace xlsx {

namespace {

constexpr std::size_t max_columns = 16384; // XFD, the last column a workbook can have

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

CellType type_of(const char* t) {
    if (t == nullptr) return CellType::number;
    if (is_text(t, "s")) return CellType::shared;
    if (is_text(t, "inlineStr")) return CellType::inline_string;
    if (is_text(t, "str")) return CellType::string;
    if (is_text(t, "b")) return CellType::boolean;
    if (is_text(t, "e")) return CellType::error;
    if (is_text(t, "d")) return CellType::date;
    return CellType::number;
}

} // namespace

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

void SheetParser::end_batch(Batch* next) {
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

void SheetParser::start(std::string_view name, const char** atts) {
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
        const char* r = nullptr;
        const char* t = nullptr;
        const char* s = nullptr;
        for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
            const char* a = atts[i];
            // The names as producers write them (no prefix) first, the general case after.
            if (a[0] != '\0' && a[1] == '\0') {
                if (a[0] == 'r')
                    r = atts[i + 1];
                else if (a[0] == 't')
                    t = atts[i + 1];
                else if (a[0] == 's')
                    s = atts[i + 1];
                continue;
            }
            const std::string_view attr = local_name(a);
            if (attr == "r")
                r = atts[i + 1];
            else if (attr == "t")
                t = atts[i + 1];
            else if (attr == "s")
                s = atts[i + 1];
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
        if (is_name(name, "v"))
            ++capture_v;
        else if (is_name(name, "t"))
            ++capture_t;
        else if (is_name(name, "rPh"))
            ++in_phonetic;
    }
}

bool SheetParser::count(std::size_t size) {
    row_bytes += size;
    if (row_bytes > ctx.options.max_row_bytes) row.too_long = true;
    return !row.too_long;
}

void SheetParser::text(std::string_view s) {
    if (!in_cell || row.too_long) return;
    std::string* into = capture_v > 0                         ? &v_text
                        : (capture_t > 0 && in_phonetic == 0) ? &text()
                                                              : nullptr;
    if (into == nullptr) return;
    if (!count(s.size())) return;
    into->append(s);
}

void SheetParser::end(std::string_view name) {
    if (is_name(name, "c") && in_cell) {
        in_cell = false;
        if (!row.too_long) finish_cell();
        if (row.too_long) text().resize(cell_start);
    } else if (is_name(name, "row") && in_row) {
        in_row = false;
        row.count = filling->cells.size() - row.first;
        if (row.count > 0 || row.too_long) filling->rows.push_back(row);
    } else if (in_cell) {
        if (is_name(name, "v"))
            --capture_v;
        else if (is_name(name, "t"))
            --capture_t;
        else if (is_name(name, "rPh"))
            --in_phonetic;
    }
}

void SheetParser::finish_cell() {
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
    case CellType::inline_string:
        break;
    case CellType::string:
        out += v_text;
        break;
    case CellType::boolean:
        if (v_text.empty()) return;
        cell.kind = CellKind::boolean;
        out += v_text == "1" || v_text == "true" ? "true" : "false";
        break;
    case CellType::error:
        cell.problem = RowProblem::error_value;
        break;
    case CellType::date:
        if (v_text.empty()) return;
        cell.kind = CellKind::date;
        // ISO 8601: a date, or a date-time whose midnight is left out.
        out += std::string_view(v_text).substr(0, v_text.ends_with("T00:00:00") ? v_text.size() - 9
                                                                                : v_text.size());
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

} // namespace xlsx

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
    const char text[10] = {
        digit(y / 1000), digit(y / 100), digit(y / 10), digit(y),        '-',
        digit(m / 10),   digit(m),       '-',           digit(day / 10), digit(day)};
    return std::string(text, sizeof text);
}

} // namespace

std::string serial_date_text(double serial, bool date1904) {
    using namespace std::chrono;
    if (!std::isfinite(serial) || serial < 0 || serial >= 2958466)
        return general_number_text(serial);
    auto whole = static_cast<long>(std::floor(serial));
    auto seconds_of_day =
        static_cast<long>(std::llround((serial - static_cast<double>(whole)) * 86400.0));
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
        date = date_text(year_month_day{sys_days(year{1899} / December / 31) +
                                        days(whole < 60 ? whole : whole - 1)});
    }
    if (seconds_of_day == 0) return date;
    return fmt::format("{}T{:02}:{:02}:{:02}", date, seconds_of_day / 3600,
                       seconds_of_day / 60 % 60, seconds_of_day % 60);
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
        case '"':
            quoted = true;
            break;
        case '\\':
        case '_':
        case '*':
            ++i;
            break; // the next character is literal (or padding)
        case '[': {
            // `[h]`, `[mm]`, `[ss]` are elapsed time; `[Red]`, `[$-409]` are not dates.
            const auto close = code.find(']', i);
            if (close == std::string_view::npos) return false;
            const std::string_view inside = code.substr(i + 1, close - i - 1);
            if (!inside.empty() && inside.find_first_not_of("hHmMsS") == std::string_view::npos)
                return true;
            i = close;
            break;
        }
        case 'd':
        case 'D':
        case 'm':
        case 'M':
        case 'y':
        case 'Y':
        case 'h':
        case 'H':
        case 's':
        case 'S':
            return true;
        default:
            break;
        }
    }
    return false;
}

std::string general_number_text(double value) {
    std::string text;
    xlsx::append_general_number(text, value);
    return text;
}

} // namespace claimreg
