#include "claimreg/json.hpp"

#include <cassert>

namespace claimreg {

namespace {

// The escape of a byte that cannot stand in a JSON string as it is, or empty.
std::string_view escape_of(unsigned char c) {
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return {};
    }
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    // Copy runs of plain bytes at once; escape the rest.
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text.data() + run, i - run);
        run = i + 1;
        if (const std::string_view escape = escape_of(c); !escape.empty()) {
            out += escape;
        } else {
            static constexpr char hex[] = "0123456789abcdef";
            const char code[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
            out.append(code, sizeof code);
        }
    }
    out.append(text.data() + run, text.size() - run);
    out += '"';
}

JsonKey::JsonKey(std::string_view name) {
    text_.reserve(name.size() + 3);
    append_json_string(text_, name);
    text_ += ':';
}

void JsonWriter::separate_element() {
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    if (has_elements_ & bit) out_ += ',';
    if (lines_ & bit) out_ += '\n';
    has_elements_ |= bit;
}

void JsonWriter::open(char bracket, bool lines) {
    separate();
    assert(depth_ < 64);
    out_ += bracket;
    const std::uint64_t bit = std::uint64_t{1} << depth_;
    has_elements_ &= ~bit;
    lines_ = lines ? (lines_ | bit) : (lines_ & ~bit);
    ++depth_;
}

void JsonWriter::close(char bracket) {
    assert(depth_ > 0 && !after_key_);
    --depth_;
    const std::uint64_t bit = std::uint64_t{1} << depth_;
    if ((lines_ & bit) && (has_elements_ & bit)) out_ += '\n';
    out_ += bracket;
}

JsonWriter& JsonWriter::begin_object() {
    open('{', false);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    close('}');
    return *this;
}

JsonWriter& JsonWriter::begin_array(Layout layout) {
    open('[', layout == Layout::lines);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    close(']');
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    separate();
    append_json_string(out_, name);
    out_ += ':';
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::nullable_string(std::string_view text) {
    return text.empty() ? null() : string(text);
}

JsonWriter& JsonWriter::number(std::string_view text) {
    separate();
    out_ += text;
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    separate();
    out_ += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    separate();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::codes(std::string_view comma_separated) {
    begin_array();
    while (!comma_separated.empty()) {
        const std::size_t comma = comma_separated.find(',');
        string(comma_separated.substr(0, comma));
        if (comma == std::string_view::npos) break;
        comma_separated.remove_prefix(comma + 1);
    }
    return end_array();
}

} // namespace claimreg
