// The output layer (render.hpp).

#include "render.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "claimreg/csv.hpp"
#include "claimreg/error.hpp"

namespace claimreg::cli {

namespace {

// A TSV cell: tab, line breaks and backslash escaped (`\t`, `\n`, `\r`, `\\`).
void append_tsv_cell(std::string& out, std::string_view cell) {
    for (const char c : cell) {
        switch (c) {
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\\': out += "\\\\"; break;
        default: out += c;
        }
    }
}

// The table through the one CSV writer, into memory.
std::string render_csv(const Table& table) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* memory = ::open_memstream(&data, &size);
    if (memory == nullptr) throw IoError(fmt::format("cannot render CSV: {}", errno_text(errno)));
    try {
        CsvWriter csv(memory, ',', /*neutralise_formulas=*/true, "\n");
        if (table.headed) csv.write_row(table.header);
        for (const auto& row : table.rows) {
            for (std::size_t i = 0; i < table.header.size(); ++i) csv.cell(table.shown(row, i));
            csv.end_row();
        }
        csv.flush();
    } catch (...) {
        std::fclose(memory);
        std::free(data);
        throw;
    }
    std::fclose(memory); // data and size hold the text from here
    std::string out(data, size);
    std::free(data);
    return out;
}

std::string render_tsv(const Table& table) {
    std::string out;
    const auto line = [&](const std::vector<std::string>& cells, bool header) {
        for (std::size_t i = 0; i < table.header.size(); ++i) {
            if (i > 0) out += '\t';
            append_tsv_cell(out, header ? std::string_view(cells[i]) : table.shown(cells, i));
        }
        out += '\n';
    };
    if (table.headed) line(table.header, true);
    for (const auto& row : table.rows) line(row, false);
    return out;
}

std::string render_json(const Table& table) {
    std::string out;
    JsonWriter json(out);
    json.begin_array(JsonWriter::Layout::lines);
    for (const auto& row : table.rows) {
        json.begin_object();
        for (std::size_t i = 0; i < table.header.size(); ++i) {
            json.key(table.header[i]);
            if (table.numeric[i]) {
                json.number(row[i]);
            } else if (row[i].empty() && i < table.empty_label.size() &&
                       !table.empty_label[i].empty()) {
                json.null();
            } else {
                json.string(row[i]);
            }
        }
        json.end_object();
    }
    json.end_array();
    out += '\n';
    return out;
}

std::string render_text(const Table& table) {
    const std::size_t n = table.header.size();
    std::vector<std::size_t> widths(n);
    if (table.headed) {
        for (std::size_t i = 0; i < n; ++i) widths[i] = display_width(table.header[i]);
    }
    for (const auto& row : table.rows) {
        for (std::size_t i = 0; i < n; ++i) {
            widths[i] = std::max(widths[i], display_width(table.shown(row, i)));
        }
    }
    std::string out;
    const auto line = [&](const std::vector<std::string>& cells, bool header) {
        std::string text;
        for (std::size_t i = 0; i < n; ++i) {
            if (i > 0) text += table.gap;
            const std::string_view cell = header ? std::string_view(cells[i]) : table.shown(cells, i);
            const std::string pad(widths[i] - display_width(cell), ' ');
            if (table.numeric[i]) text += pad;
            text += cell;
            if (!table.numeric[i]) text += pad;
        }
        trim_trailing_spaces(text);
        out += text;
        out += '\n';
    };
    if (table.headed) line(table.header, true);
    for (const auto& row : table.rows) line(row, false);
    return out;
}

} // namespace

void Table::add_column(std::string_view name, bool is_numeric, std::string_view empty) {
    header.emplace_back(name);
    numeric.push_back(is_numeric);
    empty_label.emplace_back(empty);
}

std::string_view Table::shown(const std::vector<std::string>& row, std::size_t i) const {
    return row[i].empty() && i < empty_label.size() ? std::string_view(empty_label[i])
                                                    : std::string_view(row[i]);
}

std::string render(const Table& table, TableFormat format) {
    switch (format) {
    case TableFormat::csv: return render_csv(table);
    case TableFormat::tsv: return render_tsv(table);
    case TableFormat::json: return render_json(table);
    case TableFormat::table: return render_text(table);
    }
    return {};
}

void write_value(JsonWriter& json, ValueKind kind, std::string_view value) {
    switch (kind) {
    case ValueKind::text: json.string(value); return;
    case ValueKind::optional: json.nullable_string(value); return;
    case ValueKind::boolean: json.boolean(value == "yes"); return;
    }
}

std::size_t display_width(std::string_view text) {
    return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

void trim_trailing_spaces(std::string& line) {
    while (!line.empty() && line.back() == ' ') line.pop_back();
}

void write_stdout(std::string_view text) {
    if ((!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) ||
        std::fflush(stdout) != 0) {
        throw IoError(fmt::format("cannot write to standard output: {}", errno_text(errno)));
    }
}

void write_stdout_when_full(std::string& buffer) {
    if (buffer.size() < (std::size_t{1} << 16)) return;
    write_stdout(buffer);
    buffer.clear();
}

} // namespace claimreg::cli
