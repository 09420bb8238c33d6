#include <doctest/doctest.h>

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>

#include "claimreg/eligibility.hpp"
#include "claimreg/error.hpp"
#include "claimreg/importer.hpp"
#include "claimreg/erasure.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/stats.hpp"
#include "claimreg/verdicts.hpp"
#include "sample.hpp"

namespace test_lifecycle {

using namespace claimreg;
using namespace std::chrono;

namespace {

constexpr Date test_today = test::sample_today;
constexpr Date test_as_of{year{2024}, month{6}, day{1}};
const std::string now = "2024-06-02T10:00:00Z";

// A registration without an external reference or phone number, with `changes` applied.
Registration registration(test::Changes changes = {}) {
    return test::sample_registration(changes, {{Field::external_ref, ""},
                                               {Field::registrant_phone, ""},
                                               {Field::registered_at, "2024-01-15T10:00:00Z"}});
}

AddResult store(Registry& registry, const Registration& r, const RuleSet& rules = default_rule_set()) {
    const Verdict v = evaluate(eligibility_input(r), rules, test_as_of);
    return add_registration(registry, r, StoredVerdict{v, &rules, test_as_of}, Source{"add", "", 0});
}

// The other parent registers the same child.
Registration other_parent() {
    return registration({{Field::registrant_name, "Bram Berg"},
                         {Field::registrant_email, "bram@example.com"},
                         {Field::registered_at, "2024-02-01"}});
}

std::int64_t count(Registry& registry, const std::string& sql) {
    return registry.db().execAndGet(sql).getInt64();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/claimreg-lifecycle-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        if (DIR* d = ::opendir(path.c_str())) {
            while (const dirent* e = ::readdir(d)) {
                const std::string name = e->d_name;
                if (name != "." && name != "..") ::unlink((path + "/" + name).c_str());
            }
            ::closedir(d);
        }
        ::rmdir(path.c_str());
    }
};

ImportReport import_text(Registry& registry, const std::string& csv) {
    std::FILE* in = ::fmemopen(const_cast<char*>(csv.data()), csv.size(), "r");
    REQUIRE(in != nullptr);
    ImportOptions options;
    options.source_name = "partner.csv";
    options.today = test_today;
    options.now_utc = now;
    const ImportReport report = import_csv(in, registry, options);
    std::fclose(in);
    return report;
}

} // namespace

TEST_CASE("lifecycle: show_claimant gives the record, linked registrations and audit events") {
    Registry registry = Registry::scratch();
    const AddResult first = store(registry, registration());
    CHECK(first.outcome == AddOutcome::added);
    const AddResult linked = store(registry, other_parent());
    CHECK(linked.outcome == AddOutcome::linked);
    CHECK(linked.id == first.id);
    // The same submission again stores nothing, and audits nothing.
    CHECK(store(registry, registration()).outcome == AddOutcome::same_submission);

    const ClaimantRecord c = show_claimant(registry, first.id);
    CHECK(c.id == first.id);
    CHECK(c.field(Field::child_first_name) == "Zoë");
    CHECK(c.field(Field::child_name_prefix) == "van der");
    CHECK(c.field(Field::child_birth_date) == "2011-03-14");
    CHECK(c.field(Field::country) == "NL");
    CHECK(c.field(Field::external_ref).empty());
    CHECK(c.field(Field::last_use).empty());
    CHECK(c.field(Field::consent) == "yes");
    CHECK(c.field(Field::registered_at) == "2024-01-15T10:00:00Z");
    CHECK(c.state == "active");
    CHECK(c.state_changed_at.empty());
    CHECK(c.verdict == "eligible");
    CHECK(c.reasons.empty());
    CHECK(c.age_band == "under-13");
    CHECK(c.rule_set == "ruling-2024");
    CHECK(c.checked_at == "2024-06-01");
    CHECK(c.source == "add");
    REQUIRE(c.registrations.size() == 1);
    CHECK(c.registrations[0].registrant_name == "Bram Berg");
    CHECK(c.registrations[0].registrant_email == "bram@example.com");
    CHECK(c.registrations[0].registrant_relation == "parent");
    CHECK(c.registrations[0].registered_at == "2024-02-01");
    CHECK(c.registrations[0].consent);
    CHECK(c.registrations[0].source == "add");
    REQUIRE(c.audit.size() == 2);
    CHECK(c.audit[0].action == "added");
    CHECK(c.audit[0].detail == "new claimant");
    CHECK(c.audit[1].detail == "linked registration");
    CHECK(c.audit[1].count == 1);
}

