#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <string>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "claimreg/columns.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/registry.hpp"
#include "sample.hpp"
#include "store/claimant_columns.hpp"
#include "store/schema.hpp"

namespace test_registry {

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

TEST_CASE("registry: in bulk mode, duplicates of claimants not yet written are found and linked") {
    Registry registry = Registry::scratch();
    const RuleSet& rules = default_rule_set();
    const Date day = year{2024} / 6 / 1;
    // Rows stay where add() was given them until flush(), as an import's batch does.
    std::deque<Registration> regs;
    std::deque<Registrar::Row> rows;
    WriteTransaction tx(registry);
    Registrar registrar(registry);
    registrar.begin_bulk(100);
    const auto add = [&](Registration r) {
        regs.push_back(std::move(r));
        const Verdict v = evaluate(eligibility_input(regs.back()), rules, day);
        rows.push_back(Registrar::prepare(regs.back(), v));
        return registrar.add(regs.back(), rows.back(), StoredVerdict{v, &rules, day},
                             Source{"import-csv", "t.csv", regs.size() + 1});
    };
    // 40 children: more than one statement's worth, so some are written and some wait.
    for (int i = 0; i < 40; ++i) {
        const std::string ref = "REF-" + std::to_string(i);
        const std::string postcode = std::to_string(1000 + i) + " AB";
        const AddResult r = add(test::sample_registration(
            {{Field::external_ref, ref}, {Field::postcode, postcode}}));
        CHECK(r.outcome == AddOutcome::added);
    }
    const std::int64_t last = add(test::sample_registration(
        {{Field::external_ref, "REF-X"}, {Field::postcode, "9999 ZZ"}})).id;
    // The other parent registers the last child (still waiting): a linked registration.
    const AddResult linked = add(test::sample_registration(
        {{Field::external_ref, "REF-Y"}, {Field::postcode, "9999 ZZ"},
         {Field::registrant_email, "bram@example.com"}}));
    CHECK(linked.outcome == AddOutcome::linked);
    CHECK(linked.id == last);
    // The same submission again, by its reference and by its child and e-mail.
    const AddResult by_ref = add(test::sample_registration({{Field::external_ref, "REF-X"}}));
    CHECK(by_ref.outcome == AddOutcome::same_submission);
    CHECK(by_ref.id == last);
    const AddResult again = add(test::sample_registration(
        {{Field::external_ref, "REF-Z"}, {Field::postcode, "9999 ZZ"}}));
    CHECK(again.outcome == AddOutcome::same_submission);
    CHECK(again.id == last);
    const AddResult next = add(test::sample_registration(
        {{Field::external_ref, "REF-N"}, {Field::postcode, "1111 AA"}}));
    CHECK(next.outcome == AddOutcome::added);
    // Its reference again with other details, while it still waits: the same submission.
    const AddResult same_ref = add(test::sample_registration(
        {{Field::external_ref, "REF-N"}, {Field::postcode, "2222 BB"}}));
    CHECK(same_ref.outcome == AddOutcome::same_submission);
    CHECK(same_ref.id == next.id);
    registrar.end_bulk();
    tx.commit();
    auto& db = registry.db();
    CHECK(db.execAndGet("SELECT count(*) FROM claimants").getInt64() == 42);
    CHECK(db.execAndGet("SELECT group_concat(external_ref) FROM (SELECT external_ref FROM "
                        "claimants WHERE id >= 40 ORDER BY id)").getString() == "REF-39,REF-X,REF-N");
    CHECK(db.execAndGet("SELECT claimant_id || ' ' || external_ref || ' ' || source_line FROM "
                        "registrations").getString() == std::to_string(last) + " REF-Y 43");
    CHECK(db.execAndGet("SELECT sum(n) FROM tallies").getInt64() == 42);
    CHECK(db.execAndGet("SELECT count(*) FROM pragma_foreign_key_check").getInt64() == 0);
}

TEST_CASE("registry: a linked registration marks its claimant changed") {
    Registry registry = Registry::scratch();
    const RuleSet& rules = default_rule_set();
    const Date day = year{2024} / 6 / 1;
    const auto add = [&](const Registration& r) {
        const Verdict v = evaluate(eligibility_input(r), rules, day);
        WriteTransaction tx(registry);
        const AddResult result =
            Registrar(registry).add(r, StoredVerdict{v, &rules, day}, Source{"add", "", 0});
        tx.commit();
        return result;
    };
    const std::int64_t id = add(test::sample_registration()).id;
    auto& db = registry.db();
    db.exec("UPDATE claimants SET changed_at = '2000-01-01T00:00:00Z'");
    const AddResult linked = add(test::sample_registration(
        {{Field::external_ref, "REF-2"}, {Field::registrant_email, "bram@example.com"}}));
    CHECK(linked.outcome == AddOutcome::linked);
    CHECK(linked.id == id);
    CHECK(db.execAndGet("SELECT changed_at > '2024' FROM claimants").getInt() == 1);
}

TEST_CASE("registry: the indexes and triggers bulk code drops come back from this build's SQL") {
    Registry registry = Registry::scratch();
    WriteTransaction tx(registry);
    const auto objects = [&](const char* type) {
        return registry.db()
            .execAndGet(fmt::format("SELECT group_concat(name || ':' || sql, ';') FROM (SELECT "
                                    "* FROM sqlite_schema WHERE type = '{}' ORDER BY name)",
                                    type))
            .getString();
    };
    const std::string triggers = objects("trigger");
    const std::vector<std::string> dropped = drop_claimants_schema(registry, "trigger", "tallies_");
    CHECK(dropped.size() == 3);
    for (const auto& sql : dropped) CHECK(sql.rfind("CREATE TRIGGER tallies_", 0) == 0);
    CHECK(objects("trigger").find("tallies_") == std::string::npos);
    for (const auto& sql : dropped) registry.db().exec(sql);
    CHECK(objects("trigger") == triggers);
    CHECK(drop_claimants_schema(registry, "index", "").size() == 2);
}

TEST_CASE("registry: claimreg's SQL functions cannot be called from schema code") {
    Registry registry = Registry::scratch();
    int calls = 0;
    const auto impl = [](sqlite3_context* ctx, int, sqlite3_value**) {
        ++*static_cast<int*>(sqlite3_user_data(ctx));
        sqlite3_result_int(ctx, 1);
    };
    const DirectFunction probe(registry, "claimreg_probe", 0, &calls, impl);
    CHECK(registry.db().execAndGet("SELECT claimreg_probe()").getInt() == 1);
    registry.db().exec("CREATE TABLE t (x); CREATE TABLE u (x); CREATE TRIGGER probe AFTER INSERT "
                       "ON t BEGIN INSERT INTO u VALUES (claimreg_probe()); END;");
    CHECK_THROWS_WITH_AS(registry.db().exec("INSERT INTO t VALUES (1)"),
                         doctest::Contains("unsafe use of claimreg_probe()"), SQLite::Exception);
    CHECK(calls == 1);
}

TEST_CASE("registry: a missing registry says what is missing, not how to name another") {
    const std::string path = "/nonexistent-dir/registry.db";
    for (const OpenMode mode : {OpenMode::read, OpenMode::update}) {
        CHECK_THROWS_WITH_AS(Registry(path, mode), "no registry at /nonexistent-dir/registry.db",
                             MissingRegistryError);
    }
    try {
        Registry(path, OpenMode::read);
    } catch (const Error& e) {
        CHECK(e.status() == ExitStatus::no_input);
    }
}

TEST_CASE("registry: the database engine's failures come out as claimreg errors") {
    CHECK(with_store_errors([] { return ExitStatus::review; }) == ExitStatus::review);
    const auto failing = [](int code) {
        return [code]() -> ExitStatus { throw SQLite::Exception("no such table: x", code); };
    };
    for (const int code : {SQLITE_BUSY, SQLITE_LOCKED}) {
        CHECK_THROWS_WITH_AS(with_store_errors(failing(code)),
                             "registry busy (locked by another process), retry later", BusyError);
    }
    for (const int code : {SQLITE_NOTADB, SQLITE_CORRUPT}) {
        CHECK_THROWS_WITH_AS(with_store_errors(failing(code)),
                             "registry unreadable: no such table: x", DataError);
    }
    for (const int code : {SQLITE_IOERR, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_READONLY}) {
        CHECK_THROWS_WITH_AS(with_store_errors(failing(code)),
                             "registry I/O error: no such table: x", IoError);
    }
    try {
        with_store_errors(failing(SQLITE_CONSTRAINT));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.status() == ExitStatus::internal);
        CHECK(std::string(e.what()) == "internal error: no such table: x");
    }
    // A claimreg error passes as it is.
    CHECK_THROWS_WITH_AS(with_store_errors([]() -> ExitStatus { throw DataError("bad"); }), "bad",
                         DataError);
    CHECK(sqlite_version() == SQLITE_VERSION);
}

