#include "claimreg/report.hpp"

#include <doctest/doctest.h>

#include <vector>

namespace test_report {

using namespace claimreg;

namespace {

std::vector<bool> hide(std::vector<std::uint64_t> counts, std::uint64_t min_count = 10,
                       bool partition = true) {
    return hidden_cells(counts, min_count, partition);
}

} // namespace

TEST_CASE("hidden_cells: nothing small, nothing hidden") {
    CHECK(hide({10, 500, 0}) == std::vector<bool>{false, false, false});
    CHECK(hide({}).empty());
}

TEST_CASE("hidden_cells: a small count and the next smallest with it") {
    // 4 alone could be worked out from the total; 30 is hidden with it (4 + 30 >= 20).
    CHECK(hide({30, 4, 32}) == std::vector<bool>{true, true, false});
    // 9 + 10 < 20: one more.
    CHECK(hide({9, 10, 11, 500}) == std::vector<bool>{true, true, true, false});
    // Zeros are shown (they single nobody out) and never picked to hide.
    CHECK(hide({3, 0, 50, 60}) == std::vector<bool>{true, false, true, false});
}

TEST_CASE("hidden_cells: two small counts that add up to little hide more") {
    CHECK(hide({1, 1, 100, 200}) == std::vector<bool>{true, true, true, false});
    CHECK(hide({5, 8, 12}) == std::vector<bool>{true, true, true});
}

TEST_CASE("hidden_cells: every cell small") {
    CHECK(hide({2, 3}) == std::vector<bool>{true, true});
    CHECK(hide({7}) == std::vector<bool>{true});
}

TEST_CASE("hidden_cells: not a partition hides only the small counts") {
    CHECK(hide({4, 30, 32}, 10, false) == std::vector<bool>{true, false, false});
}

TEST_CASE("hidden_cells: min_count 0 and 1 hide nothing, the boundary is below min_count") {
    CHECK(hide({1, 2}, 0) == std::vector<bool>{false, false});
    CHECK(hide({1, 2}, 1) == std::vector<bool>{false, false});
    CHECK(hide({9, 10, 100}, 10)[0]);
    CHECK_FALSE(hide({10, 11, 100}, 10)[0]);
}

TEST_CASE("dutch_number: dots between thousands") {
    CHECK(dutch_number(0) == "0");
    CHECK(dutch_number(999) == "999");
    CHECK(dutch_number(1000) == "1.000");
    CHECK(dutch_number(1469911) == "1.469.911");
    CHECK(dutch_number(2204866500) == "2.204.866.500");
}

TEST_CASE("render_report_html: escapes what it shows and hides small counts") {
    ReportFigures f;
    f.active = 100;
    f.by_verdict = {95, 5, 0};
    f.platforms = {{"<b>&\"x'", 100}};
    f.rule_sets = {"ruling-2024"};
    f.first_as_of = f.last_as_of = "2024-06-01";
    const std::string html =
        render_report_html(f, 10, Date{std::chrono::year{2024} / 6 / 2});
    CHECK(html.find("&lt;b&gt;&amp;&quot;x&#39;") != std::string::npos);
    CHECK(html.find("<b>&") == std::string::npos);
    CHECK(html.find("<dd>&lt;10</dd>") != std::string::npos);     // 5 ineligible
    CHECK(html.find("<dd>\u226510</dd>") != std::string::npos);   // 95 hidden with it
    CHECK(html.find("<dd>100</dd>") != std::string::npos);
    CHECK(html.find("<script") == std::string::npos);
}

} // namespace test_report
