#include "claimreg/record.hpp"

#include <array>
#include <string>

#include <doctest/doctest.h>

namespace test_record {

using namespace claimreg;
using namespace std::chrono;

namespace {

constexpr Date kToday{year{2024}, month{6}, day{15}};
constexpr std::string_view kNow = "2024-06-15T12:00:00Z";

Date ymd(int y, unsigned m, unsigned d) { return Date{year{y}, month{m}, day{d}}; }

/// The rule a single-field parser throws for `f()`, or "" when it does not throw.
template <typename F>
std::string rule_of(F&& f) {
    try {
        f();
    } catch (const RuleError& e) {
        return e.what();
    }
    return "";
}

/// A complete, valid raw record owning its strings.
struct Row {
    std::array<std::string, field_count> cells;
    Row() {
        set(Field::external_ref, "REF-1");
        set(Field::child_first_name, "Zoë");
        set(Field::child_name_prefix, "van der");
        set(Field::child_last_name, "Berg");
        set(Field::child_birth_date, "2010-03-04");
        set(Field::postcode, "1012ab");
        set(Field::house_number, "12a");
        set(Field::platform, "TikTok");
        set(Field::first_use, "04-05-2019");
        set(Field::last_use, "2021-01-01");
        set(Field::registrant_name, "Anna  de Vries");
        set(Field::registrant_email, " Anna@Example.COM ");
        set(Field::registrant_phone, "06 12345678");
        set(Field::registrant_relation, "Ouder");
        set(Field::consent, "ja");
        set(Field::registered_at, "2024-01-15T10:00:00+01:00");
    }
    Row& set(Field f, std::string v) {
        cells[static_cast<std::size_t>(f)] = std::move(v);
        return *this;
    }
    RawRecord raw() const {
        RawRecord r{};
        for (std::size_t i = 0; i < field_count; ++i) r[i] = cells[i];
        return r;
    }
};

/// what() of the FieldError that parse_registration throws for `row`, or "" if it does not.
std::string error_of(const Row& row) {
    try {
        (void)parse_registration(row.raw(), kToday, kNow);
    } catch (const FieldError& e) {
        return e.what();
    }
    return "";
}

} // namespace

// ---- fields -------------------------------------------------------------------------------

TEST_CASE("record: field names are canonical and in enum order") {
    CHECK(field_name(Field::external_ref) == "external_ref");
    CHECK(field_name(Field::child_first_name) == "child_first_name");
    CHECK(field_name(Field::child_name_prefix) == "child_name_prefix");
    CHECK(field_name(Field::child_birth_date) == "child_birth_date");
    CHECK(field_name(Field::registrant_relation) == "registrant_relation");
    CHECK(field_name(Field::registered_at) == "registered_at");
    for (std::size_t i = 0; i < field_count; ++i) {
        const auto f = static_cast<Field>(i);
        CHECK(field_from_header(field_name(f)) == f);
    }
}

TEST_CASE("record: required fields") {
    CHECK(field_is_required(Field::child_first_name));
    CHECK(field_is_required(Field::child_last_name));
    CHECK(field_is_required(Field::child_birth_date));
    CHECK(field_is_required(Field::platform));
    CHECK(field_is_required(Field::first_use));
    CHECK(field_is_required(Field::registrant_name));
    CHECK(field_is_required(Field::registrant_email));
    CHECK(field_is_required(Field::registrant_relation));
    CHECK_FALSE(field_is_required(Field::postcode)); // only for NL, checked per record
    CHECK_FALSE(field_is_required(Field::external_ref));
    CHECK_FALSE(field_is_required(Field::child_name_prefix));
    CHECK_FALSE(field_is_required(Field::country));
    CHECK_FALSE(field_is_required(Field::house_number));
    CHECK_FALSE(field_is_required(Field::last_use));
    CHECK_FALSE(field_is_required(Field::registrant_phone));
    CHECK_FALSE(field_is_required(Field::consent));
    CHECK_FALSE(field_is_required(Field::registered_at));
}

TEST_CASE("record: header aliases") {
    CHECK(field_from_header("Child First Name") == Field::child_first_name);
    CHECK(field_from_header("  CHILD-BIRTH-DATE\t") == Field::child_birth_date);
    CHECK(field_from_header("child__first  name") == Field::child_first_name);
    CHECK(field_from_header("\xEF\xBB\xBF" "external_ref") == Field::external_ref);
    CHECK(field_from_header("referentie") == Field::external_ref);
    CHECK(field_from_header("Voornaam") == Field::child_first_name);
    CHECK(field_from_header("tussenvoegsel") == Field::child_name_prefix);
    CHECK(field_from_header("Achternaam") == Field::child_last_name);
    CHECK(field_from_header("geboortedatum") == Field::child_birth_date);
    CHECK(field_from_header("Land") == Field::country);
    CHECK(field_from_header("Postcode") == Field::postcode);
    CHECK(field_from_header("huisnummer") == Field::house_number);
    CHECK(field_from_header("Platform") == Field::platform);
    CHECK(field_from_header("eerste-gebruik") == Field::first_use);
    CHECK(field_from_header("Eerste gebruik") == Field::first_use);
    CHECK(field_from_header("laatste_gebruik") == Field::last_use);
    CHECK(field_from_header("Naam aanmelder") == Field::registrant_name);
    CHECK(field_from_header("email") == Field::registrant_email);
    CHECK(field_from_header("E-mail") == Field::registrant_email);
    CHECK(field_from_header("e_mail") == Field::registrant_email);
    CHECK(field_from_header("telefoon") == Field::registrant_phone);
    CHECK(field_from_header("Telefoonnummer") == Field::registrant_phone);
    CHECK(field_from_header("relatie") == Field::registrant_relation);
    CHECK(field_from_header("Toestemming") == Field::consent);
    CHECK(field_from_header("aangemeld op") == Field::registered_at);
    CHECK_FALSE(field_from_header("bsn").has_value());
    CHECK_FALSE(field_from_header("").has_value());
    CHECK_FALSE(field_from_header("childfirstname").has_value());
    CHECK_FALSE(field_from_header("child_first_name_and_a_very_long_tail_beyond_limit").has_value());
}

TEST_CASE("record: enum spellings") {
    CHECK(to_string(Platform::tiktok) == "tiktok");
    CHECK(to_string(Platform::musically) == "musical.ly");
    CHECK(to_string(Relation::parent) == "parent");
    CHECK(to_string(Relation::guardian) == "guardian");
    CHECK(to_string(Relation::self) == "self");
    CHECK(to_string(State::active) == "active");
    CHECK(to_string(State::withdrawn) == "withdrawn");
    CHECK(to_string(State::opted_out) == "opted-out");
    for (State s : {State::active, State::withdrawn, State::opted_out})
        CHECK(parse_state(to_string(s)) == s);
    CHECK_THROWS_AS(parse_state("opted_out"), RuleError);
    CHECK_THROWS_AS(parse_state(""), RuleError);
}

// ---- dates --------------------------------------------------------------------------------

TEST_CASE("record: date formats") {
    CHECK(parse_date("2024-01-15") == ymd(2024, 1, 15));
    CHECK(parse_date(" 2024-01-15 ") == ymd(2024, 1, 15));
    CHECK(parse_date("15-01-2024") == ymd(2024, 1, 15));
    CHECK(parse_date("5-1-2024") == ymd(2024, 1, 5));
    CHECK(parse_date("5-01-2024") == ymd(2024, 1, 5));
    CHECK(parse_date("05-1-2024") == ymd(2024, 1, 5));
    CHECK(parse_date("15/01/2024") == ymd(2024, 1, 15));
    CHECK(parse_date("5/1/2024") == ymd(2024, 1, 5));
    CHECK(parse_date("12-01-2024") == ymd(2024, 1, 12)); // day first, never month first
}

TEST_CASE("record: date shapes rejected") {
    const std::string not_date = "not a date (use YYYY-MM-DD or DD-MM-YYYY)";
    for (const char* bad : {"", "   ", "2024/01/15", "2024-1-15", "2024-01-5", "15-01-24",
                            "15.01.2024", "15-01/2024", "15/01-2024", "115-01-2024",
                            "15-001-2024", "15-01-20245", "2024-01-15x", "20240115",
                            "jan 15 2024", "15-01-2O24", "-1-01-2024", "15--2024"}) {
        CAPTURE(bad);
        CHECK(rule_of([&] { parse_date(bad); }) == not_date);
    }
}

TEST_CASE("record: real calendar dates only") {
    const std::string not_real = "not a real calendar date";
    CHECK(parse_date("2024-02-29") == ymd(2024, 2, 29));
    CHECK(parse_date("29-02-2024") == ymd(2024, 2, 29));
    CHECK(parse_date("2000-02-29") == ymd(2000, 2, 29));
    CHECK(rule_of([] { parse_date("2023-02-29"); }) == not_real);
    CHECK(rule_of([] { parse_date("29-02-2023"); }) == not_real);
    CHECK(rule_of([] { parse_date("1900-02-29"); }) == not_real);
    CHECK(rule_of([] { parse_date("31-04-2020"); }) == not_real);
    CHECK(parse_date("30-04-2020") == ymd(2020, 4, 30));
    CHECK(parse_date("31-12-2020") == ymd(2020, 12, 31));
    CHECK(rule_of([] { parse_date("2020-13-01"); }) == not_real);
    CHECK(rule_of([] { parse_date("01-13-2020"); }) == not_real);
    CHECK(rule_of([] { parse_date("2020-00-10"); }) == not_real);
    CHECK(rule_of([] { parse_date("00-01-2020"); }) == not_real);
    CHECK(rule_of([] { parse_date("32-01-2020"); }) == not_real);
    CHECK(parse_date("1900-01-01") == ymd(1900, 1, 1));
    CHECK(rule_of([] { parse_date("1899-12-31"); }) == "before 1900");
    CHECK(rule_of([] { parse_date("0000-01-01"); }) == "before 1900");
}

TEST_CASE("record: format_date") {
    CHECK(format_date(ymd(2024, 1, 5)) == "2024-01-05");
    CHECK(format_date(ymd(1900, 12, 31)) == "1900-12-31");
    CHECK(format_date(parse_date("5/1/2024")) == "2024-01-05");
}

TEST_CASE("record: registered_at") {
    CHECK(parse_registered_at("2024-01-15", kToday) == "2024-01-15");
    CHECK(parse_registered_at(" 2024-01-15T10:00:00Z ", kToday) == "2024-01-15T10:00:00Z");
    CHECK(parse_registered_at("2024-01-15T10:00", kToday) == "2024-01-15T10:00");
    CHECK(parse_registered_at("2024-01-15 10:00:00", kToday) == "2024-01-15 10:00:00");
    CHECK(parse_registered_at("2024-01-15T10:00:00.123Z", kToday) == "2024-01-15T10:00:00.123Z");
    CHECK(parse_registered_at("2024-01-15T10:00:00+01:00", kToday) == "2024-01-15T10:00:00+01:00");
    CHECK(parse_registered_at("2024-01-15T23:59:60-05:30", kToday) == "2024-01-15T23:59:60-05:30");
    CHECK(parse_registered_at("2024-01-15T00:00Z", kToday) == "2024-01-15T00:00Z");
    CHECK(parse_registered_at("2024-06-15T23:59:59Z", kToday) == "2024-06-15T23:59:59Z");

    const std::string bad = "not an ISO 8601 date or date-time";
    for (const char* s : {"", "15-01-2024", "2024-01-15T", "2024-01-15T24:00", "2024-01-15T10:60",
                          "2024-01-15T10:00:61", "2024-01-15T10", "2024-01-15T10:00:00.",
                          "2024-01-15T10:00:00+0100", "2024-01-15T10:00:00+24:00",
                          "2024-01-15T10:00:00ZZ", "2024-01-15x10:00", "2024-01-15T10:00.5",
                          "2024-01-15T1:00", "2024/01/15"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_registered_at(s, kToday); }) == bad);
    }
    CHECK(rule_of([] { parse_registered_at("2023-02-29T10:00:00Z", kToday); }) ==
          "not a real calendar date");
    CHECK(rule_of([] { parse_registered_at("2024-06-16", kToday); }) == "in the future");
    CHECK(rule_of([] { parse_registered_at("2024-06-16T00:00:00+14:00", kToday); }) ==
          "in the future");

    CHECK(registered_on("2024-01-15T10:00:00+01:00") == ymd(2024, 1, 15));
    CHECK(registered_on("2024-01-15") == ymd(2024, 1, 15));
    CHECK_THROWS_AS(registered_on("15-01-2024"), RuleError);
}

