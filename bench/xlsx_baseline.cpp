// The floor of an xlsx export: libxlsxwriter alone (constant-memory mode) writing the cells of a
// claimreg CSV export with the types claimreg gives them (id and birth_year numbers, dates as
// date cells, the rest text), a bold frozen header with an autofilter, a sheet per 1,048,575
// rows. No registry, no project library.
//   xlsx_baseline IN.csv OUT.xlsx

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <xlsxwriter.h>

namespace {

// Splits one CSV record (RFC 4180 quotes; no newlines inside fields in a generated export).
void split(const std::string& line, std::vector<std::string>& out) {
    out.clear();
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.push_back(field);
            field.clear();
        } else if (c != '\r') {
            field += c;
        }
    }
    out.push_back(field);
}

int days_from_civil(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int>(doe) - 719468;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: xlsx_baseline IN.csv OUT.xlsx\n");
        return 2;
    }
    std::FILE* in = std::fopen(argv[1], "r");
    if (in == nullptr) return 1;
    lxw_workbook_options options{};
    options.constant_memory = LXW_TRUE;
    lxw_workbook* book = workbook_new_opt(argv[2], &options);
    lxw_format* bold = workbook_add_format(book);
    format_set_bold(bold);
    lxw_format* date = workbook_add_format(book);
    format_set_num_format(date, "yyyy-mm-dd");
    const int epoch = days_from_civil(1899, 12, 30);

    std::vector<std::string> header, fields;
    std::vector<char> kinds; // n number, d date, s text
    char* buf = nullptr;
    std::size_t cap = 0;
    ssize_t len = 0;
    lxw_worksheet* sheet = nullptr;
    lxw_row_t row = 0;
    int sheets = 0;
    const auto new_sheet = [&] {
        if (sheet != nullptr) worksheet_autofilter(sheet, 0, 0, row, static_cast<lxw_col_t>(header.size() - 1));
        const std::string name = ++sheets == 1 ? "claimants" : "claimants " + std::to_string(sheets);
        sheet = workbook_add_worksheet(book, name.c_str());
        worksheet_freeze_panes(sheet, 1, 0);
        for (std::size_t i = 0; i < header.size(); ++i) {
            worksheet_set_column(sheet, static_cast<lxw_col_t>(i), static_cast<lxw_col_t>(i), 14,
                                 kinds[i] == 'd' ? date : nullptr);
            worksheet_write_string(sheet, 0, static_cast<lxw_col_t>(i), header[i].c_str(), bold);
        }
        row = 0;
    };
    while ((len = getline(&buf, &cap, in)) > 0) {
        std::string line(buf, static_cast<std::size_t>(len));
        if (!line.empty() && line.back() == '\n') line.pop_back();
        if (header.empty()) {
            split(line, header);
            for (const auto& h : header) {
                const std::string_view n = h;
                kinds.push_back(n == "id" || n == "birth_year" ? 'n'
                                : n == "child_birth_date" || n == "first_use" || n == "last_use" ||
                                        n == "checked_at" || n == "registered_on"
                                    ? 'd'
                                    : 's');
            }
            new_sheet();
            continue;
        }
        if (row == 1048575) new_sheet();
        ++row;
        split(line, fields);
        for (std::size_t i = 0; i < fields.size() && i < kinds.size(); ++i) {
            const std::string& v = fields[i];
            if (v.empty()) continue;
            const auto col = static_cast<lxw_col_t>(i);
            if (kinds[i] == 'n') {
                worksheet_write_number(sheet, row, col, std::strtod(v.c_str(), nullptr), nullptr);
            } else if (kinds[i] == 'd' && v.size() == 10) {
                const int serial = days_from_civil(std::atoi(v.c_str()), static_cast<unsigned>(std::atoi(v.c_str() + 5)),
                                                   static_cast<unsigned>(std::atoi(v.c_str() + 8))) - epoch;
                worksheet_write_number(sheet, row, col, serial, date);
            } else {
                worksheet_write_string(sheet, row, col, v.c_str(), nullptr);
            }
        }
    }
    std::free(buf);
    std::fclose(in);
    if (sheet != nullptr) worksheet_autofilter(sheet, 0, 0, row, static_cast<lxw_col_t>(header.size() - 1));
    return workbook_close(book) == LXW_NO_ERROR ? 0 : 1;
}
