#pragma once
// Decoding a CSV record's text: UTF-8 validation, the encoding decision (BOM or first non-ASCII
// byte) and Windows-1252 -> UTF-8. Private to the CSV reader.

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/csv.hpp"

namespace claimreg::csv_decode {

/// The UTF-8 byte-order mark.
inline constexpr std::string_view utf8_bom = "\xEF\xBB\xBF";

/// Length of the well-formed UTF-8 sequence at s[i] (s[i] >= 0x80), or 0 when it is not one
/// (overlong forms, surrogates, code points above U+10FFFF and truncations are not).
std::size_t utf8_sequence(std::string_view s, std::size_t i);

/// Whether `s` is well-formed UTF-8 (fast over ASCII runs).
bool valid_utf8(std::string_view s);

/// Windows-1252 -> UTF-8, one table look-up per byte (the table is glibc iconv's).
class Windows1252 {
  public:
    /// Decodes `text` into `out`, which must have room for max_growth bytes per input byte
    /// plus one; returns the bytes written, or npos when `text` holds a byte that Windows-1252
    /// leaves undefined.
    std::size_t decode(std::string_view text, char* out);
    /// Bytes of UTF-8 per byte of Windows-1252, at most.
    static constexpr std::size_t max_growth = 3;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  private:
    void load(); ///< fills table_ from iconv; throws Error (internal) when iconv cannot
    struct Utf8Char {
        std::array<char, 4> utf8{}; ///< padded so that it can be copied as four bytes
        unsigned char size = 0;     ///< 0: undefined in Windows-1252
    };
    std::array<Utf8Char, 128> table_{}; ///< UTF-8 for the bytes 0x80..0xFF
    bool loaded_ = false;
};

/// Holds a reader's encoding and brings each record's fields to UTF-8: validates them (UTF-8)
/// or decodes them (Windows-1252). Encoding::detect is settled in one place, settle(): at the
/// first non-ASCII byte seen (a BOM being the first such text).
class RecordDecoder {
  public:
    explicit RecordDecoder(Encoding declared) : encoding_(declared) {}
    Encoding encoding() const { return encoding_; }

    /// Settles Encoding::detect at the first non-ASCII byte of `text`, if it has one: UTF-8 if
    /// a valid UTF-8 sequence starts there (as a BOM does), else Windows-1252.
    void settle(std::string_view text);

    /// A record without quotes: `line` is its text and `fields` that text split at
    /// `delimiter`. Windows-1252 is decoded as one text and split again; bad_encoding leaves
    /// the fields raw. Returns bad_encoding or none.
    RowProblem decode_line(std::string_view line, char delimiter,
                           std::vector<std::string_view>& fields);

    /// A record the quote-aware parser read from `text`. `exact`: its fields are that text's
    /// bytes with only ASCII (quotes, delimiters, line ends) between them, so that the text can
    /// be checked at once. An undecodable field is left raw. Returns bad_encoding or none.
    RowProblem decode_record(std::string_view text, bool exact,
                             std::vector<std::string_view>& fields);

  private:
    RowProblem validate_fields(const std::vector<std::string_view>& fields) const;
    RowProblem decode_fields(std::vector<std::string_view>& fields);

    Encoding encoding_;
    Windows1252 windows1252_;
    std::string scratch_;                  ///< decoded Windows-1252 text the fields view
    std::vector<unsigned char> non_ascii_; ///< per field of the record being decoded
};

} // namespace claimreg::csv_decode