// ---- residence ----------------------------------------------------------------------------

TEST_CASE("record: country") {
    CHECK(parse_country("NL") == "NL");
    CHECK(parse_country(" nl ") == "NL");
    CHECK(parse_country("be") == "BE");
    CHECK(parse_country("Nederland") == "NL");
    CHECK(parse_country("NETHERLANDS") == "NL");
    CHECK(parse_country("the netherlands") == "NL");
    CHECK(parse_country("Holland") == "NL");
    CHECK(parse_country("België") == "BE");
    CHECK(parse_country("Belgie") == "BE");
    CHECK(parse_country("Belgium") == "BE");
    CHECK(parse_country("Duitsland") == "DE");
    CHECK(parse_country("Germany") == "DE");
    CHECK(parse_country("deutschland") == "DE");
    const std::string bad = "not a two-letter country code";
    for (const char* s : {"", "N", "NLD", "N1", "12", "France", "N L"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_country(s); }) == bad);
    }
}

TEST_CASE("record: Dutch postcode") {
    CHECK(parse_postcode("1012ab", "NL") == "1012 AB");
    CHECK(parse_postcode("1012 AB", "NL") == "1012 AB");
    CHECK(parse_postcode(" 1012  ab ", "NL") == "1012 AB");
    CHECK(parse_postcode("1000 AA", "NL") == "1000 AA");
    CHECK(parse_postcode("9999 ZZ", "NL") == "9999 ZZ");
    CHECK(parse_postcode("1234 sb", "NL") == "1234 SB");
    CHECK(parse_postcode("1234 AS", "NL") == "1234 AS");
    const std::string bad = "not a Dutch postcode (use 1234 AB)";
    for (const char* s : {"0999 AB", "0000AA", "999 AB", "12345 AB", "1234 A", "1234 ABC",
                          "1234-AB", "AB 1234", "12A4 AB", "1234 1B", "1234\tAB", "1234 ÄB"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_postcode(s, "NL"); }) == bad);
    }
    const std::string letters = "letters SA, SD and SS are not used in Dutch postcodes";
    CHECK(rule_of([] { parse_postcode("1234 SA", "NL"); }) == letters);
    CHECK(rule_of([] { parse_postcode("1234 sd", "NL"); }) == letters);
    CHECK(rule_of([] { parse_postcode("1234SS", "NL"); }) == letters);
    CHECK(rule_of([] { parse_postcode("  ", "NL"); }) == "required for country NL");
}

