#include "claimreg/csv.hpp"
#include "claimreg/error.hpp"

// The reader's private scanners and decoder, tested against their plain references.
#include "../../src/claimreg/csv_decode.hpp"
#include "../../src/claimreg/csv_scan.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

namespace test_csv {

using namespace claimreg;

namespace {

/// A temporary file holding `data`, rewound for reading.
struct TempInput {
    std::FILE* f;
    explicit TempInput(std::string_view data) : f(std::tmpfile()) {
        REQUIRE(f != nullptr);
        REQUIRE(std::fwrite(data.data(), 1, data.size(), f) == data.size());
        std::rewind(f);
    }
    ~TempInput() { std::fclose(f); }
    TempInput(const TempInput&) = delete;
    TempInput& operator=(const TempInput&) = delete;
};

struct Row {
    std::vector<std::string> fields;
    std::uint64_t line;
    RowProblem problem;
};

std::vector<Row> read_all(std::string_view data, CsvReadOptions options = {},
                          char* delimiter = nullptr, Encoding* encoding = nullptr) {
    TempInput input(data);
    CsvReader reader(input.f, options);
    std::vector<Row> rows;
    CsvRecord record;
    while (reader.next(record)) {
        Row row{{}, record.line, record.problem};
        for (auto f : record.fields)
            row.fields.emplace_back(f);
        rows.push_back(std::move(row));
    }
    CHECK(reader.bytes_read() == data.size());
    if (delimiter) *delimiter = reader.delimiter();
    if (encoding) *encoding = reader.encoding();
    return rows;
}

using Cells = std::vector<std::string>;

std::string write_all(const std::vector<Cells>& rows, char delimiter = ',', bool neutralise = false,
                      std::string_view line_end = "\r\n") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    {
        CsvWriter writer(f, delimiter, neutralise, line_end);
        for (const auto& row : rows)
            writer.write_row(std::span<const std::string>(row));
        writer.flush();
    }
    std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
    std::rewind(f);
    REQUIRE(std::fread(out.data(), 1, out.size(), f) == out.size());
    std::fclose(f);
    return out;
}

} // namespace

TEST_CASE("csv: comma, semicolon and tab are detected from the header line") {
    char d = 0;
    auto rows = read_all("a,b,c\n1,2,3\n", {}, &d);
    CHECK(d == ',');
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"1", "2", "3"});

    rows = read_all("a;b;c\n1,5;2;3\n", {}, &d);
    CHECK(d == ';');
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"1,5", "2", "3"});

    rows = read_all("a\tb\tc\n1 2\t;\t,\n", {}, &d);
    CHECK(d == '\t');
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"1 2", ";", ","});
}

TEST_CASE("csv: delimiter detection ignores quoted text, ties and none give a comma") {
    char d = 0;
    read_all("\"a;b;c\",d,e\n", {}, &d);
    CHECK(d == ',');
    read_all("a,b;c\n", {}, &d);
    CHECK(d == ',');
    read_all("a;b\tc\n", {}, &d);
    CHECK(d == ',');
    auto rows = read_all("name\nx,y\n", {}, &d);
    CHECK(d == ',');
    CHECK(rows[1].fields == Cells{"x", "y"});
    rows = read_all("\n\n a;b;c,d\n", {}, &d); // blank lines before the header
    CHECK(d == ';');
    CHECK(rows[0].line == 3);
}

TEST_CASE("csv: a given delimiter is used as is") {
    CsvReadOptions o;
    o.delimiter = ';';
    char d = 0;
    auto rows = read_all("a,b,c\n1,2;3\n", o, &d);
    CHECK(d == ';');
    CHECK(rows[0].fields == Cells{"a,b,c"});
    CHECK(rows[1].fields == Cells{"1,2", "3"});
    o.delimiter = '"';
    CHECK_THROWS_AS(CsvReader(stdin, o), ValueError);
    o.delimiter = '\n';
    CHECK_THROWS_WITH_AS(CsvReader(stdin, o), "the delimiter cannot be a quote or a line end",
                         ValueError);
}

