#include "output.hpp"

#include "claimreg/error.hpp"

namespace claimreg::cli {

char parse_delimiter(std::string_view text) {
    if (text == "," || text == "comma") return ',';
    if (text == ";" || text == "semicolon") return ';';
    if (text == "\t" || text == "tab" || text == "\\t") return '\t';
    throw UsageError(fmt::format("unknown delimiter '{}' (use , ; or tab)", text));
}

std::string option_name(std::string_view field) {
    std::string name = "--";
    for (const char c : field) name += (c == '_') ? '-' : c;
    return name;
}

} // namespace claimreg::cli
