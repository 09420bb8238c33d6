#include "claimreg/review.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/record.hpp"

namespace claimreg {

namespace {

// Links are followed at most this far (a link needs an active claimant to link into, so a
// chain cannot close on itself; the bound guards a damaged file).
constexpr int max_link_depth = 64;

// A claimant's state and what it is linked to, as stored.
struct StoredState {
    std::string state;
    std::optional<std::int64_t> linked_to;
};

std::optional<StoredState> read_state(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT state, linked_to FROM claimants WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) return std::nullopt;
    StoredState s{st.getColumn(0).getString(), std::nullopt};
    if (!st.getColumn(1).isNull()) s.linked_to = st.getColumn(1).getInt64();
    return s;
}

StoredState require_state(Registry& registry, std::int64_t id) {
    if (auto s = read_state(registry, id)) return *s;
    throw no_such_claimant(registry, id);
}

bool is_linked(const StoredState& s) {
    return s.state == to_string(State::linked);
}

// The identity key of stored claimant `id` (identity.hpp).
std::string identity_of(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(),
                         "SELECT child_first_name, child_name_prefix, child_last_name, "
                         "child_birth_date, postcode FROM claimants WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) throw no_such_claimant(registry, id);
    Registration r;
    r.child_first_name = st.getColumn(0).getString();
    r.child_name_prefix = st.getColumn(1).getString();
    r.child_last_name = st.getColumn(2).getString();
    r.child_birth_date = parse_date(st.getColumn(3).getString());
    r.postcode = st.getColumn(4).getString();
    return identity_key(r);
}

// The claimant at the end of `id`'s links (`id` itself when not linked).
std::int64_t root_of(Registry& registry, std::int64_t id) {
    std::int64_t at = id;
    for (int depth = 0; depth < max_link_depth; ++depth) {
        const auto s = read_state(registry, at);
        if (!s || !is_linked(*s) || !s->linked_to) return at;
        at = *s->linked_to;
    }
    throw DataError(fmt::format("claimant {}: its links go on too far (a damaged registry?)", id));
}

std::optional<std::string> stored_decision(Registry& registry, std::int64_t a, std::int64_t b) {
    SQLite::Statement st(registry.db(),
                         "SELECT decision FROM pair_decisions WHERE a = ? AND b = ?");
    st.bind(1, std::min(a, b));
    st.bind(2, std::max(a, b));
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getString();
}

void record_decision(Registry& registry, std::int64_t a, std::int64_t b, std::string_view decision,
                     const std::string& now) {
    SQLite::Statement st(
        registry.db(),
        "INSERT INTO pair_decisions (a, b, decision, decided_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (a, b) DO UPDATE SET decision = excluded.decision, "
        "decided_at = excluded.decided_at");
    st.bind(1, std::min(a, b));
    st.bind(2, std::max(a, b));
    st.bind(3, std::string(decision));
    st.bind(4, now);
    st.exec();
}

void touch(Registry& registry, std::int64_t id, const std::string& now) {
    SQLite::Statement st(registry.db(), "UPDATE claimants SET changed_at = ? WHERE id = ?");
    st.bind(1, now);
    st.bind(2, id);
    st.exec();
}

// An audit row for each of the two claimants of a decision.
void audit_both(Registry& registry, AuditAction action, std::int64_t first, std::int64_t second,
                const std::string& detail, const std::string& now) {
    append_audit(registry, action, first, std::nullopt, detail, now);
    append_audit(registry, action, second, std::nullopt, detail, now);
}

std::string with_origin(std::string detail, std::string_view by) {
    if (!by.empty()) (detail += " by=") += by;
    return detail;
}

// Why `id` (state `s`) cannot be linked or kept: empty when it can.
std::string not_linkable(std::int64_t id, const StoredState& s, Registry& registry) {
    if (is_linked(s)) {
        return fmt::format("claimant {} is already linked into claimant {}", id,
                           root_of(registry, id));
    }
    if (s.state != to_string(State::active)) {
        return fmt::format("claimant {} is {}, not active", id, s.state);
    }
    return {};
}

// link_claimants() inside the caller's transaction.
void link_in(Registry& registry, std::int64_t keep, std::int64_t other, const std::string& now,
             std::string_view by) {
    if (keep == other)
        throw DataError(fmt::format("claimant {} cannot be linked into itself", keep));
    const StoredState k = require_state(registry, keep);
    const StoredState o = require_state(registry, other);
    for (const auto& [id, s] : {std::pair{keep, &k}, std::pair{other, &o}}) {
        if (const std::string why = not_linkable(id, *s, registry); !why.empty()) {
            throw DataError(why + ": nothing linked");
        }
    }
    SQLite::Statement st(registry.db(),
                         "UPDATE claimants SET state = ?1, linked_to = ?2, state_changed_at = ?3, "
                         "changed_at = ?3 WHERE id = ?4");
    st.bind(1, std::string(to_string(State::linked)));
    st.bind(2, keep);
    st.bind(3, now);
    st.bind(4, other);
    st.exec();
    touch(registry, keep, now);
    record_decision(registry, keep, other, "same", now);
    audit_both(registry, AuditAction::linked, keep, other,
               with_origin(fmt::format("keep={} other={}", keep, other), by), now);
}

// mark_distinct() inside the caller's transaction; false when recorded before.
bool distinct_in(Registry& registry, std::int64_t a, std::int64_t b, const std::string& now,
                 std::string_view by) {
    if (a == b)
        throw DataError(fmt::format("claimant {} is one child: not distinct from itself", a));
    require_state(registry, a);
    require_state(registry, b);
    const std::int64_t ra = root_of(registry, a);
    if (ra == root_of(registry, b)) {
        const std::int64_t linked = ra == a ? b : a;
        throw DataError(fmt::format("claimants {} and {} are one child (claimant {} is linked "
                                    "into {}): unlink it first",
                                    std::min(a, b), std::max(a, b), linked, ra));
    }
    if (stored_decision(registry, a, b) == std::optional<std::string>("distinct")) return false;
    record_decision(registry, a, b, "distinct", now);
    audit_both(registry, AuditAction::distinct, std::min(a, b), std::max(a, b),
               with_origin(fmt::format("a={} b={}", std::min(a, b), std::max(a, b)), by), now);
    return true;
}

// ---- a reviewed file ---------------------------------------------------------------------

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

std::optional<std::int64_t> linked_into(Registry& registry, std::int64_t id) {
    const StoredState s = require_state(registry, id);
    if (!is_linked(s)) return std::nullopt;
    return root_of(registry, id);
}

DataError linked_claimant_error(std::int64_t id, std::int64_t keep) {
    return DataError(fmt::format("claimant {} is linked into claimant {} (the same child): use {}, "
                                 "or 'claimreg unlink {}' first",
                                 id, keep, keep, id));
}

std::vector<std::int64_t> claimants_linked_into(Registry& registry, std::int64_t id) {
    std::vector<std::int64_t> ids;
    SQLite::Statement st(registry.db(), "SELECT id FROM claimants WHERE linked_to = ? ORDER BY id");
    st.bind(1, id);
    while (st.executeStep())
        ids.push_back(st.getColumn(0).getInt64());
    return ids;
}

void link_claimants(Registry& registry, std::int64_t keep, std::int64_t other,
                    const std::string& now) {
    WriteTransaction tx(registry);
    link_in(registry, keep, other, now, "");
    tx.commit();
}

void mark_distinct(Registry& registry, std::int64_t a, std::int64_t b, const std::string& now) {
    WriteTransaction tx(registry);
    if (distinct_in(registry, a, b, now, "")) tx.commit();
}

std::int64_t unlink_claimant(Registry& registry, std::int64_t id, const std::string& now) {
    WriteTransaction tx(registry);
    const StoredState s = require_state(registry, id);
    if (!is_linked(s) || !s.linked_to) {
        throw DataError(fmt::format("claimant {} is not linked into another claimant: nothing to "
                                    "unlink",
                                    id));
    }
    const std::int64_t keep = *s.linked_to;
    // A correction from the source may have made it the very child of `keep` (its identity key
    // now the same): two claimants would then be one child.
    if (identity_of(registry, id) == identity_of(registry, keep)) {
        throw DataError(fmt::format("claimant {} is now the same child as claimant {} (the same "
                                    "names, birth date and postcode): not unlinked",
                                    id, keep));
    }
    SQLite::Statement st(
        registry.db(), "UPDATE claimants SET state = ?1, linked_to = NULL, state_changed_at = ?2, "
                       "changed_at = ?2 WHERE id = ?3");
    st.bind(1, std::string(to_string(State::active)));
    st.bind(2, now);
    st.bind(3, id);
    st.exec();
    touch(registry, keep, now);
    SQLite::Statement forget(registry.db(), "DELETE FROM pair_decisions WHERE a = ? AND b = ? AND "
                                            "decision = 'same'");
    forget.bind(1, std::min(id, keep));
    forget.bind(2, std::max(id, keep));
    forget.exec();
    audit_both(registry, AuditAction::unlinked, keep, id, fmt::format("keep={} other={}", keep, id),
               now);
    tx.commit();
    return keep;
}

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
            if (!read_state(registry, id)) {
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
            const StoredState s = require_state(registry, id);
            if (s.state != to_string(State::active)) {
                error(r.line, id == ra ? "a" : "b",
                      fmt::format("claimant {} is {}, not active", id, s.state));
                bad = true;
            }
        }
        if (!bad &&
            (stored_decision(registry, r.a, r.b) == std::optional<std::string>("distinct") ||
             stored_decision(registry, ra, rb) == std::optional<std::string>("distinct"))) {
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
