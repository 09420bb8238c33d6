#include "output.hpp"

#include "claimreg/error.hpp"

namespace claimreg::cli {

char parse_delimiter(std::string_view text) {
    if (text == "," || text == "comma") return ',';
    if (text == ";" || text == "semicolon") return ';';
    if (text == "\t" || text == "tab" || text == "\\t") return '\t';
    throw UsageError("--delimiter: not a delimiter (use , ; or tab)");
}

CLI::Validator claimant_id_validator() {
    return CLI::Validator(
        [](const std::string& text) -> std::string {
            const bool digits = !text.empty() && text.size() <= 18 &&
                                text.find_first_not_of("0123456789") == std::string::npos;
            if (!digits || text.find_first_not_of('0') == std::string::npos) {
                return "not a claimant id (a positive whole number)";
            }
            return std::string();
        },
        "");
}

CLI::Validator milliseconds_validator() {
    return CLI::Validator(
        [](const std::string& text) -> std::string {
            const bool digits = !text.empty() && text.size() <= 9 &&
                                text.find_first_not_of("0123456789") == std::string::npos;
            return digits ? std::string() : "not a whole number of milliseconds";
        },
        "");
}

CLI::Validator count_validator() {
    return CLI::Validator(
        [](const std::string& text) -> std::string {
            const bool digits = !text.empty() && text.size() <= 9 &&
                                text.find_first_not_of("0123456789") == std::string::npos;
            if (!digits || text.find_first_not_of('0') == std::string::npos) {
                return "not a count (a whole number from 1)";
            }
            return std::string();
        },
        "");
}

std::string option_name(std::string_view field) {
    std::string name = "--";
    for (const char c : field) name += (c == '_') ? '-' : c;
    return name;
}

} // namespace claimreg::cli