TEST_CASE("lifecycle: an unknown id is NotFoundError (exit 66)") {
    Registry registry = Registry::scratch();
    CHECK_THROWS_AS(show_claimant(registry, 1), NotFoundError);
    CHECK_THROWS_AS(withdraw_claimant(registry, 1, State::withdrawn, test_as_of, now), NotFoundError);
    CHECK_THROWS_AS(erase_claimant(registry, 1, now), NotFoundError);
    CHECK_THROWS_AS(linked_registration_count(registry, 1), NotFoundError);
    try {
        show_claimant(registry, 7);
        FAIL("no exception");
    } catch (const NotFoundError& e) {
        CHECK(e.status() == ExitStatus::no_input);
        CHECK(std::string(e.what()) == "no claimant with id 7");
    }
}

TEST_CASE("lifecycle: withdraw sets the state, re-evaluates the verdict and audits it") {
    Registry registry = Registry::scratch();
    const std::int64_t id = store(registry, registration()).id;
    const WithdrawResult r = withdraw_claimant(registry, id, State::withdrawn, test_as_of, now);
    CHECK(r.changed);
    CHECK(r.previous == State::active);
    CHECK(r.state == State::withdrawn);
    CHECK(r.verdict == "ineligible");
    CHECK(r.reasons == "withdrawn");
    const ClaimantRecord c = show_claimant(registry, id);
    CHECK(c.state == "withdrawn");
    CHECK(c.state_changed_at == now);
    CHECK(c.changed_at == now);
    CHECK(c.verdict == "ineligible");
    CHECK(c.reasons == "withdrawn");
    REQUIRE(c.audit.size() == 2);
    CHECK(c.audit[1].action == "withdrawn");
    CHECK(c.audit[1].at == now);
    CHECK(c.audit[1].detail == "from active");
    CHECK_FALSE(c.audit[1].count);

    SUBCASE("withdrawing again changes nothing") {
        const WithdrawResult again =
            withdraw_claimant(registry, id, State::withdrawn, test_as_of, "2024-07-01T00:00:00Z");
        CHECK_FALSE(again.changed);
        CHECK(again.state == State::withdrawn);
        CHECK(again.state_changed_at == now);
        CHECK(show_claimant(registry, id).audit.size() == 2);
    }
    SUBCASE("a withdrawn claimant can still opt out; an opted-out one stays opted out") {
        const std::string later = "2024-07-01T00:00:00Z";
        const WithdrawResult out = withdraw_claimant(registry, id, State::opted_out, test_as_of, later);
        CHECK(out.changed);
        CHECK(out.previous == State::withdrawn);
        CHECK(out.reasons == "opted_out");
        const WithdrawResult back =
            withdraw_claimant(registry, id, State::withdrawn, test_as_of, "2024-08-01T00:00:00Z");
        CHECK_FALSE(back.changed);
        CHECK(back.state == State::opted_out);
        CHECK(back.state_changed_at == later);
        const ClaimantRecord c2 = show_claimant(registry, id);
        CHECK(c2.state == "opted-out");
        CHECK(c2.verdict == "ineligible");
        CHECK(c2.reasons == "opted_out");
        REQUIRE(c2.audit.size() == 3);
        CHECK(c2.audit[2].action == "opted-out");
        CHECK(c2.audit[2].detail == "from withdrawn");
    }
    SUBCASE("withdrawn claimants leave the counts") {
        store(registry, registration({{Field::child_first_name, "Daan"}}));
        CHECK(count_active(registry) == 1);
        const StatsSummary s = summarize(registry);
        CHECK(s.active == 1);
        CHECK(s.withdrawn == 1);
    }
}

