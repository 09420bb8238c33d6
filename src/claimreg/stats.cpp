#include "claimreg/stats.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "claimreg/error.hpp"
#include "claimreg/lifecycle.hpp"

namespace claimreg {

namespace {

// The fixed table of groups: their spellings and the SQL expression over `claimants` that
// yields each. Only these expressions ever reach SQL text; user input selects among them.
struct GroupInfo {
    StatsGroup group;
    std::string_view option; // --by spelling
    std::string_view field;  // column / JSON key
    std::string_view sql;    // expression over claimants
};

constexpr std::array<GroupInfo, stats_group_count> group_info = {{
    {StatsGroup::state, "state", "state", "state"},
    {StatsGroup::verdict, "verdict", "verdict", "verdict"},
    {StatsGroup::platform, "platform", "platform", "platform"},
    {StatsGroup::age_band, "age-band", "age_band", "age_band"},
    {StatsGroup::birth_year, "birth-year", "birth_year", "substr(child_birth_date, 1, 4)"},
    {StatsGroup::postcode_area, "postcode-area", "postcode_area",
     "CASE WHEN postcode GLOB '[0-9][0-9]*' THEN substr(postcode, 1, 2) ELSE '' END"},
    {StatsGroup::registration_month, "registration-month", "registration_month",
     "substr(registered_at, 1, 7)"},
    {StatsGroup::relation, "relation", "relation", "registrant_relation"},
    {StatsGroup::source, "source", "source",
     "(SELECT name FROM sources WHERE sources.id = claimants.source_id)"},
}};

constexpr std::array<StatsGroup, stats_group_count> all_groups = {
    StatsGroup::state,         StatsGroup::verdict,           StatsGroup::platform,
    StatsGroup::age_band,      StatsGroup::birth_year,        StatsGroup::postcode_area,
    StatsGroup::registration_month, StatsGroup::relation,     StatsGroup::source,
};

const GroupInfo& info(StatsGroup group) {
    return group_info[static_cast<std::size_t>(group)];
}

// Groups counted from `tallies` (schema migration 5, registry.cpp): claimants per state,
// verdict, age band and birth date.
bool covered_by_tallies(StatsGroup group) {
    return group == StatsGroup::state || group == StatsGroup::verdict ||
           group == StatsGroup::age_band || group == StatsGroup::birth_year;
}

// States and age bands sort in their natural order; everything else as text.
int rank(StatsGroup group, std::string_view value) {
    if (group == StatsGroup::state) {
        for (const State s : {State::active, State::withdrawn, State::opted_out}) {
            if (value == to_string(s)) return static_cast<int>(s);
        }
        return 3;
    }
    if (group == StatsGroup::age_band) {
        if (value.empty()) return 3; // 18 and over: after the bands
        for (const AgeBand b : {AgeBand::under_13, AgeBand::from_13_to_15, AgeBand::from_16_to_17}) {
            if (value == to_string(b)) return static_cast<int>(b);
        }
        return 4;
    }
    return 0;
}

std::optional<AgeBand> parse_band(std::string_view text) {
    for (const AgeBand b : {AgeBand::under_13, AgeBand::from_13_to_15, AgeBand::from_16_to_17}) {
        if (text == to_string(b)) return b;
    }
    return std::nullopt;
}

struct Accumulated {
    std::uint64_t count = 0;
    std::uint64_t claimed_eur = 0;
};

} // namespace

std::span<const StatsGroup> stats_groups() {
    return all_groups;
}

std::string_view to_string(StatsGroup group) {
    return info(group).option;
}

std::string_view field_name(StatsGroup group) {
    return info(group).field;
}

StatsGroup parse_stats_group(std::string_view text) {
    for (const GroupInfo& g : group_info) {
        if (text == g.option || text == g.field) return g.group;
    }
    std::string known;
    for (const GroupInfo& g : group_info) known += (known.empty() ? "" : "|") + std::string(g.option);
    throw UsageError(fmt::format("unknown group (use {})", known));
}

std::uint64_t StatsTable::total() const {
    std::uint64_t n = 0;
    for (const StatsRow& r : rows) n += r.count;
    return n;
}

std::uint64_t StatsTable::total_claimed_eur() const {
    std::uint64_t n = 0;
    for (const StatsRow& r : rows) n += r.claimed_eur;
    return n;
}

StatsTable count_claimants(Registry& registry, const StatsQuery& query) {
    const auto& by = query.by;
    for (std::size_t i = 0; i < by.size(); ++i) {
        if (std::find(by.begin(), by.begin() + static_cast<std::ptrdiff_t>(i), by[i]) !=
            by.begin() + static_cast<std::ptrdiff_t>(i)) {
            throw UsageError(fmt::format("group '{}' given twice", to_string(by[i])));
        }
    }
    std::vector<VerdictKind> verdicts;
    for (const VerdictKind v : query.verdicts) {
        if (std::find(verdicts.begin(), verdicts.end(), v) == verdicts.end()) verdicts.push_back(v);
    }
    const bool all_states = std::find(by.begin(), by.end(), StatsGroup::state) != by.end();
    const bool covered = std::all_of(by.begin(), by.end(), covered_by_tallies);
    const std::string active(to_string(State::active));
    const std::string eligible(to_string(VerdictKind::eligible));
    constexpr std::array<AgeBand, 3> bands = {AgeBand::under_13, AgeBand::from_13_to_15,
                                              AgeBand::from_16_to_17};

    // Bound parameters: only fixed spellings and amounts from code, numbered as they appear.
    struct Param {
        std::string text;
        std::int64_t number = 0;
        bool is_number = false;
    };
    std::vector<Param> params;
    const auto param = [&](std::string text) {
        params.push_back({std::move(text), 0, false});
        return fmt::format("?{}", params.size());
    };
    const auto number_param = [&](std::int64_t number) {
        params.push_back({std::string(), number, true});
        return fmt::format("?{}", params.size());
    };

    // Groups covered by `tallies` (state, verdict, age band, birth date) add up its counts in
    // its key order: GROUP BY state, verdict, age_band[, child_birth_date] needs no sorting
    // and no claimant is read; the claimed amount follows from those columns in C++.
    // Other groups read the table (NOT INDEXED: an export-like scan in rowid order) and group
    // by the requested expressions only, which keeps the sort small; the claimed amount is
    // summed in SQL.
    // `value_column[i]`: the result column of by[i]; then the count and, if not covered, the sum.
    std::string columns;
    std::vector<int> value_column;
    int next_column = 0;
    const auto add_column = [&](std::string_view sql) {
        columns += columns.empty() ? "" : ", ";
        columns += sql;
        return next_column++;
    };
    if (covered) {
        add_column("state");
        add_column("verdict");
        add_column("age_band");
        for (const StatsGroup g : by) {
            switch (g) {
            case StatsGroup::state: value_column.push_back(0); break;
            case StatsGroup::verdict: value_column.push_back(1); break;
            case StatsGroup::age_band: value_column.push_back(2); break;
            default: value_column.push_back(add_column("child_birth_date")); // birth_year
            }
        }
    } else {
        for (const StatsGroup g : by) value_column.push_back(add_column(info(g).sql));
    }
    const std::string group_by = columns;
    const int count_column = add_column(covered ? "sum(n)" : "count(*)");
    if (!covered) {
        std::string amount = fmt::format("sum(CASE WHEN state = {} AND verdict = {} THEN CASE age_band",
                                         param(active), param(eligible));
        for (const AgeBand b : bands) {
            amount += fmt::format(" WHEN {} THEN {}", param(std::string(to_string(b))),
                                  number_param(claimed_eur(b)));
        }
        add_column(amount + " ELSE 0 END ELSE 0 END)");
    }
    std::vector<std::string> conditions;
    // Claimants linked into another (review.hpp) are registrations of it: never counted.
    conditions.push_back(all_states ? fmt::format("state != {}", param(std::string(to_string(State::linked))))
                                    : fmt::format("state = {}", param(active)));
    if (!verdicts.empty()) {
        std::string in;
        for (const VerdictKind v : verdicts) {
            in += fmt::format("{}{}", in.empty() ? "" : ", ", param(std::string(to_string(v))));
        }
        conditions.push_back(fmt::format("verdict IN ({})", in));
    }
    std::string sql = fmt::format("SELECT {} FROM {}", columns,
                                  covered ? "tallies" : "claimants NOT INDEXED");
    for (std::size_t i = 0; i < conditions.size(); ++i) {
        sql += fmt::format(" {} {}", i == 0 ? "WHERE" : "AND", conditions[i]);
    }
    if (!group_by.empty()) sql += fmt::format(" GROUP BY {}", group_by);

    SQLite::Statement st(registry.db(), sql);
    for (std::size_t i = 0; i < params.size(); ++i) {
        const int index = static_cast<int>(i + 1);
        if (params[i].is_number) {
            st.bind(index, params[i].number);
        } else {
            st.bind(index, params[i].text);
        }
    }

    std::map<std::vector<std::string>, Accumulated> groups;
    std::vector<std::string> key(by.size());
    while (st.executeStep()) {
        const auto text = [&](int column) {
            const char* p = st.getColumn(column).getText("");
            return std::string_view(p, static_cast<std::size_t>(st.getColumn(column).getBytes()));
        };
        for (std::size_t i = 0; i < by.size(); ++i) {
            std::string_view value = text(value_column[i]);
            if (by[i] == StatsGroup::birth_year) value = value.substr(0, 4);
            key[i].assign(value);
        }
        const auto n = static_cast<std::uint64_t>(st.getColumn(count_column).getInt64());
        if (n == 0) continue; // a count without GROUP BY over no rows
        Accumulated& acc = groups[key];
        acc.count += n;
        if (!covered) {
            acc.claimed_eur += static_cast<std::uint64_t>(st.getColumn(count_column + 1).getInt64());
        } else if (text(0) == active && text(1) == eligible) {
            if (const auto band = parse_band(text(2))) {
                acc.claimed_eur += n * static_cast<std::uint64_t>(claimed_eur(*band));
            }
        }
    }

    StatsTable table;
    table.by = by;
    table.rows.reserve(groups.size());
    for (auto& [values, acc] : groups) table.rows.push_back({values, acc.count, acc.claimed_eur});
    std::sort(table.rows.begin(), table.rows.end(), [&](const StatsRow& a, const StatsRow& b) {
        for (std::size_t i = 0; i < by.size(); ++i) {
            const int ra = rank(by[i], a.values[i]);
            const int rb = rank(by[i], b.values[i]);
            if (ra != rb) return ra < rb;
            if (a.values[i] != b.values[i]) return a.values[i] < b.values[i];
        }
        return false;
    });
    return table;
}

std::uint64_t count_active(Registry& registry, std::span<const VerdictKind> verdicts) {
    StatsQuery query;
    query.verdicts.assign(verdicts.begin(), verdicts.end());
    return count_claimants(registry, query).total();
}

StatsSummary summarize(Registry& registry) {
    SQLite::Database& db = registry.db();
    // Two statements, one snapshot.
    SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED);
    StatsQuery query;
    query.by = {StatsGroup::state, StatsGroup::verdict};
    const StatsTable table = count_claimants(registry, query);