TEST_CASE("registry: the columns that take NULL are optional fields, in claimants and registrations") {
    const auto& nullable = store::nullable_fields();
    for (const FieldColumn& c : field_columns) {
        const bool expected = c.field == Field::external_ref || c.field == Field::last_use;
        CHECK_MESSAGE(nullable[static_cast<std::size_t>(c.field)] == expected, c.name);
        if (nullable[static_cast<std::size_t>(c.field)]) CHECK(c.kind == ValueKind::optional);
    }
    // A linked registration's fields are stored as its claimant's are.
    Registry registry = Registry::scratch();
    SQLite::Statement columns(registry.db(),
                              "SELECT name, \"notnull\" FROM pragma_table_info('registrations')");
    int seen = 0;
    while (columns.executeStep()) {
        for (const FieldColumn& c : field_columns) {
            if (c.name != columns.getColumn(0).getString()) continue;
            CHECK((store::registration_fields & field_bit(c.field)) != 0);
            CHECK_MESSAGE((columns.getColumn(1).getInt() == 0) ==
                              nullable[static_cast<std::size_t>(c.field)],
                          c.name);
            ++seen;
        }
    }
    CHECK(seen == store::count_of(store::registration_fields));
}

TEST_CASE("registry: a field's stored text reads back as the same field") {
    const Registration r = test::sample_registration(
        {{Field::last_use, "2020-05-01"}, {Field::registrant_phone, "0612345678"}});
    const Verdict v = evaluate(eligibility_input(r), default_rule_set(), year{2024} / 6 / 1);
    const Registrar::Row row = Registrar::prepare(r, v);
    Registration back;
    for (const FieldColumn& c : field_columns) {
        store::set_from_stored(back, c.field, std::string(Registrar::stored_text(r, row, c.field)));
    }
    const Registrar::Row back_row = Registrar::prepare(back, v);
    CHECK(store::stored_fields(back, back_row) == store::stored_fields(r, row));
    CHECK(Registrar::stored_text(r, row, Field::consent) == (r.consent ? "1" : "0"));
    CHECK(store::column_list(store::identity_fields) ==
          "child_first_name, child_name_prefix, child_last_name, child_birth_date, postcode");
    CHECK(store::column_assignments(field_bit(Field::country) | field_bit(Field::consent), 3) ==
          "country = ?3, consent = ?4");
    CHECK(store::placeholders(3) == "?, ?, ?");
}

} // namespace test_registry