TEST_CASE("lifecycle: the verdict is re-evaluated under the claimant's stored rule set") {
    Registry registry = Registry::scratch();
    const RuleSet& as_filed = find_rule_set("as-filed");
    // First use before the ruling's window: outside_period under ruling-2024, not as filed.
    const std::int64_t id =
        store(registry, registration({{Field::first_use, "2018-01-01"}}), as_filed).id;
    CHECK(show_claimant(registry, id).verdict == "eligible");
    const WithdrawResult r = withdraw_claimant(registry, id, State::opted_out, test_as_of, now);
    CHECK(r.reasons == "opted_out");
    CHECK(show_claimant(registry, id).rule_set == "as-filed");
}

TEST_CASE("lifecycle: erase removes the claimant and its registrations, leaving an audit row") {
    Registry registry = Registry::scratch();
    const std::int64_t id = store(registry, registration()).id;
    store(registry, other_parent());
    const std::int64_t daan = store(registry, registration({{Field::child_first_name, "Daan"}})).id;
    CHECK(linked_registration_count(registry, id) == 1);
    const EraseResult r = erase_claimant(registry, id, now);
    CHECK(r.linked == 1);
    CHECK(count(registry, "SELECT count(*) FROM claimants") == 1);
    CHECK(count(registry, "SELECT count(*) FROM registrations") == 0);
    CHECK(count(registry, "SELECT count(*) FROM audit WHERE action = 'erased' AND count = 2") == 1);
    CHECK(erased_count(registry) == 1);
    CHECK(summarize(registry).erased == 1);
    CHECK(summarize(registry).active == 1);
    try {
        show_claimant(registry, id);
        FAIL("no exception");
    } catch (const NotFoundError& e) {
        CHECK(std::string(e.what()) == fmt::format("no claimant with id {} (erased at {})", id, now));
    }
    CHECK(show_claimant(registry, daan).field(Field::child_first_name) == "Daan");

    SUBCASE("an erased id is never given again, not even the highest one") {
        erase_claimant(registry, daan, now);
        const std::int64_t next = store(registry, registration({{Field::child_first_name, "Sem"}})).id;
        CHECK(next == daan + 1);
        CHECK(show_claimant(registry, next).audit.size() == 1);
    }
}

// `tallies` against a count of the claimants themselves.
std::string tallies(Registry& registry, const char* from) {
    SQLite::Statement st(registry.db(),
                         fmt::format("SELECT group_concat(row, ';') FROM (SELECT state || ',' || "
                                     "verdict || ',' || age_band || ',' || child_birth_date || "
                                     "',' || {} AS row FROM {} ORDER BY row)",
                                     std::string_view(from) == "tallies" ? "n" : "count(*)",
                                     std::string_view(from) == "tallies"
                                         ? "tallies"
                                         : "claimants GROUP BY state, verdict, age_band, "
                                           "child_birth_date"));
    REQUIRE(st.executeStep());
    return st.getColumn(0).isNull() ? std::string() : st.getColumn(0).getString();
}

TEST_CASE("lifecycle: the tallies follow imports, adds, checks, withdrawals and erasures") {
    Registry registry = Registry::scratch();
    const auto agree = [&](const char* step) {
        CAPTURE(step);
        CHECK(tallies(registry, "tallies") == tallies(registry, "claimants"));
    };
    agree("empty");
    // A bulk import tallies its new claimants itself: a duplicate, an adult and a bad row.
    const ImportReport report = import_text(
        registry,
        "child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,"
        "registrant_name,registrant_email,registrant_relation,consent\n"
        "Noor,Smit,2010-01-01,1234 AB,tiktok,2019-01-01,Els Smit,els@example.nl,parent,yes\n"
        "Noor,Smit,2010-01-01,1234 AB,tiktok,2019-01-01,Jan Smit,jan@example.nl,parent,yes\n"
        "Sem,Kok,2010-01-01,1234 AB,tiktok,2019-01-01,Ria Kok,ria@example.nl,parent,yes\n"
        "Eva,Kok,2001-05-05,1234 AB,tiktok,2019-01-01,Eva Kok,eva@example.nl,self,yes\n"
        "Bas,Kok,2010-01-01,0123 AB,tiktok,2019-01-01,Ria Kok,ria@example.nl,parent,yes\n");
    CHECK(report.imported == 3);
    CHECK(count(registry, "SELECT sum(n) FROM tallies") == 3);
    agree("import");
    CHECK(count(registry, "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND "
                          "name LIKE 'tallies_%'") == 3);
    const std::int64_t id = store(registry, registration()).id;
    agree("add");
    check_all_claimants(registry, default_rule_set(), Date{std::chrono::year{2031} / 1 / 1});
    agree("check --all");
    withdraw_claimant(registry, id, State::withdrawn, test_as_of, now);
    agree("withdraw");
    erase_claimant(registry, id, now);
    agree("erase");
    import_text(registry, "child_first_name,child_last_name,child_birth_date,postcode,platform,"
                          "first_use,registrant_name,registrant_email,registrant_relation\n"
                          "Lot,Smit,2012-02-29,1234 AB,tiktok,2019-01-01,Els Smit,"
                          "els@example.nl,parent\n");
    agree("second import");
}