    StatsSummary s;
    for (const StatsRow& row : table.rows) {
        const std::string& state = row.values[0];
        if (state == to_string(State::active)) {
            s.active += row.count;
            for (const VerdictKind v :
                 {VerdictKind::eligible, VerdictKind::ineligible, VerdictKind::review}) {
                if (row.values[1] == to_string(v)) s.by_verdict[static_cast<std::size_t>(v)] += row.count;
            }
        } else if (state == to_string(State::withdrawn)) {
            s.withdrawn += row.count;
        } else if (state == to_string(State::opted_out)) {
            s.opted_out += row.count;
        }
    }
    s.claimed_eur = table.total_claimed_eur();

    // CROSS JOIN keeps registrations outside: one lookup per registration, not one per claimant.
    SQLite::Statement dup(db, "SELECT count(*) FROM registrations r CROSS JOIN claimants c "
                              "ON c.id = r.claimant_id WHERE c.state = ?");
    dup.bind(1, std::string(to_string(State::active)));
    if (dup.executeStep()) s.duplicates = static_cast<std::uint64_t>(dup.getColumn(0).getInt64());
    // Claimants linked into another by a person's decision (review.hpp) are registrations too.
    SQLite::Statement linked(db, "SELECT coalesce(sum(n), 0) FROM tallies WHERE state = ?");
    linked.bind(1, std::string(to_string(State::linked)));
    if (linked.executeStep()) s.duplicates += static_cast<std::uint64_t>(linked.getColumn(0).getInt64());
    s.erased = erased_count(registry);
    snapshot.commit();
    return s;
}

} // namespace claimreg
