#include "claimreg/json.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace test_json {

using namespace claimreg;

namespace {

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

} // namespace

TEST_CASE("json: strings are quoted, quotes, backslashes and control characters escaped") {
    CHECK(json_string("") == "\"\"");
    CHECK(json_string("Zoë 't Hart") == "\"Zoë 't Hart\"");
    CHECK(json_string("a\"b\\c") == "\"a\\\"b\\\\c\"");
    CHECK(json_string("\n\r\t") == "\"\\n\\r\\t\"");
    CHECK(json_string(std::string("\x01\x1f", 2)) == "\"\\u0001\\u001f\"");
    CHECK(json_string(std::string("a\0b", 3)) == "\"a\\u0000b\"");
    CHECK(json_string("\x7f/") == "\"\x7f/\"");
    std::string out = "x";
    append_json_string(out, "y");
    CHECK(out == "x\"y\"");
}

TEST_CASE("json: a writer puts the commas between values, keys before them") {
    std::string out;
    JsonWriter json(out);
    json.begin_object()
        .key("id").integer(12)
        .key("big").integer(std::numeric_limits<std::uint64_t>::max())
        .key("low").integer(std::numeric_limits<std::int64_t>::min())
        .key("name").string("a\"b")
        .key("phone").nullable_string("")
        .key("ref").nullable_string("R1")
        .key("consent").boolean(true)
        .key("erased").boolean(false)
        .key("score").number("0.973")
        .key("none").null();
    json.key("ids").begin_array().integer(1).integer(2).end_array();
    json.key("empty").begin_array().end_array();
    json.key("nested").begin_object().key("k").begin_object().end_object().end_object();
    json.end_object();
    CHECK(out == "{\"id\":12,\"big\":18446744073709551615,\"low\":-9223372036854775808,"
                 "\"name\":\"a\\\"b\",\"phone\":null,\"ref\":\"R1\",\"consent\":true,"
                 "\"erased\":false,\"score\":0.973,\"none\":null,\"ids\":[1,2],\"empty\":[],"
                 "\"nested\":{\"k\":{}}}");
}

TEST_CASE("json: keys made once, values one after another at the top (NDJSON)") {
    const JsonKey key("a\"");
    CHECK(key.text() == "\"a\\\"\":");
    std::string out;
    JsonWriter json(out);
    for (int i = 0; i < 2; ++i) {
        json.begin_object().key(key).integer(i).end_object();
        out += '\n';
    }
    CHECK(out == "{\"a\\\"\":0}\n{\"a\\\"\":1}\n");
}

TEST_CASE("json: an array laid out in lines") {
    std::string out;
    JsonWriter json(out);
    json.begin_array(JsonWriter::Layout::lines);
    json.begin_object().key("n").integer(1).end_object();
    json.begin_object().key("n").integer(2).end_object();
    json.end_array();
    CHECK(out == "[\n{\"n\":1},\n{\"n\":2}\n]");
    out.clear();
    JsonWriter(out).begin_array(JsonWriter::Layout::lines).end_array();
    CHECK(out == "[]");
    out.clear();
    JsonWriter(out).begin_object().key("rows").begin_array(JsonWriter::Layout::lines).integer(1)
        .end_array().key("after").begin_array().integer(2).integer(3).end_array().end_object();
    CHECK(out == "{\"rows\":[\n1\n],\"after\":[2,3]}");
}

TEST_CASE("json: codes from a comma-separated list") {
    const auto codes = [](std::string_view list) {
        std::string out;
        JsonWriter(out).codes(list);
        return out;
    };
    CHECK(codes("") == "[]");
    CHECK(codes("adult") == "[\"adult\"]");
    CHECK(codes("adult,no_consent") == "[\"adult\",\"no_consent\"]");
}

} // namespace test_json
