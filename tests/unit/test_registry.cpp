#include <doctest/doctest.h>

#include <chrono>

#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"

using namespace claimreg;
using namespace std::chrono;

namespace {

std::int64_t checks(Registry& registry) {
    return registry.db().execAndGet("SELECT count(*) FROM checks").getInt64();
}

} // namespace

TEST_CASE("registry: a check of some rows reuses the newest check when it is the same") {
    Registry registry = Registry::scratch();
    const RuleSet& rules = default_rule_set();
    const Date june1 = year{2024} / 6 / 1;
    const Date june2 = year{2024} / 6 / 2;
    const std::int64_t first = record_check(registry, rules, june1, CheckScope::rows);
    CHECK(record_check(registry, rules, june1, CheckScope::rows) == first);
    const std::int64_t next_day = record_check(registry, rules, june2, CheckScope::rows);
    CHECK(next_day > first);
    CHECK(record_check(registry, find_rule_set("as-filed"), june2, CheckScope::rows) > next_day);
    // Only the newest is reused: back to the first rules and date is a new check.
    CHECK(record_check(registry, rules, june1, CheckScope::rows) > next_day);
    CHECK(checks(registry) == 4);
}

TEST_CASE("registry: a check of all rows is always new, and is never reused for some rows") {
    Registry registry = Registry::scratch();
    const RuleSet& rules = default_rule_set();
    const Date day = year{2024} / 6 / 1;
    const std::int64_t rows = record_check(registry, rules, day, CheckScope::rows);
    const std::int64_t all = record_check(registry, rules, day, CheckScope::all);
    CHECK(all > rows);
    CHECK(record_check(registry, rules, day, CheckScope::all) > all);
    // A claimant checked after the last check of all rows must not look covered by it.
    CHECK(record_check(registry, rules, day, CheckScope::rows) > all + 1);
    CHECK(registry.db().execAndGet("SELECT group_concat(scope || ' ' || rule_set || ' ' || as_of, ',') "
                                   "FROM checks").getString() ==
          "rows ruling-2024 2024-06-01,all ruling-2024 2024-06-01,all ruling-2024 2024-06-01,"
          "rows ruling-2024 2024-06-01");
}

TEST_CASE("registry: sources are stored once by name") {
    Registry registry = Registry::scratch();
    const std::int64_t add = source_id(registry, "add");
    const std::int64_t file = source_id(registry, "import-csv:a.csv");
    CHECK(add != file);
    CHECK(source_id(registry, "add") == add);
    CHECK(source_id(registry, "import-csv:a.csv") == file);
    CHECK(registry.db().execAndGet("SELECT count(*) FROM sources").getInt64() == 2);
}
