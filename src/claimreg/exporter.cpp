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

// Parsing a changed-since time.

constexpr const char* since_forms =
    "expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM:SS with Z or an "
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
    case DateTimeProblem::not_a_time: throw ValueError(since_forms);
    case DateTimeProblem::unreal_date: throw ValueError("not a real calendar date");
    case DateTimeProblem::none: break;
    }
    if (t.has_time && t.zone == DateTime::Zone::none) {
        throw ValueError("give the time zone of a date-time (Z for UTC, or an offset such as "
                         "+01:00)");
    }
    return format_utc(epoch_seconds(t));
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