TEST_CASE("lifecycle: the audit table is append-only") {
    Registry registry = Registry::scratch();
    store(registry, registration());
    append_audit(registry, AuditAction::imported, std::nullopt, 5, "", now);
    CHECK(count(registry, "SELECT count(*) FROM audit") == 2);
    CHECK_THROWS_AS(registry.db().exec("UPDATE audit SET count = 0"), SQLite::Exception);
    CHECK_THROWS_AS(registry.db().exec("DELETE FROM audit"), SQLite::Exception);
    try {
        registry.db().exec("DELETE FROM audit WHERE id = 1");
        FAIL("no exception");
    } catch (const SQLite::Exception& e) {
        CHECK(std::string(e.what()).find("audit is append-only") != std::string::npos);
    }
    CHECK(count(registry, "SELECT count(*) FROM audit") == 2);
}

TEST_CASE("lifecycle: an import writes one audit row, a re-import that stores nothing none") {
    Registry registry = Registry::scratch();
    const std::string csv =
        "child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,"
        "registrant_name,registrant_email,registrant_relation,consent\n"
        "Noor,Smit,2010-01-01,1234 AB,tiktok,2019-01-01,Els Smit,els@example.nl,parent,yes\n"
        "Noor,Smit,2010-01-01,1234 AB,tiktok,2019-01-01,Jan Smit,jan@example.nl,parent,yes\n"
        "Sem,Kok,2010-01-01,0123 AB,tiktok,2019-01-01,Ria Kok,ria@example.nl,parent,yes\n";
    const ImportReport report = import_text(registry, csv);
    CHECK(report.imported == 1);
    CHECK(report.duplicates == 1);
    CHECK(report.rejected == 1);
    SQLite::Statement st(registry.db(), "SELECT at, action, claimant_id IS NULL, count, detail FROM audit");
    REQUIRE(st.executeStep());
    CHECK(st.getColumn(0).getString() == now);
    CHECK(st.getColumn(1).getString() == "imported");
    CHECK(st.getColumn(2).getInt() == 1);
    CHECK(st.getColumn(3).getInt() == 1);
    CHECK(st.getColumn(4).getString() ==
          "rows_read=3 duplicates=1 linked=1 updated=0 rejected=1 file=partner.csv");
    CHECK_FALSE(st.executeStep());
    st.reset();
    import_text(registry, csv);
    CHECK(count(registry, "SELECT count(*) FROM audit") == 1);
}

