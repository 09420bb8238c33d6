#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>

#include "claimreg/eligibility.hpp"
#include "claimreg/error.hpp"
#include "claimreg/exporter.hpp"
#include "claimreg/registry.hpp"
#include "sample.hpp"

namespace test_exporter {

using namespace claimreg;
using namespace std::chrono;

namespace {

constexpr Date test_as_of{year{2024}, month{6}, day{1}};

Registration registration(test::Changes changes = {}) { return test::sample_registration(changes); }

std::int64_t store(Registry& registry, const Registration& r, Source source = {"add", "", 0}) {
    const Verdict v = evaluate(eligibility_input(r), default_rule_set(), test_as_of);
    WriteTransaction tx(registry);
    Registrar registrar(registry);
    const AddResult result = registrar.add(r, StoredVerdict{v, &default_rule_set(), test_as_of}, source);
    tx.commit();
    return result.id;
}

// Exports into a string.
std::string exported(Registry& registry, const ExportOptions& options = {}) {
    char* data = nullptr;
    std::size_t size = 0;
    std::FILE* out = open_memstream(&data, &size);
    REQUIRE(out != nullptr);
    struct Release { // also when export_claimants throws
        std::FILE* out;
        char** data;
        ~Release() {
            if (out != nullptr) std::fclose(out);
            std::free(*data);
        }
    } release{out, &data};
    export_claimants(registry, options, out);
    std::fclose(out);
    release.out = nullptr;
    return std::string(data, size);
}

ExportOptions with_format(ExportFormat format) {
    ExportOptions o;
    o.format = format;
    return o;
}

std::size_t count_of(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
}

constexpr std::string_view full_header =
    "external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,country,"
    "postcode,house_number,platform,first_use,last_use,registrant_name,registrant_email,"
    "registrant_phone,registrant_relation,consent,registered_at,id,state,verdict,reasons,"
    "age_band,rule_set,checked_at,source\r\n";

} // namespace

TEST_CASE("exporter: CSV has the canonical columns, then the registry's, one row per claimant") {
    Registry registry = Registry::scratch();
    store(registry, registration(), Source{"import-csv", "partner.csv", 7});
    store(registry, registration({{Field::external_ref, ""},
                                  {Field::child_first_name, "Daan"},
                                  {Field::child_name_prefix, ""},
                                  {Field::child_last_name, "Smit"},
                                  {Field::child_birth_date, "2000-01-01"},
                                  {Field::last_use, "2020-01-01"},
                                  {Field::registrant_phone, ""},
                                  {Field::registrant_email, "daan@example.nl"},
                                  {Field::consent, "no"},
                                  {Field::registered_at, "2024-02-01"}}));
    CHECK(exported(registry) ==
          std::string(full_header) +
              "REF-1,Zoë,van der,Berg,2011-03-14,NL,1012 AB,12a,tiktok,2019-06-01,,Anna Berg,"
              "anna@example.nl,+31612345678,parent,yes,2024-01-15T10:00:00+01:00,1,active,"
              "eligible,,under-13,ruling-2024,2024-06-01,import-csv:partner.csv:7\r\n"
              ",Daan,,Smit,2000-01-01,NL,1012 AB,12a,tiktok,2019-06-01,2020-01-01,Anna Berg,"
              "daan@example.nl,,parent,no,2024-02-01,2,active,ineligible,"
              "\"adult,no_consent,adult_registered_by_parent\",,"
              "ruling-2024,2024-06-01,add\r\n");
    CHECK(export_columns().size() == 25);
}

TEST_CASE("exporter: an empty registry gives the header only, [] or nothing") {
    Registry registry = Registry::scratch();
    CHECK(exported(registry) == full_header);
    CHECK(exported(registry, with_format(ExportFormat::json)) == "[]\n");
    CHECK(exported(registry, with_format(ExportFormat::ndjson)).empty());
}

TEST_CASE("exporter: delimiter and byte order mark") {
    Registry registry = Registry::scratch();
    store(registry, registration({{Field::child_first_name, "Jan; Piet"}}));
    ExportOptions o;
    o.delimiter = ';';
    o.bom = true;
    const std::string semi = exported(registry, o);
    CHECK(semi.substr(0, 3) == "\xEF\xBB\xBF");
    CHECK(semi.substr(3, 30) == "external_ref;child_first_name;");
    CHECK(semi.find("\nREF-1;\"Jan; Piet\";van der;Berg;") != std::string::npos);
    o.delimiter = '\t';
    o.bom = false;
    const std::string tab = exported(registry, o);
    CHECK(tab.substr(0, 30) == "external_ref\tchild_first_name\t");
    CHECK(tab.find("\nREF-1\tJan; Piet\tvan der\tBerg\t") != std::string::npos);
    CHECK_THROWS_AS(exported(registry, [] {
                        ExportOptions j = with_format(ExportFormat::json);
                        j.bom = true;
                        return j;
                    }()),
                    ValueError);
}

TEST_CASE("exporter: formulas are neutralised in CSV only, phone numbers stay") {
    Registry registry = Registry::scratch();
    store(registry, registration({{Field::child_first_name, "=SUM(A1)"},
                                  {Field::registrant_name, "@cmd"},
                                  {Field::child_last_name, "-Berg"},
                                  {Field::registrant_phone, "+31612345678"}}));
    const std::string csv = exported(registry);
    CHECK(csv.find(",'=SUM(A1),van der,'-Berg,") != std::string::npos);
    CHECK(csv.find(",'@cmd,") != std::string::npos);
    CHECK(csv.find(",+31612345678,") != std::string::npos);
    CHECK(csv.find("'+31612345678") == std::string::npos);
    const std::string json = exported(registry, with_format(ExportFormat::json));
    CHECK(json.find("\"child_first_name\":\"=SUM(A1)\"") != std::string::npos);
    CHECK(json.find("\"child_last_name\":\"-Berg\"") != std::string::npos);
    CHECK(json.find('\'') == std::string::npos);
}

TEST_CASE("exporter: JSON is one array of objects with typed values and nulls") {
    Registry registry = Registry::scratch();
    store(registry, registration({{Field::external_ref, ""},
                                  {Field::registrant_phone, ""},
                                  {Field::child_first_name, "Jan \"JJ\""},
                                  {Field::child_birth_date, "2000-01-01"},
                                  {Field::consent, "no"}}));
    CHECK(exported(registry, with_format(ExportFormat::json)) ==
          "[\n{\"external_ref\":null,\"child_first_name\":\"Jan \\\"JJ\\\"\",\"child_name_prefix\":"
          "\"van der\",\"child_last_name\":\"Berg\",\"child_birth_date\":\"2000-01-01\","
          "\"country\":\"NL\",\"postcode\":\"1012 AB\",\"house_number\":\"12a\",\"platform\":"
          "\"tiktok\",\"first_use\":\"2019-06-01\",\"last_use\":null,\"registrant_name\":"
          "\"Anna Berg\",\"registrant_email\":\"anna@example.nl\",\"registrant_phone\":null,"
          "\"registrant_relation\":\"parent\",\"consent\":false,\"registered_at\":"
          "\"2024-01-15T10:00:00+01:00\",\"id\":1,\"state\":\"active\",\"verdict\":\"ineligible\","
          "\"reasons\":[\"adult\",\"no_consent\",\"adult_registered_by_parent\"],"
          "\"age_band\":null,\"rule_set\":\"ruling-2024\","
          "\"checked_at\":\"2024-06-01\",\"source\":\"add\"}\n]\n");
}

TEST_CASE("exporter: NDJSON is one object per line") {
    Registry registry = Registry::scratch();
    for (const char* ref : {"A", "B", "C"}) {
        store(registry, registration({{Field::external_ref, ref}, {Field::child_first_name, ref}}));
    }
    const std::string nd = exported(registry, with_format(ExportFormat::ndjson));
    CHECK(count_of(nd, "\n") == 3);
    CHECK(nd.substr(0, 23) == "{\"external_ref\":\"A\",\"ch");
    CHECK(nd.find("}\n{\"external_ref\":\"B\"") != std::string::npos);
    CHECK(nd.back() == '\n');
    CHECK(nd.find('[') == nd.find("[]")); // only the (empty) reasons arrays
    CHECK(nd.find("\xEF\xBB\xBF") == std::string::npos);
}

TEST_CASE("exporter: pseudonymized output has only the research columns") {
    Registry registry = Registry::scratch();
    store(registry, registration());
    store(registry, registration({{Field::external_ref, "REF-2"},
                                  {Field::child_first_name, "Lena"},
                                  {Field::country, "BE"},
                                  {Field::postcode, "B-1000"},
                                  {Field::last_use, "2021-01-01"},
                                  {Field::registered_at, "2024-03-01 09:00"}}));
    ExportOptions o;
    o.pseudonymize = true;
    const std::string csv = exported(registry, o);
    CHECK(csv ==
          "id,birth_year,postcode_digits,country,platform,first_use,last_use,state,verdict,"
          "reasons,age_band,registered_on\r\n"
          "1,2011,1012,NL,tiktok,2019-06-01,,active,eligible,,under-13,2024-01-15\r\n"
          "2,2011,,BE,tiktok,2019-06-01,2021-01-01,active,ineligible,not_resident,under-13,"
          "2024-03-01\r\n");
    o.format = ExportFormat::ndjson;
    const std::string nd = exported(registry, o);
    CHECK(nd ==
          "{\"id\":1,\"birth_year\":2011,\"postcode_digits\":\"1012\",\"country\":\"NL\","
          "\"platform\":\"tiktok\",\"first_use\":\"2019-06-01\",\"last_use\":null,\"state\":"
          "\"active\",\"verdict\":\"eligible\",\"reasons\":[],\"age_band\":\"under-13\","
          "\"registered_on\":\"2024-01-15\"}\n"
          "{\"id\":2,\"birth_year\":2011,\"postcode_digits\":null,\"country\":\"BE\","
          "\"platform\":\"tiktok\",\"first_use\":\"2019-06-01\",\"last_use\":\"2021-01-01\","
          "\"state\":\"active\",\"verdict\":\"ineligible\",\"reasons\":[\"not_resident\"],"
          "\"age_band\":\"under-13\",\"registered_on\":\"2024-03-01\"}\n");
    for (const std::string& text : {csv, nd}) {
        for (std::string_view secret : {"Zoë", "Lena", "Berg", "Anna", "anna@example.nl", "+316",
                                        "12a", "REF-", "1012 AB", "B-1000", "T10:00"}) {
            CHECK_MESSAGE(text.find(secret) == std::string::npos, secret);
        }
    }
    CHECK(pseudonymized_columns().size() == 12);
}

TEST_CASE("exporter: filters by verdict, state and change time") {
    Registry registry = Registry::scratch();
    const auto eligible = store(registry, registration());
    const auto ineligible = store(registry, registration({{Field::external_ref, "R2"},
                                                          {Field::child_first_name, "Adult"},
                                                          {Field::child_birth_date, "1990-01-01"}}));
    const auto review = store(registry, registration({{Field::external_ref, "R3"},
                                                      {Field::child_first_name, "Musical"},
                                                      {Field::platform, "musical.ly"}}));
    const auto withdrawn = store(registry, registration({{Field::external_ref, "R4"},
                                                         {Field::child_first_name, "Gone"}}));
    const auto opted_out = store(registry, registration({{Field::external_ref, "R5"},
                                                         {Field::child_first_name, "Out"}}));
    registry.db().exec(fmt::format("UPDATE claimants SET state = 'withdrawn' WHERE id = {}", withdrawn));
    registry.db().exec(fmt::format("UPDATE claimants SET state = 'opted-out' WHERE id = {}", opted_out));
    registry.db().exec(fmt::format(
        "UPDATE claimants SET changed_at = CASE id WHEN {} THEN '2024-05-31T23:59:59Z' WHEN {} "
        "THEN '2024-06-01T00:00:00Z' ELSE '2024-06-02T08:00:00Z' END",
        eligible, ineligible));

    const auto ids = [&](ExportOptions o) {
        o.pseudonymize = true;
        o.format = ExportFormat::ndjson;
        std::string list;
        std::istringstream lines(exported(registry, o));
        for (std::string line; std::getline(lines, line);) {
            const auto comma = line.find(',');
            list += (list.empty() ? "" : " ") + line.substr(6, comma - 6);
        }
        return list;
    };
    CHECK(fmt::format("{} {} {} {} {}", eligible, ineligible, review, withdrawn, opted_out) == "1 2 3 4 5");
    CHECK(ids({}) == "1 2 3");
    ExportOptions all;
    all.include_withdrawn = true;
    CHECK(ids(all) == "1 2 3 4 5");
    ExportOptions by_verdict;
    by_verdict.verdicts = {VerdictKind::review, VerdictKind::eligible};
    CHECK(ids(by_verdict) == "1 3");
    by_verdict.verdicts = {VerdictKind::ineligible};
    CHECK(ids(by_verdict) == "2");
    ExportOptions since;
    since.since = parse_since("2024-06-01");
    CHECK(ids(since) == "2 3");
    since.since = parse_since("2024-06-01T02:00:00+02:00"); // 00:00:00Z
    CHECK(ids(since) == "2 3");
    since.since = parse_since("2024-06-01T00:00:01Z");
    CHECK(ids(since) == "3");
    since.include_withdrawn = true;
    since.verdicts = {VerdictKind::eligible};
    CHECK(ids(since) == "4 5");
}

TEST_CASE("exporter: parse_since gives UTC, bad values are value errors") {
    CHECK(parse_since("2024-06-01") == "2024-06-01T00:00:00Z");
    CHECK(parse_since("2024-06-01T10:20:30Z") == "2024-06-01T10:20:30Z");
    CHECK(parse_since("2024-06-01T00:30:00+01:00") == "2024-05-31T23:30:00Z");
    CHECK(parse_since("2024-12-31T23:00:00-02:00") == "2025-01-01T01:00:00Z");
    CHECK(parse_since("2024-02-29T10:20+0530") == "2024-02-29T04:50:00Z");
    CHECK(parse_since("2024-06-01 10:20:30.999Z") == "2024-06-01T10:20:30Z");
    for (const char* bad : {"", "yesterday", "2024-6-1", "01-06-2024", "2024-02-30", "2023-02-29",
                            "2024-06-01T10:20:30", "2024-06-01T24:00:00Z", "2024-06-01T10:61Z",
                            "2024-06-01T10:20:30+1", "2024-06-01T10:20:30Zjunk", "2024-06-01X"}) {
        CHECK_THROWS_AS_MESSAGE(parse_since(bad), ValueError, bad);
    }
}

TEST_CASE("exporter: a linked registration bumps the claimant's changed_at") {
    Registry registry = Registry::scratch();
    const auto id = store(registry, registration());
    registry.db().exec("UPDATE claimants SET changed_at = '2020-01-01T00:00:00Z'");
    ExportOptions since;
    since.since = parse_since("2024-01-01");
    CHECK(exported(registry, since) == full_header);
    // The other parent registers the same child: linked, and seen by an incremental export.
    const auto linked = store(registry, registration({{Field::external_ref, "REF-OTHER"},
                                                      {Field::registrant_name, "Bram Berg"},
                                                      {Field::registrant_email, "bram@example.nl"}}));
    CHECK(linked == id);
    CHECK(registry.db().execAndGet("SELECT count(*) FROM registrations").getInt() == 1);
    CHECK(registry.db().execAndGet("SELECT changed_at > '2024' FROM claimants").getInt() == 1);
    const std::string csv = exported(registry, since);
    CHECK(count_of(csv, "\r\n") == 2);
    CHECK(csv.find("\r\nREF-1,Zoë,") != std::string::npos); // the claimant's own data, unchanged
    // The same submission again stores nothing and changes nothing.
    registry.db().exec("UPDATE claimants SET changed_at = '2020-01-01T00:00:00Z'");
    store(registry, registration());
    CHECK(exported(registry, since) == full_header);
}

TEST_CASE("exporter: write errors are I/O errors") {
    Registry registry = Registry::scratch();
    store(registry, registration());
    for (const ExportFormat f : {ExportFormat::csv, ExportFormat::json, ExportFormat::ndjson}) {
        std::FILE* full = std::fopen("/dev/full", "wb");
        REQUIRE(full != nullptr);
        CHECK_THROWS_AS(export_claimants(registry, with_format(f), full), IoError);
        std::fclose(full);
    }
}

TEST_CASE("exporter: parse_export_format") {
    CHECK(parse_export_format("csv") == ExportFormat::csv);
    CHECK(parse_export_format("json") == ExportFormat::json);
    CHECK(parse_export_format("ndjson") == ExportFormat::ndjson);
    CHECK(parse_export_format("xlsx") == ExportFormat::xlsx);
    CHECK_THROWS_AS(parse_export_format("xls"), ValueError);
}

} // namespace test_exporter