TEST_CASE("csv: CRLF, LF and a missing final newline") {
    auto rows = read_all("a,b\r\n1,2\r\n3,4");
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].fields == Cells{"a", "b"});
    CHECK(rows[1].fields == Cells{"1", "2"});
    CHECK(rows[2].fields == Cells{"3", "4"});
    CHECK(rows[2].line == 3);

    rows = read_all("a,b\n1,2\n");
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"1", "2"});

    rows = read_all("a,b\r\n1,\"2\"\r"); // a CR at the very end
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"1", "2"});

    rows = read_all("a,b,\n,,\r\n");
    CHECK(rows[0].fields == Cells{"a", "b", ""});
    CHECK(rows[1].fields == Cells{"", "", ""});

    rows = read_all("a,b\rc\n"); // a lone CR inside a line is data
    CHECK(rows[0].fields == Cells{"a", "b\rc"});

    CHECK(read_all("").empty());
    CHECK(read_all("\n\r\n\n").empty());
}

TEST_CASE("csv: an empty last field after a quoted one, with no final newline") {
    auto rows = read_all("h1,h2\n\"a\",");
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"a", ""});

    rows = read_all("h1,h2,h3\nx,\"a\",");
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"x", "a", ""});

    rows = read_all("h1,h2,h3\n\"a\",\"b\",");
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"a", "b", ""});

    rows = read_all("h1,h2\nx,"); // unquoted, for comparison
    REQUIRE(rows.size() == 2);
    CHECK(rows[1].fields == Cells{"x", ""});
}

TEST_CASE("csv: quoted fields: delimiters, doubled quotes, newlines and line numbers") {
    auto rows = read_all("h1,h2,h3\n"
                         "\"a,b\",\"say \"\"hi\"\"\",\"\"\n"
                         "\"two\nlines\",x,\"three\r\nline\nfield\"\r\n"
                         "next,row,\"\"\"\"\n"
                         "last,\"\",\"q\"");
    REQUIRE(rows.size() == 5);
    CHECK(rows[0].line == 1);
    CHECK(rows[1].fields == Cells{"a,b", "say \"hi\"", ""});
    CHECK(rows[1].line == 2);
    CHECK(rows[2].fields == Cells{"two\nlines", "x", "three\r\nline\nfield"});
    CHECK(rows[2].line == 3);
    CHECK(rows[3].fields == Cells{"next", "row", "\""});
    CHECK(rows[3].line == 7);
    CHECK(rows[4].fields == Cells{"last", "", "q"});
    CHECK(rows[4].line == 8);
    for (const auto& r : rows)
        CHECK(r.problem == RowProblem::none);
}

TEST_CASE("csv: blank lines are skipped but counted") {
    auto rows = read_all("\r\na,b\n\n\r\n1,2\n\n\n\"x\ny\",z\n\n3,4\n\n");
    REQUIRE(rows.size() == 4);
    CHECK(rows[0].line == 2);
    CHECK(rows[1].line == 5);
    CHECK(rows[2].line == 8);
    CHECK(rows[2].fields == Cells{"x\ny", "z"});
    CHECK(rows[3].line == 11);
    CHECK(rows[3].fields == Cells{"3", "4"});
}

TEST_CASE("csv: a UTF-8 BOM is stripped and means UTF-8") {
    Encoding e = Encoding::detect;
    char d = 0;
    auto rows = read_all("\xEF\xBB\xBFname;x\nZo\xC3\xAB;1\n", {}, &d, &e);
    CHECK(d == ';');
    CHECK(e == Encoding::utf8);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].fields == Cells{"name", "x"});
    CHECK(rows[1].fields == Cells{"Zo\xC3\xAB", "1"});
    rows = read_all("\xEF\xBB\xBF\"q\",x\n", {}, &d, &e);
    CHECK(rows[0].fields == Cells{"q", "x"});
    CHECK(rows[0].problem == RowProblem::none);
    CHECK(read_all("\xEF\xBB\xBF").empty());
}