TEST_CASE("lifecycle: erased data is gone from the database file and its write-ahead log") {
    TempDir dir;
    const std::string path = dir.path + "/r.db";
    Registry registry(path, OpenMode::write);
    // A second connection keeps the log from being removed when the first one closes.
    Registry reader(path, OpenMode::read);
    const std::vector<std::string> secrets = {"Xanthippe", "Quirijnsdochter", "Bartholomeus",
                                              "xanthe.ouder@example.org", "kees.voogd@example.org"};
    const Registration child =
        registration({{Field::child_first_name, "Xanthippe"},
                      {Field::child_last_name, "Quirijnsdochter"},
                      {Field::registrant_name, "Bartholomeus Q"},
                      {Field::registrant_email, "xanthe.ouder@example.org"}});
    Registration linked = child;
    linked.registrant_name = "Kees Q";
    linked.registrant_email = "kees.voogd@example.org";
    for (int i = 0; i < 50; ++i) {
        store(registry, registration({{Field::child_first_name, fmt::format("Kind{}", i)}}));
    }
    const std::int64_t id = store(registry, child).id;
    CHECK(store(registry, linked).outcome == AddOutcome::linked);
    withdraw_claimant(registry, id, State::withdrawn, test_as_of, now); // an updated row too
    const auto files = [&] { return read_file(path) + read_file(path + "-wal"); };
    for (const auto& s : secrets) CHECK_MESSAGE(files().find(s) != std::string::npos, s);

    const EraseResult r = erase_claimant(registry, id, now);
    CHECK(r.wal_truncated);
    const std::string after = files();
    for (const auto& s : secrets) CHECK_MESSAGE(after.find(s) == std::string::npos, s);
    CHECK(read_file(path + "-wal").empty());
    CHECK(count(reader, "SELECT count(*) FROM claimants") == 50);
}

TEST_CASE("erasure: the keyed digest is HMAC-SHA-256 of kind:value (checked against Python's hmac)") {
    const std::string digest = erased_digest("Jefe", "ref", "what do ya want for nothing?");
    std::string hex;
    for (const char c : digest) hex += fmt::format("{:02x}", static_cast<unsigned char>(c));
    CHECK(hex == "a2af40db4fe69d4ea09b1bd5ac69eded0ce43885cf8cade8c74049b04bf15a49");
}

TEST_CASE("erasure: an erased child is not stored again, by reference or by identity") {
    Registry registry = Registry::scratch();
    const std::int64_t id = store(registry, registration()).id;
    erase_claimant(registry, id, now);
    CHECK(count(registry, "SELECT count(*) FROM erased_keys") >= 1);
    CHECK(store(registry, registration()).outcome == AddOutcome::erased);
    CHECK(store(registry, other_parent()).outcome == AddOutcome::erased);
    CHECK(count(registry, "SELECT count(*) FROM claimants") == 0);
    CHECK(store(registry, registration({{Field::child_first_name, "Sem"}})).outcome ==
          AddOutcome::added);
}

TEST_CASE("update_claimant: the given fields change, the rest stays, conflicts name the other id") {
    Registry registry = Registry::scratch();
    const std::int64_t id = store(registry, registration()).id;
    const std::int64_t sem = store(registry, registration({{Field::child_first_name, "Sem"}})).id;
    RawRecord values{};
    values[static_cast<std::size_t>(Field::house_number)] = "7";
    values[static_cast<std::size_t>(Field::consent)] = "no";
    const FieldSet given = field_bit(Field::house_number) | field_bit(Field::consent);
    const FieldSet changed = update_claimant(registry, id, values, given, test_today, now);
    CHECK(field_names(changed, ",") == "house_number,consent");
    const ClaimantRecord rec = show_claimant(registry, id);
    CHECK(rec.field(Field::house_number) == "7");
    CHECK(rec.field(Field::consent) == "no");
    CHECK(rec.verdict == "ineligible");
    CHECK(rec.audit.back().action == "updated");
    CHECK(rec.audit.back().detail == "fields=house_number,consent");
    CHECK(update_claimant(registry, id, values, given, test_today, now) == 0);

    RawRecord rename{};
    rename[static_cast<std::size_t>(Field::child_first_name)] = "Sem";
    try {
        update_claimant(registry, id, rename, field_bit(Field::child_first_name), test_today, now);
        FAIL("no exception");
    } catch (const DataError& e) {
        CHECK(std::string(e.what()) ==
              fmt::format("claimant {}: the update (child_first_name) would make it the same "
                          "child as claimant {}: not applied",
                          id, sem));
    }
    CHECK(show_claimant(registry, id).field(Field::child_first_name) != "Sem");
    CHECK_THROWS_AS(update_claimant(registry, 99, values, given, test_today, now), NotFoundError);
}

} // namespace test_lifecycle
