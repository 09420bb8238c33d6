#include "claimreg/stats.hpp"

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/columns.hpp"
#include "claimreg/error.hpp"

namespace test_stats {

using namespace claimreg;

namespace {

// One stored claimant, only the columns stats looks at (the rest are fixed stand-ins).
struct Row {
    std::string state = "active";
    std::string verdict = "eligible";
    std::string age_band = "under-13";
    std::string birth = "2010-05-01";
    std::string postcode = "1012 AB";
    std::string platform = "tiktok";
    std::string relation = "parent";
    std::string registered_at = "2024-01-15T10:00:00Z";
    std::string source = "add";
};

// Stores `row` as a claimant: every field of the field table, the ones stats looks at from
// `row`, the others fixed stand-ins (required text `x`, optional values empty).
std::int64_t insert(Registry& registry, const Row& row) {
    std::array<std::string, field_count> value;
    for (const FieldColumn& c : field_columns) {
        if (c.required) value[static_cast<std::size_t>(c.field)] = std::string(1, 'x');
    }
    const auto set = [&value](Field f, std::string v) { value[static_cast<std::size_t>(f)] = std::move(v); };
    set(Field::child_birth_date, row.birth);
    set(Field::country, "NL");
    set(Field::postcode, row.postcode);
    set(Field::platform, row.platform);
    set(Field::first_use, "2019-06-01");
    set(Field::registrant_email, "x@example.nl");
    set(Field::registrant_relation, row.relation);
    set(Field::consent, "1");
    set(Field::registered_at, row.registered_at);
    std::string names, params;
    for (const FieldColumn& c : field_columns) {
        names += fmt::format("{}, ", c.name);
        params += "?, ";
    }
    SQLite::Statement st(registry.db(),
                         fmt::format("INSERT INTO claimants (identity_digest, {}source_id, state, "
                                     "verdict, reasons, age_band, check_id, changed_at) VALUES "
                                     "(1, {}?, ?, ?, '', ?, ?, '2024-06-01T00:00:00Z')",
                                     names, params));
    int index = 1;
    for (const FieldColumn& c : field_columns) {
        const std::string& v = value[static_cast<std::size_t>(c.field)];
        if (c.kind == ValueKind::boolean) {
            st.bind(index++, v == "1" ? 1 : 0);
        } else {
            st.bind(index++, v);
        }
    }
    st.bind(index++, source_id(registry, row.source));
    st.bind(index++, row.state);
    st.bind(index++, row.verdict);
    st.bind(index++, row.age_band);
    st.bind(index++, record_check(registry, default_rule_set(), Date{std::chrono::year{2024} / 6 / 1},
                                  CheckScope::rows));
    st.exec();
    return registry.db().getLastInsertRowid();
}

void link_registration(Registry& registry, std::int64_t claimant) {
    SQLite::Statement st(registry.db(),
                         "INSERT INTO registrations (claimant_id, registrant_name, "
                         "registrant_email, registrant_phone, registrant_relation, consent, "
                         "registered_at, source_id, added_at) VALUES (?, 'y', 'y@example.nl', '', "
                         "'parent', 1, '2024-01-16', ?, '2024-01-16T00:00:00Z')");
    st.bind(1, claimant);
    st.bind(2, source_id(registry, "add"));
    st.exec();
}

std::vector<std::string> column(const StatsTable& t, std::size_t i) {
    std::vector<std::string> values;
    for (const StatsRow& r : t.rows) values.push_back(r.values.at(i));
    return values;
}

std::vector<std::uint64_t> counts(const StatsTable& t) {
    std::vector<std::uint64_t> n;
    for (const StatsRow& r : t.rows) n.push_back(r.count);
    return n;
}

StatsTable by(Registry& registry, std::vector<StatsGroup> groups,
              std::vector<VerdictKind> verdicts = {}) {
    return count_claimants(registry, StatsQuery{std::move(groups), std::move(verdicts)});
}

std::uint64_t amount(AgeBand b) {
    return static_cast<std::uint64_t>(claimed_eur(b));
}

} // namespace

TEST_CASE("stats: group names: names, column names, unknown ones") {
    CHECK(stats_groups().size() == stats_group_count);
    for (const StatsGroup g : stats_groups()) {
        CHECK(parse_stats_group(to_string(g)) == g);
        CHECK(parse_stats_group(field_name(g)) == g);
    }
    CHECK(to_string(StatsGroup::age_band) == "age-band");
    CHECK(field_name(StatsGroup::age_band) == "age_band");
    CHECK(field_name(StatsGroup::registration_month) == "registration_month");
    CHECK(parse_stats_group("postcode-area") == StatsGroup::postcode_area);
    CHECK_THROWS_AS(parse_stats_group("colour"), ValueError);
    CHECK_THROWS_AS(parse_stats_group("Age-Band"), ValueError);
    CHECK_THROWS_WITH(parse_stats_group("x"), doctest::Contains("birth-year"));
}

TEST_CASE("stats: an empty registry counts zero") {
    Registry registry = Registry::scratch();
    const StatsSummary s = summarize(registry);
    CHECK(s.active == 0);
    CHECK(s.withdrawn == 0);
    CHECK(s.opted_out == 0);
    CHECK(s.duplicates == 0);
    CHECK(s.claimed_eur == 0);
    CHECK(count_active(registry) == 0);
    CHECK(by(registry, {StatsGroup::age_band}).rows.empty());
    CHECK(by(registry, {}).total() == 0);
}

TEST_CASE("stats: only active claimants count, except when grouped by state") {
    Registry registry = Registry::scratch();
    insert(registry, {});
    insert(registry, {.state = "withdrawn"});
    insert(registry, {.state = "opted-out", .verdict = "ineligible"});
    insert(registry, {.verdict = "review"});
    CHECK(count_active(registry) == 2);
    const StatsTable v = by(registry, {StatsGroup::verdict});
    CHECK(column(v, 0) == std::vector<std::string>{"eligible", "review"});
    CHECK(counts(v) == std::vector<std::uint64_t>{1, 1});

    // States in their natural order, not alphabetical.
    const StatsTable s = by(registry, {StatsGroup::state});
    CHECK(column(s, 0) == std::vector<std::string>{"active", "withdrawn", "opted-out"});
    CHECK(counts(s) == std::vector<std::uint64_t>{2, 1, 1});
    CHECK(s.total() == 4);

    const StatsSummary sum = summarize(registry);
    CHECK(sum.active == 2);
    CHECK(sum.by_verdict[static_cast<std::size_t>(VerdictKind::eligible)] == 1);
    CHECK(sum.by_verdict[static_cast<std::size_t>(VerdictKind::ineligible)] == 0);
    CHECK(sum.by_verdict[static_cast<std::size_t>(VerdictKind::review)] == 1);
    CHECK(sum.withdrawn == 1);
    CHECK(sum.opted_out == 1);
}

TEST_CASE("stats: claimed_eur is the band amount per eligible active claimant") {
    Registry registry = Registry::scratch();
    insert(registry, {.age_band = "under-13"});
    insert(registry, {.age_band = "under-13"});
    insert(registry, {.age_band = "13-15"});
    insert(registry, {.age_band = "16-17"});
    insert(registry, {.verdict = "ineligible", .age_band = ""});         // adult: no band
    insert(registry, {.verdict = "ineligible", .age_band = "13-15"});    // no claim
    insert(registry, {.verdict = "review", .age_band = "16-17"});        // no claim (yet)
    insert(registry, {.state = "withdrawn", .age_band = "under-13"});    // stale verdict
    insert(registry, {.state = "opted-out", .age_band = "13-15"});

    const StatsTable t = by(registry, {StatsGroup::age_band});
    // The bands youngest first, then the empty band (18 and over).
    CHECK(column(t, 0) == std::vector<std::string>{"under-13", "13-15", "16-17", ""});
    CHECK(counts(t) == std::vector<std::uint64_t>{2, 2, 2, 1});
    REQUIRE(t.rows.size() == 4);
    CHECK(t.rows[0].claimed_eur == 2 * amount(AgeBand::under_13));
    CHECK(t.rows[1].claimed_eur == amount(AgeBand::from_13_to_15));
    CHECK(t.rows[2].claimed_eur == amount(AgeBand::from_16_to_17));
    CHECK(t.rows[3].claimed_eur == 0);

    const std::uint64_t expected = 2 * amount(AgeBand::under_13) +
                                   amount(AgeBand::from_13_to_15) + amount(AgeBand::from_16_to_17);
    CHECK(t.total_claimed_eur() == expected);
    CHECK(summarize(registry).claimed_eur == expected);

    // Rows of other verdicts and states claim nothing.
    const StatsTable vs = by(registry, {StatsGroup::state, StatsGroup::age_band, StatsGroup::verdict});
    for (const StatsRow& r : vs.rows) {
        if (r.values[0] != "active" || r.values[2] != "eligible") CHECK(r.claimed_eur == 0);
    }
    CHECK(vs.total_claimed_eur() == expected);
    CHECK(by(registry, {StatsGroup::age_band}, {VerdictKind::review}).total_claimed_eur() == 0);
}

TEST_CASE("stats: derived groups: birth year, postcode area, registration month") {
    Registry registry = Registry::scratch();
    insert(registry, {.birth = "2010-05-01", .postcode = "1012 AB", .registered_at = "2024-01-15"});
    insert(registry, {.birth = "2010-12-31", .postcode = "1099 ZZ",
                      .registered_at = "2024-01-31T23:59:59+01:00"});
    insert(registry, {.birth = "2009-01-01", .postcode = "", .registered_at = "2024-02-01T00:00:00Z"});
    insert(registry, {.birth = "2011-07-07", .postcode = "B-1000", .registered_at = "2023-12-01"});
    insert(registry, {.birth = "2011-07-08", .postcode = "8", .registered_at = "2023-12-02"});

    const StatsTable y = by(registry, {StatsGroup::birth_year});
    CHECK(column(y, 0) == std::vector<std::string>{"2009", "2010", "2011"});
    CHECK(counts(y) == std::vector<std::uint64_t>{1, 2, 2});

    // Two leading digits, else empty (no postcode, or a foreign one that starts otherwise).
    const StatsTable p = by(registry, {StatsGroup::postcode_area});
    CHECK(column(p, 0) == std::vector<std::string>{"", "10"});
    CHECK(counts(p) == std::vector<std::uint64_t>{3, 2});

    const StatsTable m = by(registry, {StatsGroup::registration_month});
    CHECK(column(m, 0) == std::vector<std::string>{"2023-12", "2024-01", "2024-02"});
    CHECK(counts(m) == std::vector<std::uint64_t>{2, 2, 1});
}

TEST_CASE("stats: cross-tabs: one row per combination, sorted by the groups in order") {
    Registry registry = Registry::scratch();
    insert(registry, {.verdict = "review", .platform = "musical.ly"});
    insert(registry, {.platform = "tiktok"});
    insert(registry, {.platform = "tiktok"});
    insert(registry, {.verdict = "ineligible", .platform = "tiktok"});
    const StatsTable t = by(registry, {StatsGroup::platform, StatsGroup::verdict});
    REQUIRE(t.rows.size() == 3);
    CHECK(t.rows[0].values == std::vector<std::string>{"musical.ly", "review"});
    CHECK(t.rows[1].values == std::vector<std::string>{"tiktok", "eligible"});
    CHECK(t.rows[1].count == 2);
    CHECK(t.rows[2].values == std::vector<std::string>{"tiktok", "ineligible"});
    // The same groups the other way round.
    const StatsTable u = by(registry, {StatsGroup::verdict, StatsGroup::platform});
    CHECK(column(u, 0) == std::vector<std::string>{"eligible", "ineligible", "review"});
    // No groups: one row, the total.
    const StatsTable total = by(registry, {});
    REQUIRE(total.rows.size() == 1);
    CHECK(total.rows[0].values.empty());
    CHECK(total.rows[0].count == 4);
    CHECK_THROWS_AS(by(registry, {StatsGroup::platform, StatsGroup::platform}), ValueError);
}

TEST_CASE("stats: the verdict filter") {
    Registry registry = Registry::scratch();
    insert(registry, {});
    insert(registry, {.verdict = "review"});
    insert(registry, {.verdict = "ineligible"});
    insert(registry, {.state = "withdrawn", .verdict = "review"});
    const std::vector<VerdictKind> review{VerdictKind::review};
    CHECK(count_active(registry, review) == 1);
    const std::vector<VerdictKind> two{VerdictKind::review, VerdictKind::eligible, VerdictKind::review};
    CHECK(count_active(registry, two) == 2);
    const StatsTable s = by(registry, {StatsGroup::state}, review);
    CHECK(counts(s) == std::vector<std::uint64_t>{1, 1});
}

TEST_CASE("stats: further registrations of a claimant are not counted again") {
    Registry registry = Registry::scratch();
    const auto a = insert(registry, {});
    const auto w = insert(registry, {.state = "withdrawn"});
    link_registration(registry, a);
    link_registration(registry, a);
    link_registration(registry, w);
    CHECK(count_active(registry) == 1);
    CHECK(by(registry, {StatsGroup::source}).total() == 1);
    const StatsSummary s = summarize(registry);
    CHECK(s.active == 1);
    CHECK(s.duplicates == 2); // of active claimants only
}

TEST_CASE("stats: every grouping agrees with a count done by hand") {
    Registry registry = Registry::scratch();
    const std::vector<std::string> states{"active", "active", "active", "withdrawn", "opted-out"};
    const std::vector<std::string> verdicts{"eligible", "ineligible", "review"};
    const std::vector<std::string> bands{"under-13", "13-15", "16-17", ""};
    const std::vector<std::string> platforms{"tiktok", "musical.ly"};
    const std::vector<std::string> relations{"parent", "guardian", "self"};
    const std::vector<std::string> sources{"add", "import-csv:a.csv", "import-csv:b.csv"};
    std::vector<Row> rows;
    std::uint32_t seed = 12345;
    const auto pick = [&](std::size_t n) {
        seed = seed * 1103515245u + 12345u;
        return static_cast<std::size_t>((seed >> 16) % n);
    };
    for (int i = 0; i < 600; ++i) {
        Row r;
        r.state = states[pick(states.size())];
        r.verdict = verdicts[pick(verdicts.size())];
        r.age_band = bands[pick(bands.size())];
        r.birth = fmt::format("{}-{:02}-{:02}", 2000 + pick(14), 1 + pick(12), 1 + pick(28));
        r.postcode = pick(10) == 0 ? "" : fmt::format("{} AB", 1000 + pick(9000));
        r.platform = platforms[pick(platforms.size())];
        r.relation = relations[pick(relations.size())];
        r.registered_at = fmt::format("202{}-{:02}-15", pick(5), 1 + pick(12));
        r.source = sources[pick(sources.size())];
        insert(registry, r);
        rows.push_back(r);
    }
    const auto value = [](const Row& r, StatsGroup g) -> std::string {
        switch (g) {
        case StatsGroup::state: return r.state;
        case StatsGroup::verdict: return r.verdict;
        case StatsGroup::platform: return r.platform;
        case StatsGroup::age_band: return r.age_band;
        case StatsGroup::birth_year: return r.birth.substr(0, 4);
        case StatsGroup::postcode_area: return r.postcode.substr(0, 2);
        case StatsGroup::registration_month: return r.registered_at.substr(0, 7);
        case StatsGroup::relation: return r.relation;
        case StatsGroup::source: return r.source;
        }
        return {};
    };
    const auto check = [&](const std::vector<StatsGroup>& groups) {
        CAPTURE(groups.size());
        CAPTURE(to_string(groups.front()));
        CAPTURE(to_string(groups.back()));
        const bool all_states =
            std::find(groups.begin(), groups.end(), StatsGroup::state) != groups.end();
        std::map<std::vector<std::string>, std::uint64_t> expected;
        for (const Row& r : rows) {
            if (!all_states && r.state != "active") continue;
            std::vector<std::string> key;
            for (const StatsGroup g : groups) key.push_back(value(r, g));
            ++expected[key];
        }
        const StatsTable t = by(registry, groups);
        std::map<std::vector<std::string>, std::uint64_t> got;
        for (const StatsRow& r : t.rows) got[r.values] = r.count;
        CHECK(got == expected);
        CHECK(t.rows.size() == got.size()); // no combination twice
    };
    for (const StatsGroup g : stats_groups()) {
        check({g});
        for (const StatsGroup h : stats_groups()) {
            if (h != g) check({g, h});
        }
    }
    check({StatsGroup::state, StatsGroup::verdict, StatsGroup::age_band, StatsGroup::birth_year});
}

namespace {

// Collects the SQL text of every statement run on a connection.
int trace(unsigned, void* context, void* statement, void*) {
    auto* sql = static_cast<std::vector<std::string>*>(context);
    sql->emplace_back(sqlite3_sql(static_cast<sqlite3_stmt*>(statement)));
    return 0;
}

std::string query_plan(Registry& registry, const std::string& sql) {
    SQLite::Statement st(registry.db(), "EXPLAIN QUERY PLAN " + sql);
    std::string plan;
    while (st.executeStep()) plan += st.getColumn(3).getString() + "\n";
    return plan;
}

} // namespace

TEST_CASE("stats: the summary, --count and --by birth-year read only the tallies") {
    Registry registry = Registry::scratch();
    insert(registry, {});
    std::vector<std::string> sql;
    sqlite3_trace_v2(registry.db().getHandle(), SQLITE_TRACE_STMT, trace, &sql);
    const auto plan_of = [&](auto&& run) {
        sql.clear();
        run();
        std::string plans;
        for (const std::string& s : sql) {
            if (s.find("SELECT") != std::string::npos) plans += query_plan(registry, s);
        }
        return plans;
    };
    for (const std::string& plan :
         {plan_of([&] { by(registry, {StatsGroup::birth_year}); }),
          plan_of([&] { by(registry, {StatsGroup::birth_year}, {VerdictKind::eligible}); }),
          plan_of([&] { by(registry, {StatsGroup::state, StatsGroup::age_band}); }),
          plan_of([&] { count_active(registry); })}) {
        CAPTURE(plan);
        CHECK(plan.find("tallies") != std::string::npos);
        CHECK(plan.find("claimants") == std::string::npos);
        CHECK(plan.find("TEMP B-TREE") == std::string::npos); // read in key order
    }
    // Other groups scan the table once rather than look every row up through an index.
    const std::string platform = plan_of([&] { by(registry, {StatsGroup::platform}); });
    CAPTURE(platform);
    CHECK(platform.find("SCAN claimants") != std::string::npos);
    CHECK(platform.find("INDEX") == std::string::npos);
    sqlite3_trace_v2(registry.db().getHandle(), 0, nullptr, nullptr);
}

} // namespace test_stats