TEST_CASE("csv: Windows-1252 bytes are decoded to UTF-8 when asked") {
    CsvReadOptions o;
    o.encoding = Encoding::windows1252;
    Encoding e = Encoding::detect;
    auto rows = read_all("name,price,quote\nZo\xEB,\x80 5,\"it\x92s, \"\"x\"\"\"\nplain,1,2\n", o,
                         nullptr, &e);
    CHECK(e == Encoding::windows1252);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].fields == Cells{"Zo\xC3\xAB", "\xE2\x82\xAC 5", "it\xE2\x80\x99s, \"x\""});
    CHECK(rows[1].problem == RowProblem::none);
    CHECK(rows[2].fields == Cells{"plain", "1", "2"});

    // Quoted fields without doubled quotes, and bytes at the start and end of a field.
    rows = read_all("\"\xEB\",\"a\x80\",\xE9t\xE9\n\"\x96\"\n", o);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].fields == Cells{"\xC3\xAB", "a\xE2\x82\xAC", "\xC3\xA9t\xC3\xA9"});
    CHECK(rows[1].fields == Cells{"\xE2\x80\x93"});
}

TEST_CASE("csv: undefined Windows-1252 bytes are bad encoding") {
    CsvReadOptions o;
    o.encoding = Encoding::windows1252;
    for (char bad : {'\x81', '\x8D', '\x8F', '\x90', '\x9D'}) {
        std::string data = "a,b\nx\xEB,y";
        data += bad;
        data += "\n\xEB,ok\n";
        auto rows = read_all(data, o);
        REQUIRE(rows.size() == 3);
        CHECK(rows[1].problem == RowProblem::bad_encoding);
        CHECK(rows[2].problem == RowProblem::none);
        CHECK(rows[2].fields == Cells{"\xC3\xAB", "ok"});
    }
}

TEST_CASE("csv: encoding detection picks Windows-1252 at the first non-UTF-8 byte") {
    Encoding e = Encoding::utf8;
    auto rows = read_all("a,b\nplain,row\nZo\xEB,\x80\nM\xFCller,x\n", {}, nullptr, &e);
    CHECK(e == Encoding::windows1252);
    REQUIRE(rows.size() == 4);
    CHECK(rows[1].fields == Cells{"plain", "row"});
    CHECK(rows[2].fields == Cells{"Zo\xC3\xAB", "\xE2\x82\xAC"});
    CHECK(rows[3].fields == Cells{"M\xC3\xBCller", "x"});
    for (const auto& r : rows)
        CHECK(r.problem == RowProblem::none);

    rows = read_all("x,y\n\"Zo\xEB\",\"\x80\"\n", {}, nullptr, &e);
    CHECK(e == Encoding::windows1252);
    CHECK(rows[1].fields == Cells{"Zo\xC3\xAB", "\xE2\x82\xAC"});

    // Decided in the middle of a record: earlier fields of that record are decoded as well.
    rows = read_all("a,\"b\"\"\xEB\"\n", {}, nullptr, &e);
    CHECK(e == Encoding::windows1252);
    CHECK(rows[0].fields == Cells{"a", "b\"\xC3\xAB"});
}

TEST_CASE("csv: encoding detection picks UTF-8 at valid UTF-8, then rejects invalid rows") {
    Encoding e = Encoding::windows1252;
    auto rows =
        read_all("a,b\nZo\xC3\xAB,\xE2\x82\xAC\nbad,x\xEB\nok,\xF0\x9F\x98\x80\n", {}, nullptr, &e);
    CHECK(e == Encoding::utf8);
    REQUIRE(rows.size() == 4);
    CHECK(rows[1].fields == Cells{"Zo\xC3\xAB", "\xE2\x82\xAC"});
    CHECK(rows[1].problem == RowProblem::none);
    CHECK(rows[2].problem == RowProblem::bad_encoding);
    CHECK(rows[2].fields == Cells{"bad", "x\xEB"}); // left raw
    CHECK(rows[3].problem == RowProblem::none);

    rows = read_all("only,ascii\n", {}, nullptr, &e);
    CHECK(e == Encoding::detect);
}

TEST_CASE("csv: a UTF-8 file with an invalid byte in one row") {
    CsvReadOptions o;
    o.encoding = Encoding::utf8;
    auto rows =
        read_all("a,b\nJos\xC3\xA9,1\nJos\xE9,2\n\"x\xC0\xAF\",3\n\xED\xA0\x80,4\nfine,5\n", o);
    REQUIRE(rows.size() == 6);
    CHECK(rows[1].problem == RowProblem::none);
    CHECK(rows[2].problem == RowProblem::bad_encoding); // Latin-1 byte
    CHECK(rows[3].problem == RowProblem::bad_encoding); // overlong
    CHECK(rows[4].problem == RowProblem::bad_encoding); // surrogate
    CHECK(rows[5].problem == RowProblem::none);
    CHECK(rows[5].fields == Cells{"fine", "5"});
}

