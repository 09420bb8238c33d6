#include "claimreg/exporter.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <chrono>
#include <cerrno>

#include <fmt/format.h>

#include "claimreg/clock.hpp"
#include "claimreg/csv.hpp"
#include "claimreg/error.hpp"
#include "claimreg/json.hpp"
#include "claimreg/record.hpp"
#include "export_columns.hpp"

namespace claimreg {

namespace {

using exporting::Column;
using exporting::Json;
using exporting::Scratch;

std::vector<std::string_view> names_of(std::span<const Column> columns) {
    std::vector<std::string_view> names;
    for (const Column& c : columns) names.push_back(c.name);
    return names;
}
const std::vector<std::string_view> full_names = names_of(exporting::full_columns);
const std::vector<std::string_view> pseudo_names = names_of(exporting::pseudo_columns);

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

std::uint64_t write_csv(exporting::ExportScan& q, std::span<const Column> columns, const ExportOptions& options,
                        std::FILE* out) {
    if (options.bom) write_bytes(out, "\xEF\xBB\xBF");
    CsvWriter writer(out, options.delimiter, /*neutralise_formulas=*/true);
    for (const Column& c : columns) writer.cell(c.name);
    writer.end_row();
    Scratch scratch;
    std::uint64_t rows = 0;
    while (q.next()) {
        for (const Column& c : columns) writer.cell(value(q.row(), c, scratch));
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

std::uint64_t write_json(exporting::ExportScan& q, std::span<const Column> columns, bool ndjson, std::FILE* out) {
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
    while (q.next()) {
        if (!ndjson) buf += rows == 0 ? "\n" : ",\n";
        for (std::size_t i = 0; i < columns.size(); ++i) {
            buf += keys[i];
            append_json_value(buf, columns[i], value(q.row(), columns[i], scratch));
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
    throw ValueError("unknown format (use csv, json, ndjson or xlsx)");
}

std::span<const std::string_view> export_columns() { return full_names; }
std::span<const std::string_view> pseudonymized_columns() { return pseudo_names; }

std::string parse_since(std::string_view s) {
    using namespace std::chrono;
    const auto bad = [] { return UsageError(since_forms); };
    int y = 0, mo = 0, d = 0;
    if (!read_digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !read_digits(s, 5, 2, mo) ||
        s[7] != '-' || !read_digits(s, 8, 2, d))
        throw bad();
    const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!date.ok()) throw UsageError("--since: not a real calendar date");
    int hh = 0, mm = 0, ss = 0, offset_minutes = 0;
    if (s.size() > 10) {
        std::size_t i = 10;
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') throw bad();
        if (!read_digits(s, i + 1, 2, hh) || i + 3 >= s.size() || s[i + 3] != ':' ||
            !read_digits(s, i + 4, 2, mm))
            throw bad();
        i += 6;
        if (i < s.size() && s[i] == ':') {
            if (!read_digits(s, i + 1, 2, ss)) throw bad();
            i += 3;
            if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
                const std::size_t start = ++i;
                while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
                if (i == start) throw bad();
            }
        }
        if (hh > 23 || mm > 59 || ss > 59) throw bad();
        if (i == s.size()) {
            throw UsageError("--since: give the time zone of a date-time (Z for UTC, or an "
                             "offset such as +01:00)");
        }
        if (s[i] == 'Z' || s[i] == 'z') {
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            const int sign = s[i] == '-' ? -1 : 1;
            int oh = 0, om = 0;
            if (!read_digits(s, i + 1, 2, oh)) throw bad();
            i += 3;
            if (i < s.size() && s[i] == ':') ++i;
            if (!read_digits(s, i, 2, om)) throw bad();
            i += 2;
            if (oh > 23 || om > 59) throw bad();
            offset_minutes = sign * (oh * 60 + om);
        } else {
            throw bad();
        }
        if (i != s.size()) throw bad();
    }
    const sys_seconds utc = sys_days(date) + hours(hh) + minutes(mm) + seconds(ss) -
                            minutes(offset_minutes);
    const auto day_start = floor<days>(utc);
    const year_month_day ud{day_start};
    const hh_mm_ss<seconds> t{utc - day_start};
    return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z", static_cast<int>(ud.year()),
                       static_cast<unsigned>(ud.month()), static_cast<unsigned>(ud.day()),
                       t.hours().count(), t.minutes().count(), t.seconds().count());
}

std::uint64_t export_claimants(Registry& registry, const ExportOptions& options, std::FILE* out) {
    if (options.format != ExportFormat::csv && options.bom) {
        throw ValueError("a byte order mark applies to CSV only");
    }
    if (options.format == ExportFormat::xlsx) {
        throw ValueError("a workbook is written to a file (export_claimants_xlsx), not a stream");
    }
    const std::span<const Column> columns = exporting::columns_of(options);
    exporting::ExportScan q(registry, options, columns);
    if (options.format == ExportFormat::csv) return write_csv(q, columns, options, out);
    return write_json(q, columns, options.format == ExportFormat::ndjson, out);
}

} // namespace claimreg
