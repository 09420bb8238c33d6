#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "claimreg/eligibility.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/signals.hpp"
#include "sample.hpp"

namespace test_signals {

using namespace claimreg;

namespace {

std::int64_t store(Registry& registry, test::Changes changes, std::string_view source = "add") {
    const Registration r = test::sample_registration(changes, {{Field::external_ref, ""}});
    const RuleSet& rules = default_rule_set();
    const Verdict v = evaluate(eligibility_input(r), rules, test::sample_today);
    return add_registration(registry, r, StoredVerdict{v, &rules, test::sample_today},
                            Source{source, "", 0})
        .id;
}

// A child of its own (name, e-mail and address its own), registered at `at`.
std::int64_t child(Registry& registry, int n, const std::string& at,
                   std::string_view source = "add") {
    const std::string first = fmt::format("Kind{}", static_cast<char>('a' + n % 26));
    const std::string last = fmt::format("Achter{}", static_cast<char>('a' + n / 26));
    const std::string email = fmt::format("ouder{}@example.nl", n);
    const std::string postcode = fmt::format("{} AB", 1000 + n);
    return store(registry,
                 {{Field::child_first_name, first},
                  {Field::child_last_name, last},
                  {Field::registrant_email, email},
                  {Field::registrant_phone, ""},
                  {Field::postcode, postcode},
                  {Field::registered_at, at}},
                 source);
}

std::vector<std::string> listed(Registry& registry, SignalThresholds thresholds) {
    std::vector<std::string> out;
    for (const Signal& s : find_signals(registry, thresholds)) {
        std::string ids;
        for (const std::int64_t id : s.ids)
            ids += fmt::format("{}{}", ids.empty() ? "" : ",", id);
        out.push_back(fmt::format("{} {} {}", to_string(s.kind), s.count(), ids));
    }
    return out;
}

} // namespace

TEST_CASE("signals: a burst is a window of one minute, times compared in UTC") {
    Registry registry = Registry::scratch();
    SignalThresholds t;
    t.burst_registrations = 3;
    // 1, 2, 3 within 59 seconds (one of them written at +01:00); 4 a minute after 3.
    child(registry, 1, "2024-03-01T12:00:00Z");
    child(registry, 2, "2024-03-01T13:00:30+01:00");
    child(registry, 3, "2024-03-01T12:00:59Z");
    child(registry, 4, "2024-03-01T12:01:59Z");
    // A bare date has no minute.
    child(registry, 5, "2024-03-01");
    child(registry, 6, "2024-03-01");
    child(registry, 7, "2024-03-01");
    CHECK(listed(registry, t) == std::vector<std::string>{"burst 3 1,2,3"});
    // Overlapping windows make one burst: 2, 3 and 8 are within a minute too (4 is not: exactly
    // 60 seconds after 3).
    child(registry, 8, "2024-03-01T12:01:20Z");
    CHECK(listed(registry, t) == std::vector<std::string>{"burst 4 1,2,3,8"});
    t.burst_registrations = 6;
    CHECK(listed(registry, t).empty());
}

TEST_CASE("signals: crowded addresses count active children above the threshold") {
    Registry registry = Registry::scratch();
    SignalThresholds t;
    t.max_children_per_address = 2;
    for (int n = 0; n < 3; ++n) {
        store(registry,
              {{Field::child_first_name, fmt::format("Kind{}", static_cast<char>('a' + n))},
               {Field::registrant_email, fmt::format("o{}@example.nl", n)},
               {Field::house_number, n == 2 ? "12 A" : "12a"}});
    }
    CHECK(listed(registry, t) == std::vector<std::string>{"crowded_address 3 1,2,3"});
    withdraw_claimant(registry, 2, State::withdrawn, test::sample_today, "2024-06-02T10:00:00Z");
    CHECK(listed(registry, t).empty());
}

TEST_CASE("signals: a shared contact needs two family names and two addresses") {
    Registry registry = Registry::scratch();
    // Two family names at one address (a blended family): no signal.
    store(registry, {{Field::child_first_name, "Aa"}, {Field::child_last_name, "Een"}});
    store(registry, {{Field::child_first_name, "Bb"}, {Field::child_last_name, "Twee"}});
    CHECK(listed(registry, {}).empty());
    // A third child, another name prefix folded into the family name, another address.
    store(registry, {{Field::child_first_name, "Cc"},
                     {Field::child_name_prefix, "van"},
                     {Field::child_last_name, "Een"},
                     {Field::postcode, "2000 CD"},
                     {Field::registrant_phone, ""}});
    CHECK(listed(registry, {}) == std::vector<std::string>{"shared_contact 3 1,2,3"});
}

} // namespace test_signals