TEST_CASE("csv: an unterminated quote runs to the end of the file") {
    auto rows = read_all("a,b\n1,2\nx,\"open\nmore,3\n");
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].problem == RowProblem::none);
    CHECK(rows[2].problem == RowProblem::unterminated_quote);
    CHECK(rows[2].line == 3);
    REQUIRE(rows[2].fields.size() == 2);
    CHECK(rows[2].fields[0] == "x");
    CHECK(rows[2].fields[1] == "open\nmore,3\n");
}

TEST_CASE("csv: a quote that does not start a field is literal text") {
    for (const char d : {',', ';', '\t'}) {
        std::string text =
            "a,b,c\nJan \"Jantje\" Smit,5\"2,x\"\"y\nq\",\"quoted, \"\"really\"\"\",z\"\n";
        for (char& c : text) {
            if (c == ',') c = d;
        }
        const auto rows = read_all(text);
        REQUIRE(rows.size() == 3);
        for (const auto& row : rows)
            CHECK(row.problem == RowProblem::none);
        const std::string comma(1, d);
        CHECK(rows[1].fields == Cells{"Jan \"Jantje\" Smit", "5\"2", "x\"\"y"});
        CHECK(rows[2].fields == Cells{"q\"", "quoted" + comma + " \"really\"", "z\""});
    }
    // Delimiter detection reads the header the same way: this quote quotes nothing.
    char d = 0;
    const auto rows = read_all("a \"b;c;d,e\n1;2;3,4\n", {}, &d);
    CHECK(d == ';');
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].fields == Cells{"a \"b", "c", "d,e"});
}

TEST_CASE("csv: malformed quotes are reported and the next record resyncs") {
    auto rows =
        read_all("a,b\n\"ab\"c,d\nab\"c,e\n\"x\"\r,y\n\"q\"\"\",\"multi\nline\"z\nnext,1\n");
    REQUIRE(rows.size() == 6);
    CHECK(rows[1].problem == RowProblem::bad_quote);
    CHECK(rows[1].fields.size() == 2);
    CHECK(rows[2].problem == RowProblem::none); // a quote inside an unquoted field is text
    CHECK(rows[2].fields == Cells{"ab\"c", "e"});
    CHECK(rows[2].line == 3);
    CHECK(rows[3].problem == RowProblem::bad_quote);
    CHECK(rows[4].problem == RowProblem::bad_quote);
    CHECK(rows[4].line == 5);
    CHECK(rows[5].problem == RowProblem::none);
    CHECK(rows[5].fields == Cells{"next", "1"});
    CHECK(rows[5].line == 7);
}

TEST_CASE("csv: records longer than max_record_bytes are reported, not held") {
    CsvReadOptions o;
    o.max_record_bytes = 10;
    auto rows =
        read_all("a,b\n0123456789\n01234,56789\n\"0123\n456789\",x\nok,1\n" + std::string(50, 'x') +
                     "\n\"" + std::string(30, 'y') + "\"\"\n,\n\",1\nlast,2",
                 o);
    REQUIRE(rows.size() == 8);
    CHECK(rows[1].problem == RowProblem::none); // exactly 10
    CHECK(rows[1].fields == Cells{"0123456789"});
    CHECK(rows[2].problem == RowProblem::too_long);
    CHECK(rows[2].fields.empty());
    CHECK(rows[3].problem == RowProblem::too_long);
    CHECK(rows[3].line == 4);
    CHECK(rows[4].fields == Cells{"ok", "1"});
    CHECK(rows[4].line == 6);
    CHECK(rows[5].problem == RowProblem::too_long);
    CHECK(rows[6].problem == RowProblem::too_long);
    CHECK(rows[6].line == 8);
    CHECK(rows[7].fields == Cells{"last", "2"});
    CHECK(rows[7].line == 11);
}

