// libFuzzer target: bytes -> CSV reader -> header mapping -> record rules -> identity key ->
// eligibility, the import path without the registry. Any crash, hang or sanitizer report is a bug.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "claimreg/csv.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"

namespace {

using namespace claimreg;

void import_bytes(std::FILE* in, Encoding encoding) {
    CsvReadOptions options;
    options.encoding = encoding;
    options.max_record_bytes = 4096;
    CsvReader reader(in, options);
    CsvRecord record;
    if (!reader.next(record)) return;
    std::vector<std::optional<Field>> columns;
    for (const auto header : record.fields) columns.push_back(field_from_header(header));
    const Date today{std::chrono::year{2026}, std::chrono::month{11}, std::chrono::day{22}};
    while (reader.next(record)) {
        if (record.problem != RowProblem::none || record.fields.size() != columns.size()) continue;
        RawRecord raw{};
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (columns[i]) raw[static_cast<std::size_t>(*columns[i])] = strip_formula_guard(record.fields[i]);
        }
        try {
            const Registration r = parse_registration(raw, today, "2026-11-22T12:00:00Z");
            (void)identity_digest(identity_key(r));
            for (const RuleSet& rules : rule_sets()) (void)evaluate(eligibility_input(r), rules, today);
        } catch (const DataError&) {
            // a rejected row: fine
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (const Encoding encoding : {Encoding::detect, Encoding::windows1252}) {
        std::vector<std::uint8_t> copy(data, data + size);
        copy.push_back(0); // fmemopen needs a non-empty buffer
        std::FILE* in = fmemopen(copy.data(), size, "rb");
        if (in == nullptr) return 0;
        try {
            import_bytes(in, encoding);
        } catch (const IoError&) {
        }
        std::fclose(in);
    }
    return 0;
}
