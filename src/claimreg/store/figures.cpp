#include "figures.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "statement.hpp"

namespace claimreg::store {

namespace {

// The SQL expression over `claimants` that yields each group (StatsGroup order). Only these
// expressions ever reach SQL text; user input selects among them.
constexpr std::array<std::string_view, stats_group_count> group_sql = {
    "state",
    "verdict",
    "platform",
    "age_band",
    "substr(child_birth_date, 1, 4)",
    "CASE WHEN postcode GLOB '[0-9][0-9]*' THEN substr(postcode, 1, 2) ELSE '' END",
    "substr(registered_at, 1, 7)",
    "registrant_relation",
    "(SELECT name FROM sources WHERE sources.id = claimants.source_id)",
};

// Groups counted from `tallies` (schema migration 5, registry.cpp): claimants per state,
// verdict, age band and birth date.
bool covered_by_tallies(StatsGroup group) {
    return group == StatsGroup::state || group == StatsGroup::verdict ||
           group == StatsGroup::age_band || group == StatsGroup::birth_year;
}

std::optional<AgeBand> parse_band(std::string_view text) {
    for (const AgeBand b : {AgeBand::under_13, AgeBand::from_13_to_15, AgeBand::from_16_to_17}) {
        if (text == to_string(b)) return b;
    }
    return std::nullopt;
}

} // namespace

std::vector<GroupCount> count_groups(Registry& registry, std::span<const StatsGroup> by,
                                     std::span<const VerdictKind> verdicts, bool all_states) {
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
        for (const StatsGroup g : by) {
            value_column.push_back(add_column(group_sql[static_cast<std::size_t>(g)]));
        }
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

    std::vector<GroupCount> rows;
    while (st.executeStep()) {
        const auto text = [&](int column) {
            const char* p = st.getColumn(column).getText("");
            return std::string_view(p, static_cast<std::size_t>(st.getColumn(column).getBytes()));
        };
        const auto n = static_cast<std::uint64_t>(st.getColumn(count_column).getInt64());
        if (n == 0) continue; // a count without GROUP BY over no rows
        GroupCount row;
        row.values.resize(by.size());
        for (std::size_t i = 0; i < by.size(); ++i) {
            std::string_view value = text(value_column[i]);
            if (by[i] == StatsGroup::birth_year) value = value.substr(0, 4);
            row.values[i].assign(value);
        }
        row.count = n;
        if (!covered) {
            row.claimed_eur = static_cast<std::uint64_t>(st.getColumn(count_column + 1).getInt64());
        } else if (text(0) == active && text(1) == eligible) {
            if (const auto band = parse_band(text(2))) {
                row.claimed_eur = n * static_cast<std::uint64_t>(claimed_eur(*band));
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> linked_registration_counts(Registry& registry) {
    // CROSS JOIN keeps registrations outside: one lookup per registration.
    SQLite::Statement st(registry.db(),
                         "SELECT n, count(*) FROM (SELECT count(*) AS n FROM registrations r "
                         "CROSS JOIN claimants c ON c.id = r.claimant_id WHERE c.state = ? "
                         "GROUP BY r.claimant_id) GROUP BY n");
    st.bind(1, std::string(to_string(State::active)));
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    while (st.executeStep()) {
        out.emplace_back(static_cast<std::uint64_t>(st.getColumn(0).getInt64()),
                         static_cast<std::uint64_t>(st.getColumn(1).getInt64()));
    }
    return out;
}

std::uint64_t registrations_of_active(Registry& registry) {
    // CROSS JOIN keeps registrations outside: one lookup per registration, not one per claimant.
    SQLite::Statement st(registry.db(), "SELECT count(*) FROM registrations r CROSS JOIN "
                                        "claimants c ON c.id = r.claimant_id WHERE c.state = ?");
    st.bind(1, std::string(to_string(State::active)));
    if (!st.executeStep()) return 0;
    return static_cast<std::uint64_t>(st.getColumn(0).getInt64());
}

std::uint64_t tallied_claimants(Registry& registry, State state) {
    SQLite::Statement st(registry.db(), "SELECT coalesce(sum(n), 0) FROM tallies WHERE state = ?");
    st.bind(1, std::string(to_string(state)));
    if (!st.executeStep()) return 0;
    return static_cast<std::uint64_t>(st.getColumn(0).getInt64());
}

std::int64_t latest_check_of_all(Registry& registry) {
    SQLite::Statement st(registry.db(), "SELECT coalesce(max(id), 0) FROM checks WHERE scope = 'all'");
    if (!st.executeStep()) return 0;
    return st.getColumn(0).getInt64();
}

bool read_check(Registry& registry, std::int64_t id, std::string& rule_set, std::string& as_of) {
    SQLite::Statement& st = registry.statement("SELECT rule_set, as_of FROM checks WHERE id = ?");
    const ResetOnExit reset{st};
    st.bind(1, id);
    if (!st.executeStep()) return false;
    rule_set = st.getColumn(0).getString();
    as_of = st.getColumn(1).getString();
    return true;
}

} // namespace claimreg::store