TEST_CASE("record: other countries' postcodes are free text up to 10") {
    CHECK(parse_postcode(" 1000 ", "BE") == "1000");
    CHECK(parse_postcode("", "BE").empty());
    CHECK(parse_postcode("D-10115 ab", "DE") == "D-10115 ab");
    CHECK(parse_postcode("1234567890", "DE") == "1234567890");
    CHECK(rule_of([] { parse_postcode("12345678901", "DE"); }) == "longer than 10 characters");
    CHECK(rule_of([] { parse_postcode("12\t34", "DE"); }) == "contains a control character");
}

// ---- registrant ---------------------------------------------------------------------------

TEST_CASE("record: e-mail") {
    CHECK(parse_email(" Anna@Example.COM ") == "Anna@example.com");
    CHECK(parse_email("a@b.nl") == "a@b.nl");
    CHECK(parse_email("first.last+tag@sub.Domain.nl") == "first.last+tag@sub.domain.nl");
    CHECK(parse_email("zoë@voorbeeld.nl") == "zoë@voorbeeld.nl");
    const std::string bad = "not an e-mail address";
    for (const char* s : {"", "anna", "@example.com", "anna@", "anna@example", "anna@@example.com",
                          "a@b@example.com", "anna@.example.com", "anna@example.com.",
                          "anna@example..com", "an na@example.com", "anna@exa mple.com"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_email(s); }) == bad);
    }
    CHECK(rule_of([] { parse_email("an\tna@example.com"); }) == "contains a control character");
    CHECK(rule_of([] { parse_email("anna\xff@example.com"); }) == "not valid UTF-8");
    const std::string domain = "@example.com"; // 12 characters
    CHECK(parse_email(std::string(242, 'a') + domain).size() == 254);
    CHECK(rule_of([&] { parse_email(std::string(243, 'a') + domain); }) ==
          "longer than 254 characters");
}

