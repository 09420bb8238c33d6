// Near-duplicate search: the similarity metrics, each comparison level, and the model's weights
// and scores on small hand-made registries.

#include <doctest/doctest.h>

#include <string>

#include <fmt/format.h>

#include "claimreg/duplicates.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/similarity.hpp"
#include "sample.hpp"

namespace test_duplicates {

using namespace claimreg;
using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

namespace {

Date date(int y, unsigned m, unsigned d) { return Date{year{y}, month{m}, day{d}}; }

void store(Registry& registry, const Registration& r) {
    const RuleSet& rules = default_rule_set();
    const Date as_of = date(2024, 6, 1);
    const Verdict v = evaluate(eligibility_input(r), rules, as_of);
    add_registration(registry, r, StoredVerdict{v, &rules, as_of}, Source{"add", "", 0});
}

/// A child of its own family: every field but those given differs from the other children's.
Registration child(int n, test::Changes changes = {}) {
    static const char* firsts[] = {"Noah", "Emma", "Liam", "Julia", "Finn", "Tess", "Levi", "Mila",
                                   "Luuk", "Sara", "Milan", "Anna", "Jesse", "Evi", "Thijs", "Nina"};
    static const char* lasts[] = {"de Jong", "Bakker", "Visser", "Smit", "Meijer", "Mulder",
                                  "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Brouwer",
                                  "Dijkstra", "Kok", "Jacobs", "Vermeulen"};
    const std::string birth = fmt::format("20{:02}-{:02}-{:02}", 5 + n % 10, 1 + n % 12, 1 + n % 27);
    const std::string postcode = fmt::format("{} AB", 1000 + 37 * n);
    const std::string house = std::to_string(1 + n);
    const std::string email = fmt::format("parent{}@example.nl", n);
    const std::string ref = fmt::format("R{}", n);
    Registration r = test::sample_registration(
        changes, {{Field::external_ref, ref},
                  {Field::child_first_name, firsts[n % 16]},
                  {Field::child_name_prefix, ""},
                  {Field::child_last_name, lasts[(n / 16 + n) % 16]},
                  {Field::child_birth_date, birth},
                  {Field::postcode, postcode},
                  {Field::house_number, house},
                  {Field::registrant_email, email},
                  {Field::registrant_phone, ""}});
    return r;
}

} // namespace

TEST_CASE("similarity: Jaro-Winkler") {
    CHECK(jaro_winkler("", "") == 1.0);
    CHECK(jaro_winkler("abc", "") == 0.0);
    CHECK(jaro_winkler("jansen", "jansen") == 1.0);
    // The textbook pairs (Winkler 1990).
    CHECK(jaro_winkler("martha", "marhta") == doctest::Approx(0.9611).epsilon(0.0001));
    CHECK(jaro_winkler("dwayne", "duane") == doctest::Approx(0.84).epsilon(0.0001));
    CHECK(jaro_winkler("dixon", "dicksonx") == doctest::Approx(0.8133).epsilon(0.0001));
    CHECK(jaro_winkler("abc", "xyz") == 0.0);
}

TEST_CASE("similarity: optimal string alignment distance") {
    CHECK(osa_distance("", "") == 0);
    CHECK(osa_distance("sem", "") == 3);
    CHECK(osa_distance("jansen", "jansen") == 0);
    CHECK(osa_distance("jansen", "jansenn") == 1); // insertion
    CHECK(osa_distance("jansen", "jansn") == 1);   // deletion
    CHECK(osa_distance("sem", "sam") == 1);        // substitution
    CHECK(osa_distance("jnasen", "jansen") == 1);  // adjacent transposition
    CHECK(osa_distance("ca", "abc") == 3);         // OSA, not unrestricted Damerau (2)
    CHECK(osa_distance("kitten", "sitting") == 3);
    CHECK(osa_distance("fleur", "floor") == 2);
    // Above the limit: limit + 1.
    CHECK(osa_distance("abcdef", "uvwxyz", 2) == 3);
    CHECK(osa_distance("a", "abcdefghijk", 3) == 4);
}

TEST_CASE("duplicates: name levels") {
    CHECK(compare_names("Daan", "Daan") == Level::exact);
    CHECK(compare_names("Zoë", "Zoe") == Level::variant);
    CHECK(compare_names("daan", "DAAN") == Level::variant);
    CHECK(compare_names("Anne-Fleur", "Anne Fleur") == Level::variant);
    CHECK(compare_names("Daan", "Dann") == Level::typo);
    CHECK(compare_names("Sem", "Sam") == Level::typo);
    CHECK(compare_names("Mohammed", "Mohamed") == Level::typo);
    CHECK(compare_names("Alexander", "Alexandre") == Level::typo); // two edits in a long name
    CHECK(compare_names("Fleur", "Floor") == Level::different);
    CHECK(compare_names("Sem", "Daan") == Level::different);
    CHECK(compare_names("Jo", "Bo") == Level::different); // too short for a typo
}

TEST_CASE("duplicates: family name levels") {
    CHECK(compare_family_names("van", "Dijk", "van", "Dijk") == Level::exact);
    CHECK(compare_family_names("van", "Dijk", "Van", "Dijk") == Level::variant);
    CHECK(compare_family_names("", "van Dijk", "van", "Dijk") == Level::variant); // moved
    CHECK(compare_family_names("van", "Dijk", "", "Dijk") == Level::variant);     // dropped
    CHECK(compare_family_names("", "Jansen", "", "Jansenn") == Level::typo);
    CHECK(compare_family_names("de", "Vries", "de", "Fries") == Level::typo);
    CHECK(compare_family_names("", "Jansen", "", "Bakker") == Level::different);
}

TEST_CASE("duplicates: birth date levels") {
    CHECK(compare_birth_dates(date(2012, 4, 17), date(2012, 4, 17)) == Level::exact);
    CHECK(compare_birth_dates(date(2012, 3, 5), date(2012, 5, 3)) == Level::swapped);
    CHECK(compare_birth_dates(date(2012, 4, 17), date(2012, 4, 18)) == Level::typo); // one digit
    CHECK(compare_birth_dates(date(2012, 4, 17), date(2021, 4, 17)) == Level::typo); // adjacent
    CHECK(compare_birth_dates(date(2012, 4, 17), date(2012, 4, 71 - 40)) == Level::different);
    CHECK(compare_birth_dates(date(2012, 4, 17), date(2013, 5, 17)) == Level::different);
    CHECK(compare_birth_dates(date(2012, 4, 4), date(2012, 4, 4)) == Level::exact);
}

TEST_CASE("duplicates: postcode and house number levels") {
    CHECK(compare_postcodes("1234 AB", "1234 AB") == Level::exact);
    CHECK(compare_postcodes("1234 AB", "1234 AC") == Level::typo);
    CHECK(compare_postcodes("1234 AB", "1243 AB") == Level::typo);
    CHECK(compare_postcodes("1234 AB", "5678 CD") == Level::different);
    CHECK(compare_postcodes("", "1234 AB") == Level::missing);
    CHECK(compare_house_numbers("12a", "12a") == Level::exact);
    CHECK(compare_house_numbers("12a", "12 A") == Level::variant);
    CHECK(compare_house_numbers("12", "13") == Level::typo);
    CHECK(compare_house_numbers("12", "140") == Level::different);
    CHECK(compare_house_numbers("", "12") == Level::missing);
}

TEST_CASE("duplicates: phonetic codes for blocking") {
    CHECK(phonetic_code("jansen") == phonetic_code("janssen"));
    CHECK(phonetic_code("jansen") == phonetic_code("jansenn"));
    CHECK(phonetic_code("vries") == phonetic_code("vriez"));
    CHECK(phonetic_code("jansen") != phonetic_code("bakker"));
    CHECK(phonetic_code("") == "");
}

TEST_CASE("duplicates: the model's weights follow the registry, and rare names weigh more") {
    Registry registry = Registry::scratch();
    for (int n = 0; n < 40; ++n) store(registry, child(n));
    // Eight children called Jansen, one Wijnaldum.
    for (int n = 40; n < 48; ++n) store(registry, child(n, {{Field::child_last_name, "Jansen"}}));
    store(registry, child(48, {{Field::child_last_name, "Wijnaldum"}}));
    // Each registered again by the same parent after a move, a digit of the birth date changed.
    const auto again = [&](int n, std::string_view last) {
        store(registry, child(n, {{Field::child_last_name, last},
                                  {Field::child_birth_date, fmt::format("20{:02}-{:02}-{:02}", 5 + n % 10, 1 + n % 12, 2 + n % 27)},
                                  {Field::postcode, "9999 ZZ"},
                                  {Field::house_number, "99"},
                                  {Field::external_ref, fmt::format("S{}", n)}}));
    };
    again(41, "Jansen"); // id 50
    again(48, "Wijnaldum"); // id 51
    DuplicateOptions options;
    options.min_score = 0;
    const DuplicateReport report = find_duplicates(registry, options);
    CHECK(report.claimants == 51);
    const DuplicateModel& model = report.model;
    CHECK(model.weight(Compared::child_birth_date, Level::exact) > 5);
    CHECK(model.weight(Compared::child_first_name, Level::different) < 0);
    CHECK(model.weight(Compared::child_last_name, Level::different) < 0);
    CHECK(model.weight(Compared::child_birth_date, Level::swapped) >
          model.weight(Compared::child_birth_date, Level::different));
    CHECK(model.weight(Compared::postcode, Level::missing) == 0);
    CHECK(model.prior > 0);
    CHECK(model.prior < 0.1);
    double jansen = -1, wijnaldum = -1;
    for (const DuplicatePair& p : report.pairs) {
        if (p.a == 42 && p.b == 50) jansen = p.score;
        if (p.a == 49 && p.b == 51) wijnaldum = p.score;
    }
    REQUIRE(jansen >= 0);
    REQUIRE(wijnaldum >= 0);
    INFO("jansen " << jansen << " wijnaldum " << wijnaldum);
    CHECK(wijnaldum > jansen);
    CHECK(jansen < 0.9);
    CHECK(wijnaldum > 0.5);
    // Best first.
    for (std::size_t i = 1; i < report.pairs.size(); ++i)
        CHECK(report.pairs[i - 1].score >= report.pairs[i].score);
}

TEST_CASE("duplicates: twins registered by one parent stay below the threshold, a typo does not") {
    Registry registry = Registry::scratch();
    for (int n = 0; n < 30; ++n) store(registry, child(n));
    const test::Changes family = {{Field::child_last_name, "Visser"},
                                  {Field::child_birth_date, "2014-06-12"},
                                  {Field::postcode, "6789 LM"},
                                  {Field::house_number, "8"},
                                  {Field::registrant_email, "eva@example.nl"}};
    // Sem and Sam are names other children bear too; Semm is nobody's name.
    store(registry, child(30, {{Field::child_first_name, "Sem"}, {Field::child_last_name, "Kok"}}));
    store(registry, child(31, {{Field::child_first_name, "Sam"}, {Field::child_last_name, "Bos"}}));
    Registration sem = child(32, family), sam = child(33, family), semm = child(34, family);
    sem.child_first_name = "Sem";
    sam.child_first_name = "Sam";
    semm.child_first_name = "Semm";
    store(registry, sem);  // 33
    store(registry, sam);  // 34
    store(registry, semm); // 35
    const DuplicateReport report = find_duplicates(registry, DuplicateOptions{});
    REQUIRE(report.pairs.size() == 1);
    CHECK(report.pairs[0].a == 33);
    CHECK(report.pairs[0].b == 35);
    CHECK(report.pairs[0].levels[0] == Level::typo);
    CHECK(report.pairs[0].score >= 0.9);
    DuplicateOptions wide;
    wide.min_score = 0.4;
    bool twins = false;
    for (const DuplicatePair& p : find_duplicates(registry, wide).pairs)
        if (p.a == 33 && p.b == 34) twins = p.score == sibling_cap;
    CHECK(twins);
}

TEST_CASE("duplicates: scores print with three decimals") {
    CHECK(format_score(0.97) == "0.970");
    CHECK(format_score(1.0) == "1.000");
    CHECK(format_score(0.0) == "0.000");
}

} // namespace test_duplicates