TEST_CASE("csv: a 20 MB field is skipped with bounded memory and the reader resyncs") {
    std::string data = "a,b\n1,\"";
    data += std::string(20u << 20, 'z');
    data += "\nend\",2\n3,4\n";
    auto rows = read_all(data);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].problem == RowProblem::too_long);
    CHECK(rows[1].fields.empty());
    CHECK(rows[2].fields == Cells{"3", "4"});
    CHECK(rows[2].line == 4);

    data = "a,b\n" + std::string(20u << 20, 'u') + "\n5,6\n";
    rows = read_all(data);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].problem == RowProblem::too_long);
    CHECK(rows[2].fields == Cells{"5", "6"});
}

TEST_CASE("csv: records crossing read-buffer boundaries and a record larger than the buffer") {
    std::string data = "id,text,n\n";
    std::vector<Cells> expected;
    std::uint64_t line = 2;
    std::vector<std::uint64_t> lines;
    for (int i = 0; i < 60000; ++i) {
        const std::string id = std::to_string(i);
        if (i % 7 == 0) {
            data += id + ",\"multi\r\nline \"\"" + id + "\"\", with comma\"," + id + "\r\n";
            expected.push_back({id, "multi\r\nline \"" + id + "\", with comma", id});
            lines.push_back(line);
            line += 2;
        } else {
            data += id + ",plain text number " + id + "," + id + "\n";
            expected.push_back({id, "plain text number " + id, id});
            lines.push_back(line);
            line += 1;
        }
        if (i == 30000) { // a 3 MiB quoted record
            std::string big(3u << 20, 'b');
            data += "big,\"" + big + "\",x\n";
            expected.push_back({"big", big, "x"});
            lines.push_back(line);
            line += 1;
        }
    }
    CsvReadOptions o;
    o.max_record_bytes = 4u << 20;
    auto rows = read_all(data, o);
    REQUIRE(rows.size() == expected.size() + 1);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        if (rows[i + 1].fields != expected[i] || rows[i + 1].line != lines[i] ||
            rows[i + 1].problem != RowProblem::none)
            ++mismatches;
    }
    CHECK(mismatches == 0);
}

TEST_CASE("csv: NUL bytes are kept in fields") {
    using namespace std::string_literals;
    auto rows = read_all("a,b\nx\0y,\"q\0\"\nz,1\n"s);
    REQUIRE(rows.size() == 3);
    CHECK(rows[1].fields == Cells{"x\0y"s, "q\0"s});
    CHECK(rows[2].fields == Cells{"z", "1"});
}

