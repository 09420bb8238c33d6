#include "claimreg/stats.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/lifecycle.hpp"
#include "store/figures.hpp"
#include "store/snapshot.hpp"

namespace claimreg {

namespace {

// The fixed table of groups: their names (the store has the SQL of each, figures.cpp).
struct GroupInfo {
    StatsGroup group;
    std::string_view name;  // the group's name: `birth-year`
    std::string_view field; // column / JSON key: `birth_year`
};

constexpr std::array<GroupInfo, stats_group_count> group_info = {{
    {StatsGroup::state, "state", "state"},
    {StatsGroup::verdict, "verdict", "verdict"},
    {StatsGroup::platform, "platform", "platform"},
    {StatsGroup::age_band, "age-band", "age_band"},
    {StatsGroup::birth_year, "birth-year", "birth_year"},
    {StatsGroup::postcode_area, "postcode-area", "postcode_area"},
    {StatsGroup::registration_month, "registration-month", "registration_month"},
    {StatsGroup::relation, "relation", "relation"},
    {StatsGroup::source, "source", "source"},
}};

constexpr std::array<StatsGroup, stats_group_count> all_groups = {
    StatsGroup::state,         StatsGroup::verdict,           StatsGroup::platform,
    StatsGroup::age_band,      StatsGroup::birth_year,        StatsGroup::postcode_area,
    StatsGroup::registration_month, StatsGroup::relation,     StatsGroup::source,
};

const GroupInfo& info(StatsGroup group) {
    return group_info[static_cast<std::size_t>(group)];
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

struct Accumulated {
    std::uint64_t count = 0;
    std::uint64_t claimed_eur = 0;
};

} // namespace

std::span<const StatsGroup> stats_groups() {
    return all_groups;
}

std::string_view to_string(StatsGroup group) {
    return info(group).name;
}

std::string_view field_name(StatsGroup group) {
    return info(group).field;
}

StatsGroup parse_stats_group(std::string_view text) {
    for (const GroupInfo& g : group_info) {
        if (text == g.name || text == g.field) return g.group;
    }
    std::string known;
    for (const GroupInfo& g : group_info) known += (known.empty() ? "" : "|") + std::string(g.name);
    throw ValueError(fmt::format("unknown group (use {})", known));
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
            throw ValueError(fmt::format("group '{}' given twice", to_string(by[i])));
        }
    }
    std::vector<VerdictKind> verdicts;
    for (const VerdictKind v : query.verdicts) {
        if (std::find(verdicts.begin(), verdicts.end(), v) == verdicts.end()) verdicts.push_back(v);
    }
    const bool all_states = std::find(by.begin(), by.end(), StatsGroup::state) != by.end();
    std::map<std::vector<std::string>, Accumulated> groups;
    for (store::GroupCount& row : store::count_groups(registry, by, verdicts, all_states)) {
        Accumulated& acc = groups[std::move(row.values)];
        acc.count += row.count;
        acc.claimed_eur += row.claimed_eur;
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
    // Several reads, one snapshot.
    store::ReadSnapshot snapshot(registry);
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

    s.duplicates = store::registrations_of_active(registry);
    // Claimants linked into another by a person's decision (review.hpp) are registrations too.
    s.duplicates += store::tallied_claimants(registry, State::linked);
    s.erased = erased_count(registry);
    snapshot.commit();
    return s;
}

} // namespace claimreg
