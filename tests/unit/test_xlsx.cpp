#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/error.hpp"
#include "claimreg/exporter.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/xlsx_reader.hpp"
#include "sample.hpp"

namespace test_xlsx {

using namespace claimreg;
using namespace std::chrono;

TEST_CASE("xlsx: serial dates in the 1900 system, its fictitious leap day, and the 1904 system") {
    CHECK(serial_date_text(1, false) == "1900-01-01");
    CHECK(serial_date_text(59, false) == "1900-02-28");
    CHECK(serial_date_text(60, false) == "1900-02-29"); // not a real date: a date rule rejects it
    CHECK(serial_date_text(61, false) == "1900-03-01");
    CHECK(serial_date_text(0, false) == "1900-01-00");
    CHECK(serial_date_text(40616, false) == "2011-03-14");
    CHECK(serial_date_text(45413.39600694444, false) == "2024-05-01T09:30:15");
    CHECK(serial_date_text(0.9999999999, false) == "1900-01-01"); // rounds to the next midnight
    CHECK(serial_date_text(0, true) == "1904-01-01");
    CHECK(serial_date_text(39154, true) == "2011-03-14");
    CHECK(serial_date_text(-1, false) == "-1");
}

TEST_CASE("xlsx: numbers as a spreadsheet shows them") {
    CHECK(general_number_text(12) == "12");
    CHECK(general_number_text(12.0) == "12");
    CHECK(general_number_text(12.5) == "12.5");
    CHECK(general_number_text(0.1 + 0.2) == "0.3");
    CHECK(general_number_text(31612345678) == "31612345678");
    CHECK(general_number_text(-7) == "-7");
    CHECK(general_number_text(0) == "0");
}

TEST_CASE("xlsx: date number formats") {
    CHECK(is_date_format(14, ""));
    CHECK(is_date_format(22, ""));
    CHECK_FALSE(is_date_format(0, ""));
    CHECK_FALSE(is_date_format(49, "")); // @, text
    CHECK(is_date_format(164, "yyyy-mm-dd"));
    CHECK(is_date_format(165, "DD-MM-YYYY"));
    CHECK(is_date_format(166, "[h]:mm"));
    CHECK_FALSE(is_date_format(167, "0.00E+00"));
    CHECK_FALSE(is_date_format(168, "#,##0 \"days\""));
    CHECK_FALSE(is_date_format(169, "[Red]0.00"));
    CHECK_FALSE(is_date_format(170, "General"));
    CHECK_FALSE(is_date_format(171, "0\\d"));
}

TEST_CASE("xlsx: column letters") {
    CHECK(column_letters(0) == "A");
    CHECK(column_letters(25) == "Z");
    CHECK(column_letters(26) == "AA");
    CHECK(column_letters(16383) == "XFD");
}

TEST_CASE("xlsx: an export starts a new worksheet after rows_per_sheet rows, and reads back") {
    char dir_template[] = "/tmp/claimreg-xlsx-XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    Registry registry = Registry::scratch();
    constexpr Date as_of{year{2024}, month{6}, day{1}};
    {
        WriteTransaction tx(registry);
        Registrar registrar(registry);
        for (int i = 0; i < 5; ++i) {
            Registration r = test::sample_registration();
            r.child_first_name = "Kind" + std::string(1, static_cast<char>('a' + i));
            r.registrant_email = "r" + std::to_string(i) + "@example.nl";
            r.external_ref = "REF-" + std::to_string(i);
            const Verdict v = evaluate(eligibility_input(r), default_rule_set(), as_of);
            registrar.add(r, StoredVerdict{v, &default_rule_set(), as_of}, Source{"add", "", 0});
        }
        tx.commit();
    }
    ExportOptions options;
    options.format = ExportFormat::xlsx;
    options.rows_per_sheet = 2;
    const std::string path = dir + "/out.xlsx";
    CHECK(export_claimants_xlsx(registry, options, path, dir) == 5);

    const auto rows_of = [&](const std::string& sheet) {
        const int fd = ::open(path.c_str(), O_RDONLY);
        REQUIRE(fd >= 0);
        XlsxReadOptions read;
        read.sheet = sheet;
        XlsxSource source(fd, read);
        ::close(fd);
        std::vector<std::string> names;
        CsvRecord record;
        while (source.next(record)) names.emplace_back(record.fields.at(1));
        return std::pair(source.sheet_name(), names);
    };
    CHECK(rows_of("1") == std::pair(std::string("claimants"), std::vector<std::string>{"child_first_name", "Kinda", "Kindb"}));
    CHECK(rows_of("2") == std::pair(std::string("claimants 2"), std::vector<std::string>{"child_first_name", "Kindc", "Kindd"}));
    CHECK(rows_of("claimants 3") == std::pair(std::string("claimants 3"), std::vector<std::string>{"child_first_name", "Kinde"}));
    CHECK_THROWS_AS(rows_of("4"), ValueError);
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
}

namespace {

// A scratch registry holding test::sample_registration().
Registry registry_of_one() {
    Registry registry = Registry::scratch();
    constexpr Date as_of{year{2024}, month{6}, day{1}};
    WriteTransaction tx(registry);
    Registrar registrar(registry);
    const Registration r = test::sample_registration();
    const Verdict v = evaluate(eligibility_input(r), default_rule_set(), as_of);
    registrar.add(r, StoredVerdict{v, &default_rule_set(), as_of}, Source{"add", "", 0});
    tx.commit();
    return registry;
}

// The records of the workbook at `path`, read with `read`.
std::vector<CsvRecord> workbook_records(const std::string& path, const XlsxReadOptions& read) {
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    std::vector<CsvRecord> records;
    try {
        XlsxSource source(fd, read);
        CsvRecord record;
        while (source.next(record)) records.push_back(record);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
    return records;
}

// A workbook of one claimant, written by export --format xlsx into a scratch directory of its
// own (removed with it).
struct OneClaimantWorkbook {
    std::string dir;
    std::string path;
    Registry registry = registry_of_one();
    OneClaimantWorkbook() {
        char dir_template[] = "/tmp/claimreg-xlsx-XXXXXX";
        REQUIRE(::mkdtemp(dir_template) != nullptr);
        dir = dir_template;
        path = dir + "/out.xlsx";
        write();
    }
    ~OneClaimantWorkbook() {
        std::remove(path.c_str());
        ::rmdir(dir.c_str());
    }
    OneClaimantWorkbook(const OneClaimantWorkbook&) = delete;
    OneClaimantWorkbook& operator=(const OneClaimantWorkbook&) = delete;
    // (Over)writes the workbook.
    void write() {
        ExportOptions options;
        options.format = ExportFormat::xlsx;
        REQUIRE(export_claimants_xlsx(registry, options, path, dir) == 1);
    }
};

} // namespace

TEST_CASE("xlsx: a part larger than its bound, an inflation past the ratio and a long row") {
    const OneClaimantWorkbook book;
    const auto read_with = [&](const XlsxReadOptions& read) {
        return workbook_records(book.path, read);
    };
    XlsxReadOptions small_sheet;
    small_sheet.max_sheet_bytes = 100;
    CHECK_THROWS_WITH_AS(read_with(small_sheet),
                         "not a readable xlsx workbook: xl/worksheets/sheet1.xml: larger than a "
                         "workbook part may be",
                         DataError);
    XlsxReadOptions low_ratio;
    low_ratio.max_inflate_ratio = 1;
    low_ratio.ratio_checked_after = 0;
    CHECK_THROWS_AS(read_with(low_ratio), DataError);
    XlsxReadOptions short_rows;
    short_rows.max_row_bytes = 40;
    const auto records = read_with(short_rows);
    REQUIRE(records.size() == 2);
    CHECK(records[0].problem == RowProblem::too_long); // the header's names exceed 40 bytes
    CHECK(records[1].problem == RowProblem::too_long);
}

namespace {

// `path`'s bytes, changed by `change`, written back.
template <typename Change> void patch_file(const std::string& path, Change change) {
    std::string bytes;
    {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        REQUIRE(f != nullptr);
        char buffer[4096];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;)
            bytes.append(buffer, n);
        std::fclose(f);
    }
    change(bytes);
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
}

// Where the zip record with `signature` (local header or central directory entry) of the entry
// named `name` starts; its name is `name_at` bytes in.
std::size_t zip_record(const std::string& bytes, const std::string& signature,
                       std::size_t name_at, const std::string& name) {
    for (std::size_t at = bytes.find(signature); at != std::string::npos;
         at = bytes.find(signature, at + 1)) {
        if (bytes.compare(at + name_at, name.size(), name) == 0) return at;
    }
    FAIL("no zip record for " << name);
    return 0;
}

} // namespace

TEST_CASE("xlsx: a damaged deflate stream, one cut short, a wrong CRC-32 and a wrong size") {
    OneClaimantWorkbook book;
    const std::string& path = book.path;
    const auto read = [&] { return workbook_records(path, XlsxReadOptions{}); };
    const std::string sheet = "xl/worksheets/sheet1.xml";
    read(); // as written, read whole
    patch_file(path, [&](std::string& bytes) {
        const std::size_t central = zip_record(bytes, std::string("PK\x01\x02", 4), 46, sheet);
        bytes[central + 16] = static_cast<char>(bytes[central + 16] ^ 1);
    });
    CHECK_THROWS_WITH_AS(read(), "not a readable xlsx workbook: xl/worksheets/sheet1.xml: CRC error",
                         DataError);
    book.write();
    patch_file(path, [&](std::string& bytes) {
        const std::size_t local = zip_record(bytes, std::string("PK\x03\x04", 4), 30, sheet);
        const auto u16 = [&](std::size_t at) {
            return static_cast<std::size_t>(static_cast<unsigned char>(bytes[at])) |
                   static_cast<std::size_t>(static_cast<unsigned char>(bytes[at + 1])) << 8;
        };
        bytes[local + 30 + u16(local + 26) + u16(local + 28)] = 0x07; // a reserved block type
    });
    CHECK_THROWS_WITH_AS(read(),
                         "not a readable xlsx workbook: xl/worksheets/sheet1.xml: damaged "
                         "compressed data",
                         DataError);
    const auto u32_add = [](std::string& bytes, std::size_t at, int delta) {
        std::uint32_t v = 0;
        for (std::size_t i = 0; i < 4; ++i)
            v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
        v = static_cast<std::uint32_t>(static_cast<std::int64_t>(v) + delta);
        for (std::size_t i = 0; i < 4; ++i)
            bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
    };
    // The raw bytes end 16 bytes early (the compressed size in both headers).
    book.write();
    patch_file(path, [&](std::string& bytes) {
        u32_add(bytes, zip_record(bytes, std::string("PK\x01\x02", 4), 46, sheet) + 20, -16);
        u32_add(bytes, zip_record(bytes, std::string("PK\x03\x04", 4), 30, sheet) + 18, -16);
    });
    CHECK_THROWS_WITH_AS(read(),
                         "not a readable xlsx workbook: xl/worksheets/sheet1.xml: damaged "
                         "compressed data (it ends early)",
                         DataError);
    // A declared size of 0 (in both headers), the data and its CRC-32 intact: read whole, as
    // libzip reads it (what is read is bounded by what it inflates to).
    book.write();
    patch_file(path, [&](std::string& bytes) {
        const std::size_t central = zip_record(bytes, std::string("PK\x01\x02", 4), 46, sheet);
        const std::size_t local = zip_record(bytes, std::string("PK\x03\x04", 4), 30, sheet);
        for (int i = 0; i < 4; ++i) {
            bytes[central + 24 + static_cast<std::size_t>(i)] = '\0';
            bytes[local + 22 + static_cast<std::size_t>(i)] = '\0';
        }
    });
    CHECK(read().size() == 2);
}

} // namespace test_xlsx