TEST_CASE("record: phone") {
    CHECK(parse_phone("").empty());
    CHECK(parse_phone("   ").empty());
    CHECK(parse_phone("06 12345678") == "+31612345678");
    CHECK(parse_phone("06-1234 5678") == "+31612345678");
    CHECK(parse_phone("0612345678") == "+31612345678");
    CHECK(parse_phone("020-1234567") == "+31201234567");
    CHECK(parse_phone("(020) 123.45.67") == "+31201234567");
    CHECK(parse_phone("+31 6 12345678") == "+31612345678");
    CHECK(parse_phone("+31 (0)6 12345678") == "+31612345678");
    CHECK(parse_phone("0031 6 12345678") == "+31612345678");
    CHECK(parse_phone("0031 (0)20 1234567") == "+31201234567");
    CHECK(parse_phone("0032 470 12 34 56") == "+32470123456");
    CHECK(parse_phone("+49 30 1234567") == "+49301234567");
    CHECK(parse_phone("+1 2345678") == "+12345678");         // 8 digits: shortest accepted
    CHECK(parse_phone("+123456789012345") == "+123456789012345"); // 15 digits: longest
    const std::string bad = "not a phone number";
    for (const char* s : {"12345678", "06 1234567", "06 123456789", "+31 6 1234567",
                          "+31 6 123456789", "+1 234567", "+1234567890123456", "+", "00", "0",
                          "06 1234 567a", "+0 12345678", "0000 12345678", "06/12345678",
                          "06\t12345678", "++31612345678"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_phone(s); }) == bad);
    }
}

