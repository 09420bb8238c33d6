#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>

#include "claimreg/eligibility.hpp"
#include "claimreg/error.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/review.hpp"
#include "claimreg/stats.hpp"
#include "sample.hpp"

namespace test_review {

using namespace claimreg;

namespace {

const std::string now = "2024-06-02T10:00:00Z";

// Stores a child (Zoë with `changes`) and returns its claimant id.
std::int64_t store(Registry& registry, test::Changes changes) {
    const Registration r = test::sample_registration(changes);
    const RuleSet& rules = default_rule_set();
    const Verdict v = evaluate(eligibility_input(r), rules, test::sample_today);
    return add_registration(registry, r, StoredVerdict{v, &rules, test::sample_today},
                            Source{"add", "", 0})
        .id;
}

std::string text(Registry& registry, const std::string& sql) {
    return registry.db().execAndGet(sql).getString();
}

// resolve_decisions() of `csv` text.
ResolveReport resolve(Registry& registry, const std::string& csv) {
    std::FILE* in = ::fmemopen(const_cast<char*>(csv.data()), csv.size(), "r");
    REQUIRE(in != nullptr);
    ResolveReport report = resolve_decisions(registry, in, CsvReadOptions{}, now);
    std::fclose(in);
    return report;
}

} // namespace

TEST_CASE("review: link and unlink move one claimant out of the counts and back, tallies and all") {
    Registry registry = Registry::scratch();
    const std::int64_t keep = store(registry, {});
    const std::int64_t other = store(registry, {{Field::external_ref, "REF-2"},
                                                {Field::child_first_name, "Zoe"},
                                                {Field::child_last_name, "Bergh"},
                                                {Field::registrant_email, "bram@example.nl"}});
    REQUIRE(keep != other);
    CHECK(count_active(registry) == 2);
    link_claimants(registry, keep, other, now);
    CHECK(count_active(registry) == 1);
    CHECK(text(registry, "SELECT group_concat(state || ':' || n) FROM tallies") ==
          "active:1,linked:1");
    CHECK(linked_into(registry, other) == keep);
    CHECK_FALSE(linked_into(registry, keep).has_value());
    CHECK(claimants_linked_into(registry, keep) == std::vector<std::int64_t>{other});
    CHECK(summarize(registry).duplicates == 1);
    CHECK(unlink_claimant(registry, other, now) == keep);
    CHECK(count_active(registry) == 2);
    CHECK(text(registry, "SELECT group_concat(state || ':' || n) FROM tallies") == "active:2");
    CHECK(text(registry, "SELECT count(*) FROM pair_decisions") == "0");
}

TEST_CASE("review: refusals carry their exit status and change nothing") {
    Registry registry = Registry::scratch();
    const std::int64_t a = store(registry, {});
    const std::int64_t b = store(registry, {{Field::external_ref, "REF-2"},
                                            {Field::child_first_name, "Zoe"},
                                            {Field::child_last_name, "Bergh"}});
    const auto status = [&](auto action) {
        try {
            action();
        } catch (const Error& e) {
            return e.status();
        }
        return ExitStatus::ok;
    };
    CHECK(status([&] { link_claimants(registry, a, a, now); }) == ExitStatus::data);
    CHECK(status([&] { link_claimants(registry, a, 99, now); }) == ExitStatus::no_input);
    CHECK(status([&] { unlink_claimant(registry, a, now); }) == ExitStatus::data);
    CHECK(status([&] { mark_distinct(registry, b, b, now); }) == ExitStatus::data);
    CHECK(text(registry, "SELECT count(*) FROM audit WHERE action IN ('linked', 'distinct')") ==
          "0");
    link_claimants(registry, a, b, now);
    CHECK(status([&] { link_claimants(registry, a, b, now); }) == ExitStatus::data);
    CHECK(status([&] { mark_distinct(registry, a, b, now); }) == ExitStatus::data);
    CHECK(status([&] {
              withdraw_claimant(registry, b, State::withdrawn, test::sample_today, now);
          }) == ExitStatus::data);
    // `add` of the linked claimant's own submission names the claimant it is linked into.
    const Registration again = test::sample_registration({{Field::external_ref, "REF-2"},
                                                          {Field::child_first_name, "Zoe"},
                                                          {Field::child_last_name, "Bergh"}});
    const RuleSet& rules = default_rule_set();
    const AddResult result = add_registration(
        registry, again,
        StoredVerdict{evaluate(eligibility_input(again), rules, test::sample_today), &rules,
                      test::sample_today},
        Source{"add", "", 0});
    CHECK(result.id == a);
    CHECK(result.outcome == AddOutcome::same_submission);
}

TEST_CASE("review: a resolve file with one bad row applies nothing") {
    Registry registry = Registry::scratch();
    const std::int64_t a = store(registry, {});
    const std::int64_t b = store(registry, {{Field::external_ref, "REF-2"},
                                            {Field::child_first_name, "Zoe"},
                                            {Field::child_last_name, "Bergh"}});
    const ResolveReport bad =
        resolve(registry, fmt::format("a,b,decision\n{},{},same\n{},77,same\n", a, b, a));
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0].line == 3);
    CHECK(bad.errors[0].column == "b");
    CHECK(bad.errors[0].reason == "no claimant with id 77");
    CHECK(count_active(registry) == 2);
    const ResolveReport good =
        resolve(registry, fmt::format("decision,b,a\nZELFDE,{},{}\n,1,2\n", b, a));
    CHECK(good.errors.empty());
    CHECK(good.linked == 1);
    CHECK(good.skipped == 1);
    CHECK(count_active(registry) == 1);
    CHECK(linked_into(registry, b) == a);
}

} // namespace test_review