TEST_CASE("csv: reading from a pipe") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string data = "a;b\n\xEB;\"x\ny\"\n1;2";
    REQUIRE(::write(fds[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
    ::close(fds[1]);
    std::FILE* f = ::fdopen(fds[0], "r");
    REQUIRE(f != nullptr);
    CsvReader reader(f, {});
    CsvRecord r;
    REQUIRE(reader.next(r));
    CHECK(reader.delimiter() == ';');
    CHECK(reader.encoding() == Encoding::detect);
    REQUIRE(reader.next(r));
    CHECK(reader.encoding() == Encoding::windows1252);
    CHECK(r.fields[0] == "\xC3\xAB");
    CHECK(r.fields[1] == "x\ny");
    REQUIRE(reader.next(r));
    CHECK(r.line == 4);
    CHECK_FALSE(reader.next(r));
    CHECK(reader.bytes_read() == data.size());
    std::fclose(f);
}

TEST_CASE("csv: a read failure is an IoError") {
    std::FILE* f = std::fopen("/dev/null", "w");
    REQUIRE(f != nullptr);
    CsvReader reader(f, {});
    CsvRecord r;
    CHECK_THROWS_AS(reader.next(r), IoError);
    std::fclose(f);
}

TEST_CASE("csv: parse_encoding and problem texts") {
    CHECK(parse_encoding("utf-8") == Encoding::utf8);
    CHECK(parse_encoding("UTF8") == Encoding::utf8);
    CHECK(parse_encoding("UTF-8") == Encoding::utf8);
    CHECK(parse_encoding("windows-1252") == Encoding::windows1252);
    CHECK(parse_encoding("CP1252") == Encoding::windows1252);
    CHECK(parse_encoding("Win1252") == Encoding::windows1252);
    CHECK_THROWS_AS(parse_encoding("latin1"), ValueError);
    try {
        parse_encoding("ebcdic");
        FAIL("no exception");
    } catch (const ValueError& e) {
        CHECK(std::string(e.what()) == "not an encoding (use utf-8 or windows-1252)");
    }
    CHECK(to_string(RowProblem::bad_encoding) == "invalid UTF-8");
    CHECK(to_string(RowProblem::unterminated_quote) == "unterminated quoted field");
    CHECK(to_string(RowProblem::bad_quote) == "malformed quotes");
    CHECK(to_string(RowProblem::too_long) == "record too long");
}

TEST_CASE("csv: the writer quotes only when needed") {
    CHECK(write_all({{"a", "b c", " d "}, {"x,y", "say \"hi\"", "two\nlines", "cr\r"}, {}, {""}}) ==
          "a,b c, d \r\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\r\n\r\n\"\"\r\n");
    // A lone empty cell is written as "" so that it is not read back as a blank line.
    CHECK(write_all({{""}, {"", ""}, {"x", ""}}, ',', false, "\n") == "\"\"\n,\nx,\n");
    CHECK(write_all({{"a;b", "c,d"}}, ';', false, "\n") == "\"a;b\";c,d\n");
    CHECK(write_all({{"a\tb", "c"}}, '\t', false, "\n") == "\"a\tb\"\tc\n");
}

TEST_CASE("csv: the writer's cell/end_row and flush in the destructor") {
    std::FILE* f = std::tmpfile();
    REQUIRE(f != nullptr);
    {
        CsvWriter w(f);
        w.cell("1");
        w.cell("");
        w.cell("=x");
        w.end_row();
        std::vector<std::string_view> cells{"p", "q"};
        w.write_row(cells);
    }
    std::string out(static_cast<std::size_t>(std::ftell(f)), '\0');
    std::rewind(f);
    REQUIRE(std::fread(out.data(), 1, out.size(), f) == out.size());
    std::fclose(f);
    CHECK(out == "1,,=x\r\np,q\r\n");
}

TEST_CASE("csv: a write failure is an IoError") {
    std::FILE* f = std::fopen("/dev/null", "r");
    REQUIRE(f != nullptr);
    {
        CsvWriter w(f);
        w.cell("x");
        w.end_row();
        CHECK_THROWS_AS(w.flush(), IoError);
    }
    std::fclose(f);
}

TEST_CASE("csv: formula neutralisation") {
    CHECK(write_all({{"=1+2", "+31612345678", "-12", "-1,5", "@x", "-", "'t Hart", "=a,b", "\tx"}},
                    ',',
                    true) == "'=1+2,+31612345678,-12,\"-1,5\",'@x,'-,'t Hart,\"'=a,b\",'\tx\r\n");
    CHECK(write_all({{"=1+2"}}, ',', false) == "=1+2\r\n");
}

TEST_CASE("csv: is_formula_like and strip_formula_guard") {
    for (std::string_view f :
         {"=1+2", "-", "+", "@x", "-x", "=", "\t1", "\r", "+1.", "-.5", "1-", "+1,5,6"})
        CHECK_MESSAGE(is_formula_like(f) == (f[0] != '1'), f);
    for (std::string_view n :
         {"", "+31612345678", "-12", "-1,5", "+3.25", "12", "abc", "'=x", " =x"})
        CHECK_MESSAGE(!is_formula_like(n), n);
    CHECK(strip_formula_guard("'t Hart") == "'t Hart");
    CHECK(strip_formula_guard("'=1") == "=1");
    CHECK(strip_formula_guard("'+3") == "+3");
    CHECK(strip_formula_guard("'-") == "-");
    CHECK(strip_formula_guard("'@a") == "@a");
    CHECK(strip_formula_guard("'\tx") == "\tx");
    CHECK(strip_formula_guard("'\rx") == "\rx");
    CHECK(strip_formula_guard("'") == "'");
    CHECK(strip_formula_guard("''=") == "''=");
    CHECK(strip_formula_guard("x'=") == "x'=");
}

TEST_CASE("csv: write then read back gives the same cells") {
    const std::vector<Cells> rows{
        {"id", "name", "note"},
        {"1", "Zo\xC3\xAB \"the\" O'Brien", "a,b;c\td"},
        {"2", "", "line1\r\nline2\nline3\r"},
        {"3", "\"", "\"\""},
        {"4", "=HYPERLINK(\"x\")", "-1,5"},
        {"5", "@SUM(A1)", "'t Hart"},
        {"6", " spaced ", ","},
    };
    for (char d : {',', ';', '\t'}) {
        for (std::string_view le : {"\r\n", "\n"}) {
            for (bool neutralise : {false, true}) {
                const std::string text = write_all(rows, d, neutralise, le);
                char detected = 0;
                auto back = read_all(text, {}, &detected);
                CHECK(detected == d);
                REQUIRE(back.size() == rows.size());
                for (std::size_t i = 0; i < rows.size(); ++i) {
                    Cells cells;
                    for (const auto& c : back[i].fields)
                        cells.emplace_back(neutralise ? strip_formula_guard(c)
                                                      : std::string_view(c));
                    CHECK(cells == rows[i]);
                    CHECK(back[i].problem == RowProblem::none);
                }
            }
        }
    }
}

TEST_CASE("csv: the writer agrees with a plain reference for every length and position") {
    auto reference = [](std::string_view v) {
        if (v.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(v);
        std::string q = "\"";
        for (char c : v) {
            q += c;
            if (c == '"') q += '"';
        }
        return q + "\"";
    };
    std::size_t bad = 0;
    for (std::size_t n = 0; n <= 40; ++n) {
        for (char special : {',', '"', '\r', '\n', 'a'}) {
            for (std::size_t at = 0; at < std::max<std::size_t>(n, 1); ++at) {
                std::string cell(n, 'x');
                if (n > 0) cell[at] = special;
                if (write_all({{cell, "end"}}, ',', false, "\n") != reference(cell) + ",end\n")
                    ++bad;
            }
        }
    }
    CHECK(bad == 0);
}

TEST_CASE("csv: random cells survive a round trip across read-buffer boundaries") {
    std::mt19937 rng(12345);
    const std::vector<std::string> pieces{
        "a",  "Zo\xC3\xAB", ",", ";", "\t", "\"", "\"\"", "\r\n",         "\n",
        "\r", " ",          "'", "=", "-",  "12", "0",    "\xE2\x82\xAC", "xyzxyzxyzxyzxyz"};
    std::vector<Cells> rows;
    rows.push_back({"h1", "h2", "h3", "h4"});
    std::size_t total = 0;
    while (total < (3u << 20)) {
        Cells row;
        for (int c = 0; c < 4; ++c) {
            std::string cell;
            const auto n = rng() % 12;
            for (unsigned k = 0; k < n; ++k)
                cell += pieces[rng() % pieces.size()];
            total += cell.size() + 1;
            row.push_back(cell);
        }
        rows.push_back(row);
    }
    for (char d : {',', ';'}) {
        for (bool neutralise : {false, true}) {
            const std::string text = write_all(rows, d, neutralise);
            char detected = 0;
            Encoding e = Encoding::detect;
            auto back = read_all(text, {}, &detected, &e);
            CHECK(detected == d);
            CHECK(e == Encoding::utf8);
            REQUIRE(back.size() == rows.size());
            std::size_t bad = 0;
            for (std::size_t i = 0; i < rows.size(); ++i) {
                Cells cells;
                for (const auto& c : back[i].fields)
                    cells.emplace_back(neutralise ? strip_formula_guard(c) : std::string_view(c));
                // A cell that itself starts with an apostrophe and a formula character loses
                // the apostrophe on import (the SPEC accepts this).
                Cells want;
                for (const auto& c : rows[i])
                    want.emplace_back(neutralise ? strip_formula_guard(c) : std::string_view(c));
                if (cells != want || back[i].problem != RowProblem::none) ++bad;
            }
            CHECK(bad == 0);
        }
    }
}

TEST_CASE("csv: line ends, doubled quotes and blank lines split by the read-buffer boundary") {
    const std::size_t boundary = 1u << 20; // the reader's first read
    const std::string tricky = "\"q\"\"x\",\"y\r\nz\"\r\n\r\n";
    for (std::size_t shift = 0; shift <= tricky.size(); ++shift) {
        // Filler lines, then the tricky record placed so that the boundary falls `shift` bytes
        // before its end.
        const std::size_t start = boundary - shift;
        std::string data = "a,b\n";
        std::uint64_t lines = 1;
        while (data.size() + 45 < start) {
            data += std::string(37, 'f') + ",g\n";
            ++lines;
        }
        data += std::string(start - data.size() - 3, 'h') + ",i\n";
        ++lines;
        REQUIRE(data.size() == start);
        data += tricky + "last,row\r\n";
        auto rows = read_all(data);
        REQUIRE(rows.size() == lines + 2);
        CHECK(rows[rows.size() - 3].fields.at(1) == "i");
        const auto& t = rows[rows.size() - 2];
        CHECK(t.fields == Cells{"q\"x", "y\r\nz"});
        CHECK(t.line == lines + 1);
        CHECK(t.problem == RowProblem::none);
        CHECK(rows.back().fields == Cells{"last", "row"});
        CHECK(rows.back().line == lines + 4);
    }
}

TEST_CASE("csv: the byte scanners agree with one-byte-at-a-time references") {
    namespace scan = csv_scan;
    namespace ref = csv_scan::scan_reference;
    std::mt19937 rng(2024);
    const std::string alphabet = std::string("ab ,;\t\"\r\n\x80\xC3\xFF", 12);
    std::size_t bad = 0;
    std::size_t checked = 0;
    for (std::size_t n = 0; n <= 70; ++n) {
        for (const char delimiter : {',', ';', '\t'}) {
            const scan::SpecialBytes special(delimiter);
            for (std::size_t at = 0; at <= n; ++at) {
                // One byte of each kind at each position in plain text, then random text.
                for (const char c : alphabet) {
                    std::string text(n, 'x');
                    if (at < n) text[at] = c;
                    for (int round = 0; round < 2; ++round) {
                        const char* b = text.data();
                        for (std::size_t from = 0; from <= n; from += 7) {
                            bad += scan::find_quote_or_lf(b, from, n) !=
                                   ref::find_quote_or_lf(b, from, n);
                            bad += scan::find_special(b, from, n, special) !=
                                   ref::find_special(b, from, n, delimiter);
                        }
                        bad += scan::ascii_prefix(b, n) != ref::ascii_prefix(b, n);
                        bad += scan::is_ascii(b, n) != (ref::ascii_prefix(b, n) == n);
                        if (text.find('"') == std::string::npos) {
                            std::vector<std::string_view> fields;
                            scan::split_plain(b, b + n, delimiter, fields);
                            bad += fields != ref::split_plain(text, delimiter);
                        }
                        ++checked;
                        for (char& t : text)
                            t = alphabet[rng() % alphabet.size()];
                    }
                }
            }
        }
    }
    CHECK(checked > 100000);
    CHECK(bad == 0);
}

TEST_CASE("csv: UTF-8 validation and the encoding decision") {
    using csv_decode::RecordDecoder;
    using csv_decode::valid_utf8;
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("plain ASCII text, longer than sixteen bytes"));
    CHECK(valid_utf8("Zo\xC3\xAB \xE2\x82\xAC \xF0\x9F\x98\x80"));
    CHECK_FALSE(valid_utf8("\xC0\xAF"));             // overlong
    CHECK_FALSE(valid_utf8("\xED\xA0\x80"));         // a surrogate
    CHECK_FALSE(valid_utf8("\xF4\x90\x80\x80"));     // above U+10FFFF
    CHECK_FALSE(valid_utf8("0123456789abcdef\xC3")); // truncated after an ASCII run
    CHECK_FALSE(valid_utf8("caf\xE9"));
    RecordDecoder bom(Encoding::detect);
    bom.settle(csv_decode::utf8_bom);
    CHECK(bom.encoding() == Encoding::utf8);
    RecordDecoder ascii(Encoding::detect);
    ascii.settle("no decision in ASCII");
    CHECK(ascii.encoding() == Encoding::detect);
    ascii.settle("caf\xE9");
    CHECK(ascii.encoding() == Encoding::windows1252);
    ascii.settle("Zo\xC3\xAB"); // settled once: later text does not change it
    CHECK(ascii.encoding() == Encoding::windows1252);
    RecordDecoder given(Encoding::utf8);
    given.settle("caf\xE9");
    CHECK(given.encoding() == Encoding::utf8);
}

} // namespace test_csv