TEST_CASE("record: platform spellings") {
    for (const char* s : {"tiktok", "TikTok", " TIKTOK ", "Tik Tok", "tik-tok", "tik_tok"})
        CHECK(parse_platform(s) == Platform::tiktok);
    for (const char* s : {"musical.ly", "Musical.ly", "musically", "MUSICALLY", "musical ly"})
        CHECK(parse_platform(s) == Platform::musically);
    for (const char* s : {"", "instagram", "tiktok2", "musical", "a very long platform name"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_platform(s); }) == "not tiktok or musical.ly");
    }
}

TEST_CASE("record: relation spellings") {
    CHECK(parse_relation("parent") == Relation::parent);
    CHECK(parse_relation(" Ouder ") == Relation::parent);
    CHECK(parse_relation("GUARDIAN") == Relation::guardian);
    CHECK(parse_relation("voogd") == Relation::guardian);
    CHECK(parse_relation("Self") == Relation::self);
    CHECK(parse_relation("zelf") == Relation::self);
    // The words of Dutch and English forms.
    for (const char* s :
         {"vader", "Moeder", "MOTHER", "father", "mum", "mom", "dad", "papa", "mama",
          "ouder/verzorger", "Ouder / Verzorger", "ouder  /verzorger", "parent/guardian"}) {
        CAPTURE(s);
        CHECK(parse_relation(s) == Relation::parent);
    }
    for (const char* s :
         {"verzorger", "legal  guardian", "caregiver", "carer", "pleegouder", "Foster Parent"}) {
        CAPTURE(s);
        CHECK(parse_relation(s) == Relation::guardian);
    }
    for (const char* s : {"myself", "IkZelf"}) {
        CAPTURE(s);
        CHECK(parse_relation(s) == Relation::self);
    }
    for (const char* s : {"", "parents", "o uder", "oom", "mother of", "/", "ouder/",
                          "a relation word far longer than any listed"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_relation(s); }) == "not parent, guardian or self");
    }
}

TEST_CASE("record: consent spellings") {
    for (const char* s : {"yes", "YES", "true", "True", "1", "ja", "JA", "y", "j", " yes "})
        CHECK(parse_consent(s));
    for (const char* s : {"", "  ", "no", "No", "false", "0", "nee", "NEE", "n"})
        CHECK_FALSE(parse_consent(s));
    for (const char* s : {"maybe", "2", "yes please", "x"}) {
        CAPTURE(s);
        CHECK(rule_of([&] { parse_consent(s); }) == "not yes/no");
    }
}

// ---- text ---------------------------------------------------------------------------------

TEST_CASE("record: names are trimmed and collapsed") {
    CHECK(parse_name("Anna") == "Anna");
    CHECK(parse_name("  Anna   Maria  ") == "Anna Maria");
    CHECK(parse_name("'t Hart") == "'t Hart");
    CHECK(parse_name("\xC2\xA0Zoë\xC2\xA0\xC2\xA0 Anna ") == "Zoë Anna"); // NBSP is a space
    CHECK(parse_name(" José  María ") == "José María");
    CHECK(parse_name("", true).empty());
    CHECK(parse_name("   ", true).empty());
    CHECK(rule_of([] { parse_name(""); }) == "required");
    CHECK(rule_of([] { parse_name("   "); }) == "required");
    CHECK(rule_of([] { parse_name("\xC2\xA0"); }) == "required");
}

TEST_CASE("record: names are NFC") {
    CHECK(parse_name("Zoe\xCC\x88") == "Zo\xC3\xAB"); // e + combining diaeresis -> ë
    CHECK(parse_name("Zo\xC3\xAB") == "Zo\xC3\xAB");
    CHECK(parse_name("A\xCC\x8A" "ngstr\xC3\xB6m") == "\xC3\x85ngstr\xC3\xB6m");
}

