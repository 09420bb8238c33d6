#include "claimreg/row_pipeline.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "claimreg/error.hpp"

namespace claimreg {

namespace {

// Columns an export or a rejects file adds; ignored on import so those files re-import.
constexpr std::array<std::string_view, 9> ignored_columns = {
    "id", "state", "verdict", "reasons", "age_band", "rule_set", "checked_at", "source", "reason"};

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

bool is_state_header(std::string_view header) {
    const std::string name = normalise_header(header);
    return name == "state" || name == "status" || name == "status_aanmelding";
}

// A `state` cell: nullopt when empty; throws RuleError when not a state.
std::optional<State> parse_state_cell(std::string_view text) {
    const std::string value = normalise_header(text);
    if (value.empty()) return std::nullopt;
    if (value == "active" || value == "actief") return State::active;
    if (value == "withdrawn" || value == "ingetrokken") return State::withdrawn;
    if (value == "opted_out" || value == "afgemeld") return State::opted_out;
    throw RuleError("not active, withdrawn or opted-out (actief, ingetrokken, afgemeld)");
}

} // namespace

std::string CsvSource::row_name(std::uint64_t line) const { return fmt::format("line {}", line); }

bool is_export_only_column(std::string_view header) {
    const std::string name = normalise_header(header);
    return std::find(ignored_columns.begin(), ignored_columns.end(), name) != ignored_columns.end();
}

// ---- the header ---------------------------------------------------------------------------

std::string HeaderMap::column_label(Field f) const {
    const auto& i = column_of[static_cast<std::size_t>(f)];
    const std::string_view canonical = field_name(f);
    if (!i) return std::string(canonical);
    const std::string prefix = letters[*i].empty() ? "" : letters[*i] + " ";
    if (headers[*i] == canonical) return prefix + std::string(canonical);
    return fmt::format("{}{} ({})", prefix, headers[*i], canonical);
}

std::string HeaderMap::column_label(std::size_t i) const {
    for (std::size_t f = 0; f < field_count; ++f) {
        if (column_of[f] == i) return column_label(static_cast<Field>(f));
    }
    return letters[i].empty() ? headers[i] : letters[i] + " " + headers[i];
}

HeaderMap map_header(const CsvRecord& header, const RecordSource& source) {
    const std::string where = source.row_name(header.line);
    if (header.problem != RowProblem::none) {
        throw DataError(fmt::format("{}: header row: {}", where, to_string(header.problem)));
    }
    HeaderMap map;
    map.width = header.fields.size();
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        map.letters.push_back(source.column_name(i));
        map.headers.push_back(trimmed(header.fields[i]));
        const std::string& name = map.headers.back();
        if (is_state_header(name)) {
            if (map.state_column) {
                throw DataError(fmt::format("line {}: column state appears twice", header.line));
            }
            map.state_column = i;
        } else if (const auto field = field_from_header(name)) {
            auto& slot = map.column_of[static_cast<std::size_t>(*field)];
            if (slot) {
                throw DataError(fmt::format("{}: column {} appears twice", where,
                                            field_name(*field)));
            }
            slot = i;
            map.given |= field_bit(*field);
        } else if (!is_export_only_column(name)) {
            map.unknown.push_back(name);
        }
    }
    std::vector<std::string_view> missing;
    for (std::size_t f = 0; f < field_count; ++f) {
        if (field_is_required(static_cast<Field>(f)) && !map.column_of[f]) {
            missing.push_back(field_name(static_cast<Field>(f)));
        }
    }
    if (!missing.empty()) {
        throw DataError(fmt::format("{}: missing required column{}: {}", where,
                                    missing.size() > 1 ? "s" : "", fmt::join(missing, ", ")));
    }
    return map;
}

// ---- a row --------------------------------------------------------------------------------

RowPipeline::RowPipeline(HeaderMap header, const RecordSource& source, Date today,
                         std::string now_utc, const RuleSet& rules)
    : header_(std::move(header)), source_(source), today_(today), now_utc_(std::move(now_utc)),
      rules_(rules) {}

std::optional<RowError> RowPipeline::raw_record(const CsvRecord& record, RawRecord& raw) const {
    const auto reject = [&](std::string column, std::string rule) {
        return RowError{record.line, std::move(column), std::move(rule)};
    };
    if (record.problem != RowProblem::none) {
        const std::size_t at = record.problem_column;
        return reject(at == CsvRecord::no_column ? std::string()
                      : at < header_.width        ? header_.column_label(at)
                                                  : source_.column_name(at),
                      std::string(to_string(record.problem)));
    }
    if (record.fields.size() != header_.width) {
        return reject("", fmt::format("expected {} fields, found {}", header_.width,
                                      record.fields.size()));
    }
    raw = RawRecord{};
    for (std::size_t f = 0; f < field_count; ++f) {
        if (const auto& column = header_.column_of[f]) {
            raw[f] = strip_formula_guard(record.fields[*column]);
            // A spreadsheet that took a phone number for a number dropped its leading 0
            // or +: what it was cannot be told, so the row goes back for correction.
            if (static_cast<Field>(f) == Field::registrant_phone && *column < record.kinds.size() &&
                record.kinds[*column] == CellKind::number) {
                return reject(header_.column_label(Field::registrant_phone),
                              "a number, not text (a spreadsheet drops a phone number's "
                              "leading 0 or +): store the column as text");
            }
        }
    }
    return std::nullopt;
}

std::optional<RowError> RowPipeline::registration(const RawRecord& raw, std::uint64_t line,
                                                  Registration& out) const {
    try {
        out = parse_registration(raw, today_, now_utc_);
    } catch (const FieldError& e) {
        return RowError{line, header_.column_label(e.field()), e.rule()};
    }
    return std::nullopt;
}

void RowPipeline::prepare(const CsvRecord& record, PreparedRow& row) const {
    row.line = record.line;
    const auto reject = [&](RowError error) {
        row.error = std::move(error);
        row.cells.assign(record.fields.begin(), record.fields.end());
    };
    RawRecord raw;
    if (auto error = raw_record(record, raw)) return reject(std::move(*error));
    if (auto error = registration(raw, record.line, row.registration)) {
        return reject(std::move(*error));
    }
    if (header_.state_column) {
        try {
            row.state = parse_state_cell(record.fields[*header_.state_column]);
        } catch (const RuleError& e) {
            return reject(RowError{record.line, header_.headers[*header_.state_column], e.what()});
        }
    }
    row.verdict = evaluate(eligibility_input(row.registration), rules_, today_);
    row.stored = Registrar::prepare(row.registration, row.verdict);
    // Only what the file gives is compared with a stored registration: a missing column,
    // or a registered_at left to default to now, keeps the stored value.
    row.stored.given = header_.given;
    if (raw[static_cast<std::size_t>(Field::registered_at)].empty()) {
        row.stored.given &= ~field_bit(Field::registered_at);
    }
}

} // namespace claimreg
