#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/review.hpp"
#include "review_decisions.hpp"

namespace claimreg {

namespace {

enum class Decision { none, same, distinct };

// A decision cell: trimmed, any case; throws RuleError otherwise.
Decision parse_decision(std::string_view text) {
    const std::string value = normalise_header(text);
    if (value.empty()) return Decision::none;
    if (value == "same" || value == "zelfde") return Decision::same;
    if (value == "distinct" || value == "verschillend") return Decision::distinct;
    throw RuleError("not same, distinct, zelfde or verschillend");
}

// A claimant id cell: a positive whole number; throws RuleError otherwise.
std::int64_t parse_id(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    std::int64_t id = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || id <= 0) {
        throw RuleError("not a claimant id (a positive whole number)");
    }
    return id;
}

struct DecisionRow {
    std::uint64_t line = 0;
    std::int64_t a = 0, b = 0;
    Decision decision = Decision::none;
};

// Union-find over claimants, the lower id the representative (the one kept).
class OneChild {
  public:
    std::int64_t find(std::int64_t id) {
        auto it = parent_.find(id);
        if (it == parent_.end() || it->second == id) return id;
        const std::int64_t root = find(it->second);
        it->second = root;
        return root;
    }
    void join(std::int64_t a, std::int64_t b) {
        const std::int64_t ra = find(a);
        const std::int64_t rb = find(b);
        if (ra == rb) return;
        parent_[std::max(ra, rb)] = std::min(ra, rb);
    }

  private:
    std::map<std::int64_t, std::int64_t> parent_;
};

} // namespace