TEST_CASE("record: name length is counted in code points") {
    CHECK(parse_name(std::string(100, 'a')).size() == 100);
    CHECK(rule_of([] { parse_name(std::string(101, 'a')); }) == "longer than 100 characters");
    std::string hundred;
    for (int i = 0; i < 100; ++i) hundred += "\xC3\xAB"; // ë, two bytes
    CHECK(parse_name(hundred) == hundred);
    CHECK(rule_of([&] { parse_name(hundred + "\xC3\xAB"); }) == "longer than 100 characters");
    // 100 decomposed characters compose to 100 code points.
    std::string decomposed;
    for (int i = 0; i < 100; ++i) decomposed += "e\xCC\x88";
    CHECK(parse_name(decomposed) == hundred);
    // Surrounding spaces do not count.
    CHECK(parse_name("  " + std::string(100, 'a') + "  ").size() == 100);
    // Four-byte characters.
    std::string emoji;
    for (int i = 0; i < 100; ++i) emoji += "\xF0\x9F\x98\x80";
    CHECK(parse_name(emoji) == emoji);
    CHECK_THROWS_AS(parse_name(emoji + "a"), RuleError);
}

TEST_CASE("record: names reject control characters and bad UTF-8") {
    const std::string control = "contains a control character";
    CHECK(rule_of([] { parse_name("An\tna"); }) == control);
    CHECK(rule_of([] { parse_name("Anna\t"); }) == control);
    CHECK(rule_of([] { parse_name("An\nna"); }) == control);
    CHECK(rule_of([] { parse_name("An\rna"); }) == control);
    CHECK(rule_of([] { parse_name(std::string("An\0na", 5)); }) == control);
    CHECK(rule_of([] { parse_name("An\x7Fna"); }) == control);
    CHECK(rule_of([] { parse_name("Zoë\xC2\x85"); }) == control); // U+0085 NEL (C1)
    CHECK(rule_of([] { parse_name("Zoë\xC2\x9F"); }) == control); // U+009F
    CHECK(rule_of([] { parse_name(std::string("Zo\xC3\xAB\0", 5)); }) == control);
    const std::string utf8 = "not valid UTF-8";
    CHECK(rule_of([] { parse_name("Zo\xEB"); }) == utf8);             // Windows-1252 ë
    CHECK(rule_of([] { parse_name("\xC3"); }) == utf8);               // truncated
    CHECK(rule_of([] { parse_name("\xC0\xAF"); }) == utf8);           // overlong
    CHECK(rule_of([] { parse_name("\xED\xA0\x80"); }) == utf8);       // surrogate
    CHECK(rule_of([] { parse_name("\xF4\x90\x80\x80"); }) == utf8);   // > U+10FFFF
    CHECK(rule_of([] { parse_name("\xFF"); }) == utf8);
}

TEST_CASE("record: control characters are found at every position") {
    for (std::size_t pos = 0; pos < 21; ++pos) {
        CAPTURE(pos);
        for (char bad : {'\0', '\x01', '\x1F', '\x7F', '\t'}) {
            std::string s(21, 'a');
            s[pos] = bad;
            CHECK(rule_of([&] { parse_text(s, 64); }) == "contains a control character");
        }
        for (char good : {' ', '!', '~'}) {
            std::string s(21, 'a');
            s[pos] = good;
            CHECK(parse_text(s, 64).size() <= 21);
        }
        std::string s(21, 'a');
        s[pos] = '\xC2'; // a lone lead byte anywhere is bad UTF-8
        CHECK(rule_of([&] { parse_text(s, 64); }) == "not valid UTF-8");
    }
}

TEST_CASE("record: free text") {
    CHECK(parse_text("  abc  ", 64) == "abc");
    CHECK(parse_text("", 10).empty());
    CHECK(parse_text("a  b", 10) == "a  b"); // no collapsing
    CHECK(parse_text(std::string(64, 'x'), 64).size() == 64);
    CHECK(rule_of([] { parse_text(std::string(65, 'x'), 64); }) == "longer than 64 characters");
    CHECK(parse_text("ëëëëëëëëëë", 10) == "ëëëëëëëëëë");
    CHECK(rule_of([] { parse_text("ëëëëëëëëëëë", 10); }) == "longer than 10 characters");
    CHECK(rule_of([] { parse_text("12\n", 10); }) == "contains a control character");
    CHECK(rule_of([] { parse_text("12\xE9", 10); }) == "not valid UTF-8");
}

// ---- parse_registration -------------------------------------------------------------------

