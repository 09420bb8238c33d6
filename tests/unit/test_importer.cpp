#include "claimreg/importer.hpp"

#include <cstdio>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include "claimreg/identity.hpp"
#include "claimreg/row_pipeline.hpp"

namespace test_importer {

using namespace claimreg;
using namespace std::chrono;

namespace {

constexpr Date kToday{year{2025}, month{1}, day{1}};
constexpr std::string_view kNow = "2024-12-31T00:00:00Z";

/// A record source that holds nothing: it only names rows and columns, as a CSV file does or,
/// with `letters`, as a worksheet does (`row 3`, column `C`).
class Names final : public RecordSource {
  public:
    explicit Names(bool letters = false) : letters_(letters) {}
    bool next(CsvRecord&) override { return false; }
    std::uint64_t bytes_read() const override { return 0; }
    char rejects_delimiter() const override { return ','; }
    std::string column_name(std::size_t i) const override {
        return letters_ ? std::string(1, static_cast<char>('A' + i)) : std::string();
    }
    std::string row_name(std::uint64_t line) const override {
        return (letters_ ? "row " : "line ") + std::to_string(line);
    }

  private:
    bool letters_;
};

CsvRecord record(std::vector<std::string_view> fields, std::uint64_t line = 1) {
    CsvRecord r;
    r.fields = std::move(fields);
    r.line = line;
    return r;
}

/// What map_header throws for `fields`, or "" when it maps them.
std::string refusal(std::vector<std::string_view> fields, bool letters = false) {
    try {
        (void)map_header(record(std::move(fields)), Names(letters));
    } catch (const DataError& e) {
        return e.what();
    }
    return "";
}

const std::vector<std::string_view> kHeader = {
    "referentie", "Voornaam", "achternaam", "Geboortedatum", "Postcode", "platform",
    "Eerste gebruik", "naam_aanmelder", "E-mail", "telefoon", "relatie", "toestemming",
    "aangemeld op"};

const std::vector<std::string_view> kRow = {
    "REF-1", "Zoë", "van der Berg", "14-03-2011", "1012 ab", "TikTok", "2019-06-01", "Anna Berg",
    "anna@example.nl", "06 12345678", "ouder", "ja", "2024-01-15T10:00:00+01:00"};

RowPipeline pipeline(const RecordSource& names, std::vector<std::string_view> header = kHeader) {
    return RowPipeline(map_header(record(std::move(header)), names), names, kToday,
                       std::string(kNow), default_rule_set());
}

/// `fields` as one CSV line (no quoting needed in these tests).
std::string csv_line(const std::vector<std::string_view>& fields) {
    std::string line;
    for (const auto f : fields) line += (line.empty() ? "" : ",") + std::string(f);
    return line + "\n";
}

/// Imports `csv` into `registry` (the stream closed even when the import throws).
ImportReport import_text(Registry& registry, std::string& csv, const ImportOptions& options) {
    std::FILE* in = ::fmemopen(csv.data(), csv.size(), "r");
    REQUIRE(in != nullptr);
    const struct Close {
        std::FILE* file;
        ~Close() { std::fclose(file); }
    } close{in};
    return import_csv(in, registry, options);
}

} // namespace

TEST_CASE("row pipeline: a header maps canonical names and Dutch aliases in any case") {
    const HeaderMap map = map_header(
        record({" Child First Name ", "CHILD-LAST-NAME", "geboortedatum", "Platform",
                "eerste_gebruik", "Naam aanmelder", "EMAIL", "Relatie", "Aangemeld_op",
                "status"}),
        Names());
    CHECK(map.unknown.empty());
    CHECK(map.width == 10);
    CHECK(map.column_of[static_cast<std::size_t>(Field::child_first_name)] == 0u);
    CHECK(map.column_of[static_cast<std::size_t>(Field::child_last_name)] == 1u);
    CHECK(map.column_of[static_cast<std::size_t>(Field::child_birth_date)] == 2u);
    CHECK(map.column_of[static_cast<std::size_t>(Field::registrant_email)] == 6u);
    CHECK(map.column_of[static_cast<std::size_t>(Field::registered_at)] == 8u);
    CHECK_FALSE(map.column_of[static_cast<std::size_t>(Field::postcode)].has_value());
    CHECK(map.state_column == 9u);
    CHECK(map.headers[0] == "Child First Name"); // as written, trimmed
    CHECK(map.given == (field_bit(Field::child_first_name) | field_bit(Field::child_last_name) |
                        field_bit(Field::child_birth_date) | field_bit(Field::platform) |
                        field_bit(Field::first_use) | field_bit(Field::registrant_name) |
                        field_bit(Field::registrant_email) |
                        field_bit(Field::registrant_relation) | field_bit(Field::registered_at)));
    CHECK(map.column_label(Field::child_birth_date) == "geboortedatum (child_birth_date)");
    CHECK(map.column_label(Field::child_first_name) == "Child First Name (child_first_name)");
    CHECK(map.column_label(Field::postcode) == "postcode"); // no column: its canonical name
    CHECK(map.column_label(std::size_t{9}) == "status");

    std::vector<std::string_view> header = kHeader;
    header[1] = "child_first_name";
    const HeaderMap sheet = map_header(record(header), Names(true));
    CHECK(sheet.column_label(Field::child_first_name) == "B child_first_name");
    CHECK(sheet.column_label(Field::child_last_name) == "C achternaam (child_last_name)");
    CHECK(sheet.column_label(std::size_t{0}) == "A referentie (external_ref)");
}

TEST_CASE("row pipeline: unknown columns are listed, export columns ignored") {
    std::vector<std::string_view> header = kHeader;
    header.insert(header.end(), {"BSN", "id", "Verdict", "checked_at", "opmerking"});
    const HeaderMap map = map_header(record(header), Names());
    CHECK(map.unknown == std::vector<std::string>{"BSN", "opmerking"});
    CHECK(map.width == header.size());
    CHECK(is_export_only_column("Age-Band"));
    CHECK(is_export_only_column("reason"));
    CHECK_FALSE(is_export_only_column("bsn"));
}

TEST_CASE("row pipeline: a header is refused for a column given twice or a required one missing") {
    CHECK(refusal(kHeader) == "");
    std::vector<std::string_view> twice = kHeader;
    twice.push_back("Child-First-Name"); // the same field as `Voornaam`
    CHECK(refusal(twice) == "line 1: column child_first_name appears twice");
    CHECK(refusal(twice, true) == "row 1: column child_first_name appears twice");
    std::vector<std::string_view> states = kHeader;
    states.insert(states.end(), {"state", "Status"});
    CHECK(refusal(states) == "line 1: column state appears twice");
    CHECK(refusal({"voornaam", "achternaam", "email"}) ==
          "line 1: missing required columns: child_birth_date, platform, first_use, "
          "registrant_name, registrant_relation");
    std::vector<std::string_view> no_platform = kHeader;
    no_platform.erase(no_platform.begin() + 5);
    CHECK(refusal(no_platform) == "line 1: missing required column: platform");
    CsvRecord broken = record(kHeader);
    broken.problem = RowProblem::bad_quote;
    CHECK_THROWS_WITH_AS(map_header(broken, Names()), "line 1: header row: malformed quotes",
                         DataError);
}

TEST_CASE("row pipeline: a row through to its registration, verdict and identity key") {
    const Names names;
    const RowPipeline rows = pipeline(names);
    const CsvRecord row = record(kRow, 2);

    RawRecord raw;
    REQUIRE_FALSE(rows.raw_record(row, raw).has_value());
    CHECK(raw[static_cast<std::size_t>(Field::child_first_name)] == "Zoë");
    CHECK(raw[static_cast<std::size_t>(Field::child_birth_date)] == "14-03-2011");
    CHECK(raw[static_cast<std::size_t>(Field::country)].empty()); // no column

    Registration r;
    REQUIRE_FALSE(rows.registration(raw, 2, r).has_value());
    CHECK(r.child_last_name == "van der Berg");
    CHECK(format_date(r.child_birth_date) == "2011-03-14");
    CHECK(r.country == "NL");
    CHECK(r.postcode == "1012 AB");
    CHECK(r.registrant_phone == "+31612345678");
    CHECK(r.consent);

    PreparedRow prepared;
    rows.prepare(row, prepared);
    REQUIRE_FALSE(prepared.error.has_value());
    CHECK(prepared.line == 2);
    CHECK(prepared.cells.empty());
    CHECK(prepared.registration.registrant_email == "anna@example.nl");
    CHECK(prepared.verdict.verdict == VerdictKind::eligible);
    CHECK(prepared.stored.identity == "zoe|vanderberg|2011-03-14|1012AB");
    CHECK(prepared.stored.digest == identity_digest(prepared.stored.identity));
    CHECK(prepared.stored.ref_digest != 0);
    CHECK(prepared.stored.birth_date == "2011-03-14");
    CHECK(prepared.stored.given == rows.header().given);
    CHECK_FALSE(prepared.state.has_value());
}

TEST_CASE("row pipeline: a registered_at left empty is not a given field") {
    const Names names;
    const RowPipeline rows = pipeline(names);
    std::vector<std::string_view> fields = kRow;
    fields.back() = "";
    PreparedRow prepared;
    rows.prepare(record(fields, 3), prepared);
    REQUIRE_FALSE(prepared.error.has_value());
    CHECK(prepared.registration.registered_at == kNow);
    CHECK((prepared.stored.given & field_bit(Field::registered_at)) == 0);
    CHECK((prepared.stored.given & field_bit(Field::registrant_email)) != 0);
}

TEST_CASE("row pipeline: a rejected row names its line and column, never the value") {
    const Names names;
    const RowPipeline rows = pipeline(names);
    const auto rejected = [&](std::vector<std::string_view> fields, std::uint64_t line = 7) {
        PreparedRow prepared;
        rows.prepare(record(fields, line), prepared);
        REQUIRE(prepared.error.has_value());
        CHECK(prepared.error->line == line);
        CHECK(prepared.cells == std::vector<std::string>(fields.begin(), fields.end()));
        return prepared.error->column + " | " + prepared.error->rule;
    };
    std::vector<std::string_view> fields = kRow;
    fields[3] = "31-02-2011";
    CHECK(rejected(fields) == "Geboortedatum (child_birth_date) | not a real calendar date");
    fields = kRow;
    fields[8] = "anna.example.nl";
    CHECK(rejected(fields) == "E-mail (registrant_email) | not an e-mail address");
    fields = kRow;
    fields[1] = " ";
    CHECK(rejected(fields) == "Voornaam (child_first_name) | required");

    // A row the reader could not read, and one of another width.
    CsvRecord broken = record(kRow, 9);
    broken.problem = RowProblem::bad_encoding;
    PreparedRow prepared;
    rows.prepare(broken, prepared);
    REQUIRE(prepared.error.has_value());
    CHECK(prepared.error->line == 9);
    CHECK(prepared.error->column.empty());
    CHECK(prepared.error->rule == "invalid UTF-8");
    CHECK(prepared.cells.size() == kRow.size());
    broken.problem = RowProblem::error_value;
    broken.problem_column = 3;
    RawRecord raw;
    const auto cell = rows.raw_record(broken, raw);
    REQUIRE(cell.has_value());
    CHECK(cell->column == "Geboortedatum (child_birth_date)");
    std::vector<std::string_view> short_row(kRow.begin(), kRow.end() - 1);
    PreparedRow narrow;
    rows.prepare(record(short_row, 4), narrow);
    REQUIRE(narrow.error.has_value());
    CHECK(narrow.error->column.empty());
    CHECK(narrow.error->rule == "expected 13 fields, found 12");

    // A phone number a spreadsheet stored as a number.
    CsvRecord typed = record(kRow, 5);
    typed.kinds.assign(kRow.size(), CellKind::text);
    typed.kinds[9] = CellKind::number;
    const auto number = rows.raw_record(typed, raw);
    REQUIRE(number.has_value());
    CHECK(number->column == "telefoon (registrant_phone)");
    CHECK(number->rule.rfind("a number, not text", 0) == 0);

    // A state cell that is no state.
    std::vector<std::string_view> header = kHeader;
    header.push_back("status");
    const RowPipeline with_state = pipeline(names, header);
    fields = kRow;
    fields.push_back("weg");
    PreparedRow stated;
    with_state.prepare(record(fields, 6), stated);
    REQUIRE(stated.error.has_value());
    CHECK(stated.error->column == "status");
    CHECK(stated.error->rule ==
          "not active, withdrawn or opted-out (actief, ingetrokken, afgemeld)");
    fields.back() = "Ingetrokken";
    PreparedRow withdrawn;
    with_state.prepare(record(fields, 6), withdrawn);
    REQUIRE_FALSE(withdrawn.error.has_value());
    CHECK(withdrawn.state == State::withdrawn);
}

TEST_CASE("row pipeline: the formula guard of an export is stripped, an apostrophe kept") {
    const Names names;
    const RowPipeline rows = pipeline(names);
    std::vector<std::string_view> fields = kRow;
    fields[2] = "'t Hart";
    fields[0] = "'=REF-1";
    fields[9] = "'+31612345678";
    RawRecord raw;
    REQUIRE_FALSE(rows.raw_record(record(fields), raw).has_value());
    CHECK(raw[static_cast<std::size_t>(Field::child_last_name)] == "'t Hart");
    CHECK(raw[static_cast<std::size_t>(Field::external_ref)] == "=REF-1");
    CHECK(raw[static_cast<std::size_t>(Field::registrant_phone)] == "+31612345678");
    Registration r;
    REQUIRE_FALSE(rows.registration(raw, 2, r).has_value());
    CHECK(r.child_last_name == "'t Hart");
    CHECK(r.registrant_phone == "+31612345678");
}

TEST_CASE("import: a file into a scratch registry, counted, with its rejects") {
    std::vector<std::string_view> header = kHeader;
    header.push_back("opmerking");
    std::vector<std::string_view> row = kRow;
    row.push_back("");
    std::string csv = csv_line(header) + csv_line(row); // line 2: imported
    row[0] = "REF-2";
    row[10] = "moeder";
    row[7] = "Bram Berg";
    row[8] = "bram@example.nl";
    csv += csv_line(row); // line 3: the other parent: linked
    csv += csv_line(row); // line 4: the same submission again: unchanged
    row[0] = "REF-3";
    row[1] = "Sem";
    row[3] = "2011-13-01";
    csv += csv_line(row); // line 5: rejected
    row[3] = "2012-05-01";
    csv += csv_line(row); // line 6: imported

    Registry registry = Registry::scratch();
    std::FILE* rejects = std::tmpfile();
    REQUIRE(rejects != nullptr);
    ImportOptions options;
    options.source_name = "partner.csv";
    options.today = kToday;
    options.now_utc = std::string(kNow);
    options.rejects = rejects;
    std::vector<RowError> errors;
    std::vector<std::string> unknown;
    options.on_reject = [&](const RowError& e) { errors.push_back(e); };
    options.on_unknown_column = [&](std::string_view c) { unknown.emplace_back(c); };
    const ImportReport report = import_text(registry, csv, options);

    CHECK(report.rows_read == 5);
    CHECK(report.imported == 2);
    CHECK(report.linked == 1);
    CHECK(report.unchanged == 1);
    CHECK(report.duplicates == 2);
    CHECK(report.updated == 0);
    CHECK(report.rejected == 1);
    CHECK(report.bytes_read == csv.size());
    CHECK(unknown == std::vector<std::string>{"opmerking"});
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].line == 5);
    CHECK(errors[0].column == "Geboortedatum (child_birth_date)");
    CHECK(errors[0].rule == "not a real calendar date");

    std::rewind(rejects);
    std::string written(4096, '\0');
    written.resize(std::fread(written.data(), 1, written.size(), rejects));
    std::fclose(rejects);
    CHECK(written.rfind("referentie,Voornaam,", 0) == 0);
    CHECK(written.find(",opmerking,reason\r\n") != std::string::npos);
    CHECK(written.find("REF-3,Sem,") != std::string::npos);
    CHECK(written.find("line 5: Geboortedatum (child_birth_date): not a real calendar date\r\n") !=
          std::string::npos);

    SQLite::Statement count(registry.db(), "SELECT count(*) FROM claimants");
    REQUIRE(count.executeStep());
    CHECK(count.getColumn(0).getInt() == 2);

    // A re-import changes nothing.
    options.rejects = nullptr;
    const ImportReport again = import_text(registry, csv, options);
    CHECK(again.imported == 0);
    CHECK(again.linked == 0);
    CHECK(again.unchanged == 4);
    CHECK(again.rejected == 1);
}

TEST_CASE("import: a file without its required columns is refused before any row") {
    std::string csv = "voornaam,achternaam,bsn\nZoe,Berg,1\n"; // bsn: unknown, not named
    Registry registry = Registry::scratch();
    ImportOptions options;
    options.today = kToday;
    options.now_utc = std::string(kNow);
    bool told = false;
    options.on_unknown_column = [&](std::string_view) { told = true; };
    CHECK_THROWS_WITH_AS(import_text(registry, csv, options),
                         "line 1: missing required columns: child_birth_date, platform, "
                         "first_use, registrant_name, registrant_email, registrant_relation",
                         DataError);
    CHECK_FALSE(told);
    std::string empty = "\n";
    CHECK_THROWS_WITH_AS(import_text(registry, empty, options), "empty input: no header row",
                         DataError);
}

} // namespace test_importer