ResolveReport resolve_decisions(Registry& registry, std::FILE* in, const CsvReadOptions& csv,
                                const std::string& now) {
    ResolveReport report;
    CsvReader reader(in, csv);
    CsvRecord record;
    if (!reader.next(record)) throw DataError("empty input: no header row");
    if (record.problem != RowProblem::none) {
        throw DataError(
            fmt::format("line {}: header row: {}", record.line, to_string(record.problem)));
    }
    const std::array<std::string_view, 3> names = {"a", "b", "decision"};
    std::array<std::optional<std::size_t>, 3> column;
    for (std::size_t i = 0; i < record.fields.size(); ++i) {
        const std::string name = normalise_header(record.fields[i]);
        for (std::size_t n = 0; n < names.size(); ++n) {
            if (name != names[n]) continue;
            if (column[n]) {
                throw DataError(
                    fmt::format("line {}: column {} appears twice", record.line, names[n]));
            }
            column[n] = i;
        }
    }
    std::string missing;
    for (std::size_t n = 0; n < names.size(); ++n) {
        if (!column[n]) (missing += missing.empty() ? "" : ", ") += names[n];
    }
    if (!missing.empty()) {
        throw DataError(fmt::format("line {}: missing required column{}: {}", record.line,
                                    missing.find(',') == std::string::npos ? "" : "s", missing));
    }

    std::vector<DecisionRow> rows;
    const auto error = [&](std::uint64_t line, std::string_view col, std::string reason) {
        report.errors.push_back({line, std::string(col), std::move(reason)});
    };
    while (reader.next(record)) {
        ++report.rows;
        if (record.problem != RowProblem::none) {
            error(record.line, "", std::string(to_string(record.problem)));
            continue;
        }
        DecisionRow row;
        row.line = record.line;
        bool bad = false;
        const auto cell = [&](std::size_t n) -> std::string_view {
            return *column[n] < record.fields.size() ? record.fields[*column[n]]
                                                     : std::string_view();
        };
        try {
            row.decision = parse_decision(cell(2));
        } catch (const RuleError& e) {
            error(record.line, "decision", e.what());
            bad = true;
        }
        if (!bad && row.decision == Decision::none) {
            ++report.skipped; // not reviewed yet
            continue;
        }
        for (std::size_t n = 0; n < 2; ++n) {
            try {
                (n == 0 ? row.a : row.b) = parse_id(cell(n));
            } catch (const RuleError& e) {
                error(record.line, names[n], e.what());
                bad = true;
            }
        }
        if (!bad && row.a == row.b) {
            error(record.line, "b", "the same claimant as a");
            bad = true;
        }
        if (!bad) rows.push_back(row);
    }

    WriteTransaction tx(registry);
    // Every id: known, and the claimant it stands for now (following links).
    std::map<std::int64_t, std::int64_t> root;
    std::vector<bool> usable(rows.size(), true);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t n = 0; n < 2; ++n) {
            const std::int64_t id = n == 0 ? rows[i].a : rows[i].b;
            if (root.count(id) != 0) continue;
            if (!store::read_link_state(registry, id)) {
                error(rows[i].line, names[n], fmt::format("no claimant with id {}", id));
                usable[i] = false;
                continue;
            }
            root[id] = root_of(registry, id);
        }
    }
    // `same` rows join children; a pair kept apart before, or a claimant that is no longer
    // active, cannot be joined.
    OneChild child;
    std::map<std::pair<std::int64_t, std::int64_t>, std::uint64_t> same_line;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const DecisionRow& r = rows[i];
        if (!usable[i] || r.decision != Decision::same) continue;
        const std::int64_t ra = root.at(r.a);
        const std::int64_t rb = root.at(r.b);
        if (ra == rb) continue; // linked before: nothing to do
        bool bad = false;
        for (const std::int64_t id : {ra, rb}) {
            const store::LinkState s = require_state(registry, id);
            if (s.state != to_string(State::active)) {
                error(r.line, id == ra ? "a" : "b",
                      fmt::format("claimant {} is {}, not active", id, s.state));
                bad = true;
            }
        }
        if (!bad &&
            (store::pair_decision(registry, r.a, r.b) == std::optional<std::string>("distinct") ||
             store::pair_decision(registry, ra, rb) == std::optional<std::string>("distinct"))) {
            error(r.line, "decision", "the pair was recorded as distinct children before");
            bad = true;
        }
        if (bad) {
            usable[i] = false;
            continue;
        }
        child.join(ra, rb);
        same_line.emplace(std::pair{std::min(r.a, r.b), std::max(r.a, r.b)}, r.line);
    }
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const DecisionRow& r = rows[i];
        if (!usable[i] || r.decision != Decision::distinct) continue;
        const std::int64_t ra = root.at(r.a);
        const std::int64_t rb = root.at(r.b);
        if (ra == rb) {
            error(r.line, "decision",
                  fmt::format("claimants {} and {} are linked as one child: unlink first",
                              std::min(r.a, r.b), std::max(r.a, r.b)));
        } else if (child.find(ra) == child.find(rb)) {
            const auto same = same_line.find({std::min(r.a, r.b), std::max(r.a, r.b)});
            error(r.line, "decision",
                  same != same_line.end()
                      ? fmt::format("contradicts line {} (same)", same->second)
                      : std::string("contradicts the same decisions of other rows, which make "
                                    "them one child"));
        }
    }
    if (!report.errors.empty()) {
        std::stable_sort(report.errors.begin(), report.errors.end(),
                  [](const ResolveError& x, const ResolveError& y) { return x.line < y.line; });
        return report; // nothing applied: the transaction rolls back
    }
    for (const DecisionRow& r : rows) {
        if (r.decision == Decision::same) {
            const std::int64_t ra = root_of(registry, r.a);
            const std::int64_t rb = root_of(registry, r.b);
            if (ra == rb) {
                ++report.already;
                continue;
            }
            link_in(registry, std::min(ra, rb), std::max(ra, rb), now, "resolve");
            ++report.linked;
        } else if (distinct_in(registry, r.a, r.b, now, "resolve")) {
            ++report.distinct;
        } else {
            ++report.already;
        }
    }
    tx.commit();
    return report;
}

} // namespace claimreg