TEST_CASE("record: a full registration is normalised") {
    const Registration r = parse_registration(Row{}.raw(), kToday, kNow);
    CHECK(r.external_ref == "REF-1");
    CHECK(r.child_first_name == "Zoë");
    CHECK(r.child_name_prefix == "van der");
    CHECK(r.child_last_name == "Berg");
    CHECK(r.child_birth_date == ymd(2010, 3, 4));
    CHECK(r.country == "NL");
    CHECK(r.postcode == "1012 AB");
    CHECK(r.house_number == "12a");
    CHECK(r.platform == Platform::tiktok);
    CHECK(r.first_use == ymd(2019, 5, 4));
    REQUIRE(r.last_use.has_value());
    CHECK(*r.last_use == ymd(2021, 1, 1));
    CHECK(r.registrant_name == "Anna de Vries");
    CHECK(r.registrant_email == "Anna@example.com");
    CHECK(r.registrant_phone == "+31612345678");
    CHECK(r.registrant_relation == Relation::parent);
    CHECK(r.consent);
    CHECK(r.registered_at == "2024-01-15T10:00:00+01:00");
}

TEST_CASE("record: defaults") {
    Row row;
    for (Field f : {Field::external_ref, Field::child_name_prefix, Field::country,
                    Field::house_number, Field::last_use, Field::registrant_phone, Field::consent,
                    Field::registered_at})
        row.set(f, "");
    const Registration r = parse_registration(row.raw(), kToday, kNow);
    CHECK(r.country == "NL");
    CHECK(r.registered_at == kNow);
    CHECK_FALSE(r.consent);
    CHECK(r.external_ref.empty());
    CHECK(r.child_name_prefix.empty());
    CHECK_FALSE(r.last_use.has_value());
    CHECK(r.registrant_phone.empty());
    // A value of spaces only is missing too.
    row.set(Field::country, "  ").set(Field::registered_at, " ");
    const Registration r2 = parse_registration(row.raw(), kToday, kNow);
    CHECK(r2.country == "NL");
    CHECK(r2.registered_at == kNow);
}

TEST_CASE("record: required fields missing") {
    for (Field f : {Field::child_first_name, Field::child_last_name, Field::child_birth_date,
                    Field::platform, Field::first_use, Field::registrant_name,
                    Field::registrant_email, Field::registrant_relation}) {
        CAPTURE(field_name(f));
        Row row;
        row.set(f, "");
        CHECK(error_of(row) == std::string(field_name(f)) + ": required");
        row.set(f, "   ");
        CHECK(error_of(row) == std::string(field_name(f)) + ": required");
    }
}

TEST_CASE("record: postcode required for NL only") {
    Row row;
    row.set(Field::postcode, "");
    CHECK(error_of(row) == "postcode: required for country NL");
    row.set(Field::country, "Nederland");
    CHECK(error_of(row) == "postcode: required for country NL");
    row.set(Field::country, "BE");
    const Registration r = parse_registration(row.raw(), kToday, kNow);
    CHECK(r.country == "BE");
    CHECK(r.postcode.empty());
    row.set(Field::postcode, "b-1000");
    CHECK(parse_registration(row.raw(), kToday, kNow).postcode == "b-1000");
}

TEST_CASE("record: error messages name the field and rule, never the value") {
    struct Case {
        Field field;
        const char* value;
        const char* what;
    };
    const Case cases[] = {
        {Field::external_ref, "SECRETREF\tX", "external_ref: contains a control character"},
        {Field::child_first_name, "Secretname\n", "child_first_name: contains a control character"},
        {Field::child_name_prefix, "v\xE9n", "child_name_prefix: not valid UTF-8"},
        {Field::child_birth_date, "2023-02-29", "child_birth_date: not a real calendar date"},
        {Field::child_birth_date, "03/04/10", "child_birth_date: not a date (use YYYY-MM-DD or DD-MM-YYYY)"},
        {Field::child_birth_date, "2024-06-16", "child_birth_date: in the future"},
        {Field::country, "Secretland", "country: not a two-letter country code"},
        {Field::postcode, "0999 AB", "postcode: not a Dutch postcode (use 1234 AB)"},
        {Field::postcode, "1234 SS", "postcode: letters SA, SD and SS are not used in Dutch postcodes"},
        {Field::house_number, "12345678901", "house_number: longer than 10 characters"},
        {Field::platform, "Snapchat", "platform: not tiktok or musical.ly"},
        {Field::first_use, "2010-03-03", "first_use: before child_birth_date"},
        {Field::first_use, "2024-06-16", "first_use: in the future"},
        {Field::first_use, "99-99-9999", "first_use: not a real calendar date"},
        {Field::last_use, "2019-05-03", "last_use: before first_use"},
        {Field::last_use, "2024-06-16", "last_use: in the future"},
        {Field::registrant_name, "Secret\tName", "registrant_name: contains a control character"},
        {Field::registrant_email, "secret.example.com", "registrant_email: not an e-mail address"},
        {Field::registrant_phone, "0612345", "registrant_phone: not a phone number"},
        {Field::registrant_relation, "Secretaunt", "registrant_relation: not parent, guardian or self"},
        {Field::consent, "Secretmaybe", "consent: not yes/no"},
        {Field::registered_at, "2024-06-16T00:00:00Z", "registered_at: in the future"},
        {Field::registered_at, "15-01-2024", "registered_at: not an ISO 8601 date or date-time"},
    };
    for (const Case& c : cases) {
        CAPTURE(c.what);
        Row row;
        row.set(c.field, c.value);
        try {
            (void)parse_registration(row.raw(), kToday, kNow);
            FAIL("no error");
        } catch (const FieldError& e) {
            CHECK(std::string(e.what()) == c.what);
            CHECK(e.field() == c.field);
            CHECK(std::string(field_name(c.field)) + ": " + e.rule() == c.what);
            CHECK(e.status() == ExitStatus::data);
            const std::string what = e.what();
            CHECK(what.find("Secret") == std::string::npos);
            CHECK(what.find(c.value) == std::string::npos);
        }
    }
}

