#include "claimreg/eligibility.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <initializer_list>
#include <string>

#include "claimreg/error.hpp"

namespace test_eligibility {

using namespace claimreg;

namespace {

constexpr Date D(int y, unsigned m, unsigned d) {
    return Date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
}

std::string S(Date d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                  static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
    return buf;
}

const Date as_of = D(2024, 6, 1);

/// An eligible child: born 2008-06-15, NL, TikTok from 2019-01-01, registered by a parent.
EligibilityInput base() {
    EligibilityInput in;
    in.child_birth_date = D(2008, 6, 15);
    in.country = "NL";
    in.platform = Platform::tiktok;
    in.first_use = D(2019, 1, 1);
    in.last_use = std::nullopt;
    in.registrant_relation = Relation::parent;
    in.consent = true;
    in.registered_on = D(2024, 1, 15);
    in.state = State::active;
    return in;
}

const RuleSet& ruling() {
    return find_rule_set("ruling-2024");
}
const RuleSet& as_filed() {
    return find_rule_set("as-filed");
}

ReasonSet set_of(std::initializer_list<Reason> rs) {
    ReasonSet s;
    for (Reason r : rs)
        s.add(r);
    return s;
}

std::string eval(const EligibilityInput& in, const RuleSet& rules, Date on = as_of) {
    const Verdict v = evaluate(in, rules, on);
    std::string out(to_string(v.verdict));
    const std::string reasons = join_reasons(v.reasons);
    if (!reasons.empty()) out += " " + reasons;
    return out;
}

} // namespace

TEST_CASE("eligibility: age and birthday") {
    struct Row {
        Date birth;
        Date on;
        int age;
    };
    const Row rows[] = {
        {D(2000, 1, 1), D(2000, 1, 1), 0},
        {D(2000, 1, 1), D(2017, 12, 31), 17},
        {D(2000, 1, 1), D(2018, 1, 1), 18},
        {D(2000, 5, 25), D(2018, 5, 24), 17},
        {D(2000, 5, 25), D(2018, 5, 25), 18},
        {D(2000, 12, 31), D(2001, 12, 30), 0},
        {D(2000, 12, 31), D(2001, 12, 31), 1},
        // leap-day child born 2004-02-29
        {D(2004, 2, 29), D(2005, 2, 28), 0},
        {D(2004, 2, 29), D(2005, 3, 1), 1},
        {D(2004, 2, 29), D(2017, 2, 28), 12}, // 2017 not leap: still 12 the day before 1 March
        {D(2004, 2, 29), D(2017, 3, 1), 13},
        {D(2004, 2, 29), D(2020, 2, 28), 15}, // 2020 leap: 29 Feb is the birthday
        {D(2004, 2, 29), D(2020, 2, 29), 16},
        {D(2004, 2, 29), D(2022, 2, 28), 17},
        {D(2004, 2, 29), D(2022, 3, 1), 18},
        // leap-day child born 2008-02-29
        {D(2008, 2, 29), D(2021, 2, 28), 12},
        {D(2008, 2, 29), D(2021, 3, 1), 13},
        {D(2008, 2, 29), D(2024, 2, 28), 15},
        {D(2008, 2, 29), D(2024, 2, 29), 16},
        {D(2008, 2, 29), D(2026, 2, 28), 17},
        {D(2008, 2, 29), D(2026, 3, 1), 18},
    };
    for (const Row& row : rows) {
        CAPTURE(S(row.birth));
        CAPTURE(S(row.on));
        CHECK(age(row.birth, row.on) == row.age);
    }

    struct BRow {
        Date birth;
        int years;
        Date expected;
    };
    const BRow brows[] = {
        {D(2000, 5, 25), 18, D(2018, 5, 25)},
        {D(2004, 2, 29), 13, D(2017, 3, 1)},
        {D(2004, 2, 29), 16, D(2020, 2, 29)},
        {D(2004, 2, 29), 18, D(2022, 3, 1)},
        {D(2008, 2, 29), 13, D(2021, 3, 1)},
        {D(2008, 2, 29), 16, D(2024, 2, 29)},
        {D(2008, 2, 29), 18, D(2026, 3, 1)},
        {D(2000, 2, 29), 100, D(2100, 3, 1)}, // 2100 not leap
        {D(2000, 2, 29), 400, D(2400, 2, 29)},
    };
    for (const BRow& row : brows) {
        CAPTURE(S(row.birth));
        CAPTURE(row.years);
        CHECK(S(birthday(row.birth, row.years)) == S(row.expected));
        CHECK(birthday(row.birth, row.years).ok());
    }
}

TEST_CASE("eligibility: rule set table") {
    REQUIRE(rule_sets().size() == 2);
    CHECK(default_rule_set().name == "ruling-2024");
    CHECK(&rule_sets()[0] == &default_rule_set());

    const RuleSet& r = ruling();
    CHECK(r.name == "ruling-2024");
    CHECK(r.period_rule == PeriodRule::first_use_in_window);
    CHECK(S(r.window_start) == "2018-05-25");
    REQUIRE(r.window_end.has_value());
    CHECK(S(*r.window_end) == "2022-11-09");
    CHECK_FALSE(r.description.empty());

    const RuleSet& a = as_filed();
    CHECK(a.name == "as-filed");
    CHECK(a.period_rule == PeriodRule::use_overlaps_window);
    CHECK(S(a.window_start) == "2018-05-25");
    CHECK_FALSE(a.window_end.has_value());
    CHECK_FALSE(a.description.empty());

    CHECK_THROWS_AS(find_rule_set("appeal-2026"), ValueError);
    CHECK_THROWS_WITH(find_rule_set("Ruling-2024"),
                      "unknown rule set (known: ruling-2024, as-filed)");
    CHECK_THROWS_AS(find_rule_set(""), ValueError);
}

TEST_CASE("eligibility: a rule set is data (a new row works without code changes)") {
    // An appeal ruling with a later end date, expressed only by the RuleSet fields.
    const RuleSet appeal{"appeal-test", PeriodRule::first_use_in_window, D(2018, 5, 25),
                         D(2023, 12, 31), "test"};
    auto in = base();
    in.first_use = D(2023, 6, 1);
    CHECK(eval(in, ruling()) == "ineligible outside_period");
    CHECK(eval(in, appeal) == "eligible");
    in.first_use = D(2024, 1, 1);
    CHECK(eval(in, appeal) == "ineligible outside_period");
}

TEST_CASE("eligibility: the window's boundaries") {
    struct Row {
        const char* rules;
        Date first_use;
        std::optional<Date> last_use;
        Date as_of;
        const char* expected;
    };
    const Row rows[] = {
        {"ruling-2024", D(2018, 5, 24), std::nullopt, as_of, "ineligible outside_period"},
        {"ruling-2024", D(2018, 5, 25), std::nullopt, as_of, "eligible"},
        {"ruling-2024", D(2022, 11, 9), std::nullopt, as_of, "eligible"},
        {"ruling-2024", D(2022, 11, 10), std::nullopt, as_of, "ineligible outside_period"},
        // ruling-2024 ignores last use
        {"ruling-2024", D(2018, 5, 24), D(2022, 1, 1), as_of, "ineligible outside_period"},
        {"ruling-2024", D(2018, 5, 25), D(2018, 5, 25), as_of, "eligible"},
        // as-filed: use must not end before 2018-05-25; no end of window
        {"as-filed", D(2018, 5, 24), std::nullopt, as_of, "eligible"},
        {"as-filed", D(2017, 1, 1), D(2018, 5, 24), as_of, "ineligible outside_period"},
        {"as-filed", D(2017, 1, 1), D(2018, 5, 25), as_of, "eligible"},
        {"as-filed", D(2018, 5, 24), D(2018, 5, 24), as_of, "ineligible outside_period"},
        {"as-filed", D(2018, 5, 25), D(2018, 5, 25), as_of, "eligible"},
        {"as-filed", D(2022, 11, 9), std::nullopt, as_of, "eligible"},
        {"as-filed", D(2022, 11, 10), std::nullopt, as_of, "eligible"},
        // as-filed without last use: use runs to the as-of date
        {"as-filed", D(2017, 1, 1), std::nullopt, D(2018, 5, 24), "ineligible outside_period"},
        {"as-filed", D(2017, 1, 1), std::nullopt, D(2018, 5, 25), "eligible"},
    };
    for (const Row& row : rows) {
        auto in = base();
        in.child_birth_date = D(2008, 6, 15);
        in.first_use = row.first_use;
        in.last_use = row.last_use;
        CAPTURE(row.rules);
        CAPTURE(S(row.first_use));
        CAPTURE(row.last_use ? S(*row.last_use) : std::string("none"));
        CAPTURE(S(row.as_of));
        CHECK(eval(in, find_rule_set(row.rules), row.as_of) == row.expected);
    }
}

TEST_CASE("eligibility: adult at the period's first day") {
    struct Row {
        const char* rules;
        Date birth;
        Date first_use;
        const char* expected;
    };
    // Registered by the child themselves (adult now), so no registration review reason.
    const Row rows[] = {
        // 18th birthday on 2018-05-25
        {"ruling-2024", D(2000, 5, 25), D(2018, 5, 25), "ineligible adult"},
        {"ruling-2024", D(2000, 5, 25), D(2018, 5, 24),
         "ineligible outside_period"}, // 17 at first use
        {"as-filed", D(2000, 5, 25), D(2017, 1, 1), "ineligible adult"},
        {"as-filed", D(2000, 5, 25), D(2018, 5, 25), "ineligible adult"},
        {"as-filed", D(2000, 5, 25), D(2018, 5, 24), "ineligible adult"},
        // 18th birthday on 2018-05-26: a minor on the first day
        {"ruling-2024", D(2000, 5, 26), D(2018, 5, 25), "eligible"},
        {"ruling-2024", D(2000, 5, 26), D(2018, 5, 26), "ineligible adult"},
        {"as-filed", D(2000, 5, 26), D(2017, 1, 1), "eligible"},
        {"as-filed", D(2000, 5, 26), D(2018, 5, 25), "eligible"},
        {"as-filed", D(2000, 5, 26), D(2018, 5, 26), "ineligible adult"},
        // 18th birthday on 2018-05-24
        {"ruling-2024", D(2000, 5, 24), D(2018, 5, 25), "ineligible adult"},
        {"as-filed", D(2000, 5, 24), D(2017, 1, 1), "ineligible adult"},
        // adult at a first use after the first day, under both
        {"ruling-2024", D(2000, 1, 1), D(2019, 1, 1), "ineligible adult"},
        {"as-filed", D(2000, 1, 1), D(2019, 1, 1), "ineligible adult"},
        // leap-day child: 18 on 2022-03-01
        {"ruling-2024", D(2004, 2, 29), D(2022, 2, 28), "eligible"},
        {"ruling-2024", D(2004, 2, 29), D(2022, 3, 1), "ineligible adult"},
        {"as-filed", D(2004, 2, 29), D(2022, 2, 28), "eligible"},
        {"as-filed", D(2004, 2, 29), D(2022, 3, 1), "ineligible adult"},
    };
    for (const Row& row : rows) {
        auto in = base();
        in.child_birth_date = row.birth;
        in.first_use = row.first_use;
        in.registrant_relation = Relation::self;
        CAPTURE(row.rules);
        CAPTURE(S(row.birth));
        CAPTURE(S(row.first_use));
        CHECK(eval(in, find_rule_set(row.rules)) == row.expected);
    }
}

TEST_CASE("eligibility: the rule sets differ on the same input") {
    struct Row {
        Date birth;
        Date first_use;
        std::optional<Date> last_use;
        Relation relation;
        const char* ruling_2024;
        const char* as_filed_expected;
    };
    const Row rows[] = {
        // first use after the ruling's window
        {D(2010, 1, 1), D(2023, 1, 1), std::nullopt, Relation::parent, "ineligible outside_period",
         "eligible"},
        // use ended before the GDPR applied: outside under both
        {D(2008, 6, 15), D(2016, 1, 1), D(2017, 12, 31), Relation::parent,
         "ineligible outside_period", "ineligible outside_period"},
        // 18th birthday 2018-06-01 is after 2018-05-25: a minor when the period began, so not adult
        // under as-filed; under the ruling, first use (aged 15) is before the window.
        {D(2000, 6, 1), D(2015, 6, 1), std::nullopt, Relation::self, "ineligible outside_period",
         "eligible"},
        // 18th birthday 2018-05-01, before the period began: adult under as-filed only
        {D(2000, 5, 1), D(2015, 6, 1), std::nullopt, Relation::self, "ineligible outside_period",
         "ineligible adult"},
        // used before and after 2018-05-25, a minor throughout
        {D(2008, 6, 15), D(2017, 1, 1), D(2020, 1, 1), Relation::parent,
         "ineligible outside_period", "eligible"},
    };
    for (const Row& row : rows) {
        auto in = base();
        in.child_birth_date = row.birth;
        in.first_use = row.first_use;
        in.last_use = row.last_use;
        in.registrant_relation = row.relation;
        CAPTURE(S(row.birth));
        CAPTURE(S(row.first_use));
        CHECK(eval(in, ruling()) == row.ruling_2024);
        CHECK(eval(in, as_filed()) == row.as_filed_expected);
    }
}

TEST_CASE("eligibility: musical.ly after the merge") {
    struct Row {
        Platform platform;
        Date first_use;
        const char* expected;
    };
    const Row rows[] = {
        {Platform::musically, D(2018, 5, 25), "eligible"},
        {Platform::musically, D(2018, 8, 2), "eligible"}, // the merge day itself is not after
        {Platform::musically, D(2018, 8, 3), "review musically_after_merge"},
        {Platform::musically, D(2021, 1, 1), "review musically_after_merge"},
        {Platform::tiktok, D(2018, 8, 3), "eligible"},
    };
    for (const RuleSet& rules : rule_sets()) {
        for (const Row& row : rows) {
            auto in = base();
            in.platform = row.platform;
            in.first_use = row.first_use;
            CAPTURE(rules.name);
            CAPTURE(S(row.first_use));
            CHECK(eval(in, rules) == row.expected);
        }
    }
    // musical.ly before the window: outside the period, and not after the merge
    auto in = base();
    in.platform = Platform::musically;
    in.first_use = D(2017, 1, 1);
    CHECK(eval(in, ruling()) == "ineligible outside_period");
}

TEST_CASE("eligibility: who registered, on and around the 18th birthday") {
    struct Row {
        Date birth;
        Relation relation;
        Date registered_on;
        const char* expected;
    };
    const Row rows[] = {
        // 18 on 2023-03-10
        {D(2005, 3, 10), Relation::self, D(2023, 3, 9), "review minor_registered_self"},
        {D(2005, 3, 10), Relation::self, D(2023, 3, 10), "eligible"},
        {D(2005, 3, 10), Relation::parent, D(2023, 3, 9), "eligible"},
        {D(2005, 3, 10), Relation::parent, D(2023, 3, 10), "review adult_registered_by_parent"},
        {D(2005, 3, 10), Relation::guardian, D(2023, 3, 9), "eligible"},
        {D(2005, 3, 10), Relation::guardian, D(2023, 3, 10), "review adult_registered_by_parent"},
        // leap-day child: 18 on 2022-03-01 (2022 is not a leap year)
        {D(2004, 2, 29), Relation::self, D(2022, 2, 28), "review minor_registered_self"},
        {D(2004, 2, 29), Relation::self, D(2022, 3, 1), "eligible"},
        {D(2004, 2, 29), Relation::parent, D(2022, 2, 28), "eligible"},
        {D(2004, 2, 29), Relation::parent, D(2022, 3, 1), "review adult_registered_by_parent"},
    };
    for (const RuleSet& rules : rule_sets()) {
        for (const Row& row : rows) {
            auto in = base();
            in.child_birth_date = row.birth;
            in.first_use = D(2019, 1, 1);
            in.registrant_relation = row.relation;
            in.registered_on = row.registered_on;
            CAPTURE(rules.name);
            CAPTURE(S(row.birth));
            CAPTURE(S(row.registered_on));
            CHECK(eval(in, rules) == row.expected);
        }
    }
}

TEST_CASE("eligibility: every reason is reported together with the others") {
    SUBCASE("not resident, no consent and adult together") {
        auto in = base();
        in.country = "BE";
        in.consent = false;
        in.child_birth_date = D(1990, 1, 1);
        in.registrant_relation = Relation::self;
        const Verdict v = evaluate(in, ruling(), as_of);
        CHECK(v.verdict == VerdictKind::ineligible);
        CHECK(v.reasons == set_of({Reason::not_resident, Reason::adult, Reason::no_consent}));
        CHECK(join_reasons(v.reasons) == "not_resident,adult,no_consent");
        CHECK_FALSE(v.age_band.has_value());
    }
    SUBCASE("withdrawn with a review reason is ineligible, both reported") {
        auto in = base();
        in.state = State::withdrawn;
        in.platform = Platform::musically;
        CHECK(eval(in, ruling()) == "ineligible withdrawn,musically_after_merge");
    }
    SUBCASE("opted out with a review reason is ineligible") {
        auto in = base();
        in.state = State::opted_out;
        in.registrant_relation = Relation::self;
        CHECK(eval(in, as_filed()) == "ineligible opted_out,minor_registered_self");
    }
    SUBCASE("two review reasons together stay review") {
        auto in = base();
        in.platform = Platform::musically;
        in.registrant_relation = Relation::self;
        CHECK(eval(in, ruling()) == "review musically_after_merge,minor_registered_self");
    }
    SUBCASE("adult and a parent registering an adult") {
        auto in = base();
        in.child_birth_date = D(2000, 1, 1);
        CHECK(eval(in, ruling()) == "ineligible adult,adult_registered_by_parent");
    }
    SUBCASE("every ineligible reason at once, plus a review reason") {
        auto in = base();
        in.country = "DE";
        in.child_birth_date = D(1990, 1, 1);
        in.first_use = D(2023, 1, 1);
        in.consent = false;
        in.state = State::withdrawn;
        in.platform = Platform::musically;
        in.registrant_relation = Relation::parent;
        CHECK(eval(in, ruling()) ==
              "ineligible "
              "not_resident,outside_period,adult,no_consent,withdrawn,musically_after_merge,"
              "adult_registered_by_parent");
        in.state = State::opted_out;
        in.registrant_relation = Relation::self;
        CHECK(eval(in, ruling()) ==
              "ineligible "
              "not_resident,outside_period,adult,no_consent,opted_out,musically_after_merge");
    }
    SUBCASE("each single reason alone") {
        struct Row {
            const char* name;
            void (*change)(EligibilityInput&);
            const char* expected;
        };
        const Row rows[] = {
            {"country", [](EligibilityInput& in) { in.country = "BE"; }, "ineligible not_resident"},
            {"empty country", [](EligibilityInput& in) { in.country = ""; },
             "ineligible not_resident"},
            {"consent", [](EligibilityInput& in) { in.consent = false; }, "ineligible no_consent"},
            {"withdrawn", [](EligibilityInput& in) { in.state = State::withdrawn; },
             "ineligible withdrawn"},
            {"opted out", [](EligibilityInput& in) { in.state = State::opted_out; },
             "ineligible opted_out"},
            {"none", [](EligibilityInput&) {}, "eligible"},
        };
        for (const Row& row : rows) {
            auto in = base();
            row.change(in);
            CAPTURE(row.name);
            CHECK(eval(in, ruling()) == row.expected);
            CHECK(eval(in, as_filed()) == row.expected);
        }
    }
}

TEST_CASE("eligibility: age bands by age at first use") {
    struct Row {
        Date first_use;
        std::optional<AgeBand> band;
    };
    // born 2006-06-15
    const Row rows[] = {
        {D(2018, 6, 15), AgeBand::under_13},      // 12
        {D(2019, 6, 14), AgeBand::under_13},      // 12
        {D(2019, 6, 15), AgeBand::from_13_to_15}, // 13
        {D(2022, 6, 14), AgeBand::from_13_to_15}, // 15
        {D(2022, 6, 15), AgeBand::from_16_to_17}, // 16
        {D(2024, 6, 14), AgeBand::from_16_to_17}, // 17
        {D(2024, 6, 15), std::nullopt},           // 18
    };
    for (const RuleSet& rules : rule_sets()) {
        for (const Row& row : rows) {
            auto in = base();
            in.child_birth_date = D(2006, 6, 15);
            in.first_use = row.first_use;
            in.registered_on = D(2024, 6, 20);
            CAPTURE(rules.name);
            CAPTURE(S(row.first_use));
            const Verdict v = evaluate(in, rules, D(2024, 7, 1));
            CHECK(v.age_band == row.band);
        }
    }
    SUBCASE("bands are computed whatever the verdict") {
        auto in = base(); // 10 at first use 2019-01-01
        in.country = "BE";
        in.consent = false;
        const Verdict v = evaluate(in, ruling(), as_of);
        CHECK(v.verdict == VerdictKind::ineligible);
        CHECK(v.age_band == AgeBand::under_13);
        in.first_use = D(2025, 1, 1); // outside the ruling's window, 16
        in.registered_on = D(2025, 2, 1);
        CHECK(evaluate(in, ruling(), D(2025, 3, 1)).age_band == AgeBand::from_16_to_17);
    }
    SUBCASE("leap-day child at 13 and 16") {
        auto in = base();
        in.child_birth_date = D(2004, 2, 29);
        in.registrant_relation = Relation::self;
        in.first_use = D(2017, 2, 28);
        CHECK(evaluate(in, as_filed(), as_of).age_band == AgeBand::under_13);
        in.first_use = D(2017, 3, 1);
        CHECK(evaluate(in, as_filed(), as_of).age_band == AgeBand::from_13_to_15);
        in.first_use = D(2020, 2, 28);
        CHECK(evaluate(in, as_filed(), as_of).age_band == AgeBand::from_13_to_15);
        in.first_use = D(2020, 2, 29);
        CHECK(evaluate(in, as_filed(), as_of).age_band == AgeBand::from_16_to_17);
    }
}

TEST_CASE("eligibility: claimed amounts") {
    CHECK(claimed_eur(AgeBand::under_13) == 1500);
    CHECK(claimed_eur(AgeBand::from_13_to_15) == 1250);
    CHECK(claimed_eur(AgeBand::from_16_to_17) == 1000);
}

TEST_CASE("eligibility: spellings and parsing") {
    CHECK(to_string(VerdictKind::eligible) == "eligible");
    CHECK(to_string(VerdictKind::ineligible) == "ineligible");
    CHECK(to_string(VerdictKind::review) == "review");
    for (auto v : {VerdictKind::eligible, VerdictKind::ineligible, VerdictKind::review}) {
        CHECK(parse_verdict(to_string(v)) == v);
    }
    CHECK_THROWS_AS(parse_verdict("Eligible"), ValueError);
    CHECK_THROWS_AS(parse_verdict(""), ValueError);
    CHECK_THROWS_AS(parse_verdict("maybe"), ValueError);

    CHECK(to_string(AgeBand::under_13) == "under-13");
    CHECK(to_string(AgeBand::from_13_to_15) == "13-15");
    CHECK(to_string(AgeBand::from_16_to_17) == "16-17");

    const char* codes[] = {"not_resident",
                           "outside_period",
                           "adult",
                           "no_consent",
                           "withdrawn",
                           "opted_out",
                           "musically_after_merge",
                           "minor_registered_self",
                           "adult_registered_by_parent"};
    static_assert(sizeof codes / sizeof codes[0] == reason_count);
    for (std::size_t i = 0; i < reason_count; ++i) {
        const auto r = static_cast<Reason>(i);
        CAPTURE(i);
        CHECK(to_string(r) == codes[i]);
        REQUIRE(parse_reason(codes[i]).has_value());
        CHECK(*parse_reason(codes[i]) == r);
        CHECK(is_ineligible_reason(r) == (i < 6));
        const std::string_view text = explain(r);
        CHECK_FALSE(text.empty());
        CHECK(text.back() == '.');
    }
    CHECK_FALSE(parse_reason("adults").has_value());
    CHECK_FALSE(parse_reason("").has_value());
    CHECK_FALSE(parse_reason("ADULT").has_value());

    const std::string adult(explain(Reason::adult));
    CHECK(adult.find("18 or older") != std::string::npos);
    CHECK(adult.find("Stichting Massaschade & Consument") != std::string::npos);
    CHECK(std::string(explain(Reason::not_resident)).find("not resident in the Netherlands") !=
          std::string::npos);
}

TEST_CASE("eligibility: join_reasons uses enum order and the separator") {
    ReasonSet s;
    CHECK(join_reasons(s).empty());
    CHECK(join_reasons(s, "; ").empty());
    s.add(Reason::adult_registered_by_parent);
    s.add(Reason::no_consent);
    s.add(Reason::not_resident);
    CHECK(join_reasons(s) == "not_resident,no_consent,adult_registered_by_parent");
    CHECK(join_reasons(s, "; ") == "not_resident; no_consent; adult_registered_by_parent");
    ReasonSet all;
    for (std::size_t i = reason_count; i-- > 0;)
        all.add(static_cast<Reason>(i));
    CHECK(join_reasons(all, "|") ==
          "not_resident|outside_period|adult|no_consent|withdrawn|opted_out|musically_after_merge|"
          "minor_registered_self|adult_registered_by_parent");
}

TEST_CASE("eligibility: is_joined_reasons is a comparison with join_reasons") {
    ReasonSet none, one, two;
    one.add(Reason::adult);
    two.add(Reason::no_consent);
    two.add(Reason::not_resident);
    for (const ReasonSet s : {none, one, two}) {
        for (const std::string_view text :
             {"", ",", "adult", "adult,", ",adult", "adul", "adults", "not_resident,no_consent",
              "no_consent,not_resident", "not_resident,no_consent,", "not_resident;no_consent",
              "not_resident", "not_residentno_consent", "not_resident,no_consent,adult"}) {
            CHECK(is_joined_reasons(text, s) == (text == join_reasons(s)));
        }
        CHECK(is_joined_reasons(join_reasons(s), s));
    }
}

TEST_CASE("eligibility: eligibility_input copies a registration") {
    Registration r;
    r.child_birth_date = D(2009, 4, 1);
    r.country = "NL";
    r.platform = Platform::musically;
    r.first_use = D(2018, 7, 1);
    r.last_use = D(2020, 1, 1);
    r.registrant_relation = Relation::guardian;
    r.consent = true;
    r.registered_at = "2024-01-15T23:30:00+01:00";

    const EligibilityInput in = eligibility_input(r, State::withdrawn);
    CHECK(in.child_birth_date == r.child_birth_date);
    CHECK(in.country == "NL");
    CHECK(in.platform == Platform::musically);
    CHECK(in.first_use == r.first_use);
    CHECK(in.last_use == r.last_use);
    CHECK(in.registrant_relation == Relation::guardian);
    CHECK(in.consent);
    CHECK(S(in.registered_on) == "2024-01-15"); // the date part as written
    CHECK(in.state == State::withdrawn);

    r.registered_at = "2023-12-31";
    r.consent = false;
    r.last_use.reset();
    const EligibilityInput in2 = eligibility_input(r);
    CHECK(S(in2.registered_on) == "2023-12-31");
    CHECK_FALSE(in2.consent);
    CHECK_FALSE(in2.last_use.has_value());
    CHECK(in2.state == State::active);
    CHECK(eval(in2, ruling()) == "ineligible no_consent");
}

TEST_CASE("eligibility: facts given on their own, with the ad hoc defaults") {
    const Date today = D(2026, 1, 1);
    const auto parse = [&](std::initializer_list<std::pair<Field, std::string_view>> given) {
        RawRecord raw{};
        for (const auto& [field, text] : given) raw[static_cast<std::size_t>(field)] = text;
        std::string country;
        EligibilityInput in = parse_eligibility_input(raw, today, as_of, country);
        CHECK(in.country == country);
        return std::pair(in, country);
    };
    SUBCASE("defaults: NL without a postcode, tiktok, parent, registered on the given day") {
        const auto [in, country] = parse({{Field::child_birth_date, "15-06-2008"},
                                          {Field::first_use, "2019-01-01"},
                                          {Field::consent, "yes"}});
        CHECK(country == "NL");
        CHECK(S(in.child_birth_date) == "2008-06-15");
        CHECK(S(in.first_use) == "2019-01-01");
        CHECK_FALSE(in.last_use.has_value());
        CHECK(in.platform == Platform::tiktok);
        CHECK(in.registrant_relation == Relation::parent);
        CHECK(in.consent);
        CHECK(in.registered_on == as_of);
        CHECK(in.state == State::active);
    }
    SUBCASE("every fact given") {
        const auto [in, country] = parse({{Field::child_birth_date, "2008-06-15"},
                                          {Field::first_use, "2019-01-01"},
                                          {Field::last_use, "2020-02-02"},
                                          {Field::country, "be"},
                                          {Field::postcode, "1000"},
                                          {Field::platform, "Musical.ly"},
                                          {Field::registrant_relation, "zelf"},
                                          {Field::consent, "no"},
                                          {Field::registered_at, "2024-01-15T10:00:00Z"}});
        CHECK(country == "BE");
        CHECK(S(*in.last_use) == "2020-02-02");
        CHECK(in.platform == Platform::musically);
        CHECK(in.registrant_relation == Relation::self);
        CHECK_FALSE(in.consent);
        CHECK(S(in.registered_on) == "2024-01-15");
    }
    const auto error = [&](std::initializer_list<std::pair<Field, std::string_view>> given) {
        try {
            parse(given);
        } catch (const FieldError& e) {
            return std::string(field_name(e.field())) + ": " + e.rule();
        }
        return std::string("none");
    };
    CHECK(error({{Field::first_use, "2019-01-01"}}) == "child_birth_date: required");
    CHECK(error({{Field::child_birth_date, "2008-06-15"}}) == "first_use: required");
    CHECK(error({{Field::child_birth_date, "2027-01-01"}, {Field::first_use, "2019-01-01"}}) ==
          "child_birth_date: in the future");
    CHECK(error({{Field::child_birth_date, "2010-01-01"}, {Field::first_use, "2009-01-01"}}) ==
          "first_use: before child_birth_date");
    CHECK(error({{Field::child_birth_date, "2008-06-15"},
                 {Field::first_use, "2019-01-01"},
                 {Field::last_use, "2018-12-31"}}) == "last_use: before first_use");
    // Given but blank: required, as in a registration.
    CHECK(error({{Field::child_birth_date, "2008-06-15"},
                 {Field::first_use, "2019-01-01"},
                 {Field::postcode, "  "}}) == "postcode: required for country NL");
    CHECK(error({{Field::child_birth_date, "2008-06-15"},
                 {Field::first_use, "2019-01-01"},
                 {Field::platform, " "}}) == "platform: required");
    CHECK(error({{Field::child_birth_date, "2008-06-15"},
                 {Field::first_use, "2019-01-01"},
                 {Field::postcode, "0123 AB"}}) == "postcode: not a Dutch postcode (use 1234 AB)");
    CHECK(error({{Field::child_birth_date, "2008-06-15"},
                 {Field::first_use, "2019-01-01"},
                 {Field::registrant_relation, "aunt"}}) ==
          "registrant_relation: not parent, guardian or self");
    CHECK(error({{Field::child_birth_date, "2008-06-15"},
                 {Field::first_use, "2019-01-01"},
                 {Field::registered_at, "2027-01-01"}})
              .starts_with("registered_at: "));
}

} // namespace test_eligibility
