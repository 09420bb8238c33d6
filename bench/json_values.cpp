// JSON text for export-sized data: the same objects written three ways, for choosing the writer.
//   json_values IN.csv [ROWS]
// Reads up to 100,000 rows of IN.csv (a simple split on commas: the values, not CSV rules),
// then writes ROWS (default 1,500,000) objects of them, keys as in the header, every value a
// string: keys made once plus append_json_string per value (the export's way), claimreg::JsonWriter
// with keys made once (JsonKey) and with plain keys, and nlohmann::json (an object per row, then
// dump()) when its header (nlohmann-json3-dev) is installed. Prints each way's seconds and output bytes; the bytes must agree.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "claimreg/json.hpp"

#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define HAVE_NLOHMANN 1
#endif

namespace {

using Row = std::vector<std::string>;

std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> cells(1);
    for (const char c : line) {
        if (c == ',') {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}

template <typename Write>
void time_it(const char* name, std::size_t rows, const std::vector<Row>& data, Write write) {
    std::string buf;
    buf.reserve(1 << 17);
    std::size_t bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t r = 0; r < rows; ++r) {
        write(buf, data[r % data.size()]);
        if (buf.size() >= (1 << 16)) {
            bytes += buf.size();
            buf.clear();
        }
    }
    bytes += buf.size();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%-28s %7.3f s  %zu bytes\n", name, s, bytes);
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: json_values IN.csv [ROWS]\n";
        return 64;
    }
    std::ifstream in(argv[1]);
    std::string line;
    if (!std::getline(in, line)) return 66;
    const Row header = split(line);
    std::vector<Row> data;
    while (data.size() < 100000 && std::getline(in, line)) {
        Row row = split(line);
        row.resize(header.size());
        data.push_back(std::move(row));
    }
    if (data.empty()) return 65;
    const std::size_t rows = argc > 2 ? std::stoul(argv[2]) : 1500000;

    std::vector<std::string> keys;
    for (const std::string& h : header) {
        std::string key = keys.empty() ? "{" : ",";
        claimreg::append_json_string(key, h);
        key += ':';
        keys.push_back(std::move(key));
    }
    time_it("keys + append_json_string", rows, data, [&](std::string& buf, const Row& row) {
        for (std::size_t i = 0; i < row.size(); ++i) {
            buf += keys[i];
            claimreg::append_json_string(buf, row[i]);
        }
        buf += "}\n";
    });
    std::vector<claimreg::JsonKey> json_keys(header.begin(), header.end());
    time_it("JsonWriter, JsonKey", rows, data, [&](std::string& buf, const Row& row) {
        claimreg::JsonWriter json(buf);
        json.begin_object();
        for (std::size_t i = 0; i < row.size(); ++i) json.key(json_keys[i]).string(row[i]);
        json.end_object();
        buf += '\n';
    });
    time_it("JsonWriter", rows, data, [&](std::string& buf, const Row& row) {
        claimreg::JsonWriter json(buf);
        json.begin_object();
        for (std::size_t i = 0; i < row.size(); ++i) json.key(header[i]).string(row[i]);
        json.end_object();
        buf += '\n';
    });
#ifdef HAVE_NLOHMANN
    time_it("nlohmann::json dump", rows, data, [&](std::string& buf, const Row& row) {
        nlohmann::ordered_json object;
        for (std::size_t i = 0; i < row.size(); ++i) object[header[i]] = row[i];
        buf += object.dump();
        buf += '\n';
    });
#else
    std::printf("nlohmann::json: not installed (nlohmann-json3-dev)\n");
#endif
    return 0;
}
