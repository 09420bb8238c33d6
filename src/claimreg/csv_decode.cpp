#include "csv_decode.hpp"

#include <cerrno>
#include <cstring>
#include <iconv.h>

#include "claimreg/error.hpp"
#include "claimreg/text.hpp"
#include "csv_scan.hpp"

namespace claimreg {

Encoding parse_encoding(std::string_view text) {
    for (std::string_view name : {"utf-8", "utf8"})
        if (iequals(text, name)) return Encoding::utf8;
    for (std::string_view name : {"windows-1252", "cp1252", "win1252"})
        if (iequals(text, name)) return Encoding::windows1252;
    throw ValueError("not an encoding (use utf-8 or windows-1252)");
}

namespace csv_decode {

using csv_scan::ascii_prefix;
using csv_scan::is_ascii;

std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = at(i);
    const std::size_t left = s.size() - i;
    auto cont = [&](std::size_t k) { return (at(k) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return (left >= 2 && cont(i + 1)) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3) return 0;
        const unsigned char c1 = at(i + 1);
        if (c == 0xE0 && (c1 < 0xA0 || c1 > 0xBF)) return 0;
        if (c == 0xED && (c1 < 0x80 || c1 > 0x9F)) return 0;
        if (!cont(i + 1) || !cont(i + 2)) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4) return 0;
        const unsigned char c1 = at(i + 1);
        if (c == 0xF0 && (c1 < 0x90 || c1 > 0xBF)) return 0;
        if (c == 0xF4 && (c1 < 0x80 || c1 > 0x8F)) return 0;
        if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
        return 4;
    }
    return 0;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        i += ascii_prefix(s.data() + i, s.size() - i);
        if (i == s.size()) break;
        const std::size_t n = utf8_sequence(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

// Decoding then costs a table look-up per byte instead of an iconv() call per field.
void Windows1252::load() {
    iconv_t cd = iconv_open("UTF-8", "WINDOWS-1252");
    if (cd == reinterpret_cast<iconv_t>(-1))
        throw Error("cannot convert from Windows-1252: " + errno_text(errno), ExitStatus::internal);
    for (std::size_t i = 0; i < table_.size(); ++i) {
        char in_byte = static_cast<char>(0x80 + i);
        char* src = &in_byte;
        std::size_t src_left = 1;
        char* dst = table_[i].utf8.data();
        std::size_t dst_left = table_[i].utf8.size();
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        const bool ok = iconv(cd, &src, &src_left, &dst, &dst_left) != static_cast<std::size_t>(-1);
        table_[i].size = ok ? static_cast<unsigned char>(dst - table_[i].utf8.data()) : 0;
    }
    iconv_close(cd);
    loaded_ = true;
}

std::size_t Windows1252::decode(std::string_view text, char* out) {
    if (!loaded_) load();
    char* o = out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
            *o++ = c;
            continue;
        }
        const Utf8Char& e = table_[u - 0x80];
        if (e.size == 0) return npos;
        std::memcpy(o, e.utf8.data(), 4);
        o += e.size;
    }
    return static_cast<std::size_t>(o - out);
}

void RecordDecoder::settle(std::string_view text) {
    if (encoding_ != Encoding::detect) return;
    const std::size_t i = ascii_prefix(text.data(), text.size());
    if (i == text.size()) return;
    encoding_ = utf8_sequence(text, i) != 0 ? Encoding::utf8 : Encoding::windows1252;
}

RowProblem RecordDecoder::decode_line(std::string_view line, char delimiter,
                                      std::vector<std::string_view>& fields) {
    if (encoding_ != Encoding::utf8) {
        if (is_ascii(line.data(), line.size())) return RowProblem::none;
        settle(line);
        if (encoding_ == Encoding::windows1252) {
            // The delimiters are ASCII and stay: decode the line at once, then split it again.
            const std::size_t room = Windows1252::max_growth * line.size() + 1;
            if (scratch_.size() < room) scratch_.resize(room);
            const std::size_t size = windows1252_.decode(line, scratch_.data());
            if (size == Windows1252::npos) return RowProblem::bad_encoding; // fields left raw
            fields.clear();
            csv_scan::split_plain(scratch_.data(), scratch_.data() + size, delimiter, fields);
            return RowProblem::none;
        }
    }
    return valid_utf8(line) ? RowProblem::none : RowProblem::bad_encoding;
}

RowProblem RecordDecoder::decode_record(std::string_view text, bool exact,
                                        std::vector<std::string_view>& fields) {
    if (exact && encoding_ == Encoding::utf8) // one pass, fast over ASCII
        return valid_utf8(text) ? RowProblem::none : RowProblem::bad_encoding;
    if (is_ascii(text.data(), text.size())) return RowProblem::none;
    if (exact && encoding_ == Encoding::detect) {
        settle(text);
        if (encoding_ == Encoding::utf8)
            return valid_utf8(text) ? RowProblem::none : RowProblem::bad_encoding;
    }
    for (const std::string_view field : fields) {
        if (encoding_ != Encoding::detect) break;
        settle(field);
    }
    switch (encoding_) {
    case Encoding::detect:
        return RowProblem::none; // no field holds a non-ASCII byte
    case Encoding::utf8:
        return validate_fields(fields);
    case Encoding::windows1252:
        return decode_fields(fields);
    }
    return RowProblem::none;
}

RowProblem RecordDecoder::validate_fields(const std::vector<std::string_view>& fields) const {
    for (const std::string_view field : fields)
        if (!valid_utf8(field)) return RowProblem::bad_encoding;
    return RowProblem::none;
}

RowProblem RecordDecoder::decode_fields(std::vector<std::string_view>& fields) {
    // Size the scratch text first: views into it must not move.
    non_ascii_.resize(fields.size());
    std::size_t room = 1;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        non_ascii_[i] = !is_ascii(fields[i].data(), fields[i].size());
        if (non_ascii_[i]) room += Windows1252::max_growth * fields[i].size();
    }
    if (scratch_.size() < room) scratch_.resize(room);
    RowProblem problem = RowProblem::none;
    std::size_t used = 0;
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (!non_ascii_[i]) continue;
        const std::size_t size = windows1252_.decode(fields[i], scratch_.data() + used);
        if (size == Windows1252::npos) {
            problem = RowProblem::bad_encoding;
            continue; // left raw
        }
        fields[i] = std::string_view(scratch_.data() + used, size);
        used += size;
    }
    return problem;
}

} // namespace csv_decode
} // namespace claimreg