TEST_CASE("record: first field in enum order is reported") {
    Row row;
    row.set(Field::child_last_name, "").set(Field::registrant_email, "bad");
    CHECK(error_of(row) == "child_last_name: required");
    row.set(Field::external_ref, std::string(65, 'r'));
    CHECK(error_of(row) == "external_ref: longer than 64 characters");
}

TEST_CASE("record: date boundaries are inclusive") {
    Row row;
    row.set(Field::child_birth_date, "15-06-2024")
        .set(Field::first_use, "2024-06-15")
        .set(Field::last_use, "15/6/2024")
        .set(Field::registered_at, "2024-06-15T23:59:59Z");
    const Registration r = parse_registration(row.raw(), kToday, kNow);
    CHECK(r.child_birth_date == kToday);
    CHECK(r.first_use == kToday);
    CHECK(r.last_use == kToday);
    CHECK(r.registered_at == "2024-06-15T23:59:59Z");
    CHECK(registered_on(r.registered_at) == kToday);
}

TEST_CASE("record: parse_registration accepts variants") {
    Row row;
    row.set(Field::platform, "Musical.ly")
        .set(Field::registrant_relation, "zelf")
        .set(Field::consent, "NEE")
        .set(Field::country, "belgie")
        .set(Field::postcode, "1000")
        .set(Field::registrant_phone, "0032 470 12 34 56")
        .set(Field::child_first_name, "Zoe\xCC\x88")
        .set(Field::registered_at, "2024-01-15");
    const Registration r = parse_registration(row.raw(), kToday, kNow);
    CHECK(r.platform == Platform::musically);
    CHECK(r.registrant_relation == Relation::self);
    CHECK_FALSE(r.consent);
    CHECK(r.country == "BE");
    CHECK(r.postcode == "1000");
    CHECK(r.registrant_phone == "+32470123456");
    CHECK(r.child_first_name == "Zoë");
    CHECK(r.registered_at == "2024-01-15");
}

TEST_CASE("record: names lose default-ignorable code points and may not mix scripts in a word") {
    CHECK(parse_name("Se\u200Bm") == "Sem");              // zero-width space
    CHECK(parse_name("Vr\u00ADies") == "Vries");           // soft hyphen
    CHECK(parse_name("\uFEFFSem") == "Sem");               // a BOM inside the cell
    CHECK(parse_name("Vri\u200Des") == "Vries");           // zero-width joiner
    CHECK(parse_name("van\u200B der \u2060Berg") == "van der Berg");
    CHECK(parse_name("\u200B", true).empty());
    CHECK(rule_of([] { (void)parse_name("\u200B\u00AD"); }) == "required");
    CHECK(rule_of([] { (void)parse_name("S\u0435m"); }) ==
          "mixes letters of different scripts in one word");
    CHECK(rule_of([] { (void)parse_name("Anna Ma\u0440ia"); }) ==
          "mixes letters of different scripts in one word");
    CHECK(parse_name("Анна") == "Анна");
    CHECK(parse_name("Anna Петрова") == "Anna Петрова"); // one script a word
    CHECK(parse_name("山田たろう") == "山田たろう");     // Han with Hiragana: one Japanese name
    CHECK(parse_name("Zoë O'Brien-Müller") == "Zoë O'Brien-Müller");
}

} // namespace test_record
