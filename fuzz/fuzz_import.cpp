// libFuzzer target: bytes -> CSV reader -> the import's row pipeline (header mapping, raw
// record, record rules, verdict and duplicate keys) -> every rule set: the import path without
// the registry, run by the importer's own code. Any crash, hang or sanitizer report is a bug.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/row_pipeline.hpp"

namespace {

using namespace claimreg;

void import_bytes(std::FILE* in, Encoding encoding) {
    CsvReadOptions options;
    options.encoding = encoding;
    options.max_record_bytes = 4096;
    CsvSource source(in, options);
    CsvRecord record;
    if (!source.next(record)) return;
    const Date today{std::chrono::year{2026}, std::chrono::month{11}, std::chrono::day{22}};
    std::optional<RowPipeline> rows;
    try {
        rows.emplace(map_header(record, source), source, today, "2026-11-22T12:00:00Z",
                     default_rule_set());
    } catch (const DataError&) {
        return; // a refused header: fine
    }
    while (source.next(record)) {
        PreparedRow row;
        rows->prepare(record, row);
        if (row.error) continue; // a rejected row: fine
        if (row.stored.digest != identity_digest(identity_key(row.registration))) __builtin_trap();
        for (const RuleSet& rules : rule_sets()) {
            (void)evaluate(eligibility_input(row.registration), rules, today);
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
