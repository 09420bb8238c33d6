#pragma once
// The xlsx reader's access to a workbook's parts, shared by its pieces: a zip entry inflated
// within bounds (its size, the zip-bomb ratio), a part's XML streamed through expat to a
// handler, and the small helpers for names and attributes that every handler uses.

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include <expat.h>
#include <zip.h>

#include "claimreg/xlsx_reader.hpp"

namespace claimreg::xlsx {

/// Bytes read from an entry at a time.
constexpr std::size_t chunk_bytes = 1 << 18;
/// Bytes fed to the XML parser without a single element or text event: one token that large is
/// not a workbook (and expat would hold all of it).
constexpr std::uint64_t max_token_bytes = 16 << 20;

/// Throws DataError: `part` of the workbook is damaged in the way `what` says.
[[noreturn]] void damaged(std::string_view part, std::string_view what);

// The local part of an element or attribute name (`x:row` -> `row`). Names are matched without
// their namespaces: parsing without namespace processing is much faster, and the parts of a
// workbook do not reuse a local name with another meaning.
inline std::string_view local_name(const XML_Char* name) {
    const char* local = name;
    for (const char* p = name; *p != '\0'; ++p) {
        if (*p == ':') local = p + 1;
    }
    return local;
}

// An attribute by local name (namespace ignored), or nullptr.
inline const XML_Char* attribute(const XML_Char** atts, std::string_view local) {
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
        if (local_name(atts[i]) == local) return atts[i + 1];
    }
    return nullptr;
}

// `name == literal`, for the short names of the sheet's elements, without a library call.
template <std::size_t N> constexpr bool is_name(std::string_view name, const char (&literal)[N]) {
    if (name.size() != N - 1) return false;
    for (std::size_t i = 0; i + 1 < N; ++i) {
        if (name[i] != literal[i]) return false;
    }
    return true;
}

// `std::string_view(s) == literal` for a C string.
template <std::size_t N> bool is_text(const char* s, const char (&literal)[N]) {
    for (std::size_t i = 0; i < N; ++i) {
        if (s[i] != literal[i]) return false; // the literal's own NUL too
    }
    return true;
}

// parse_unsigned() of a C string (an attribute value), without measuring it first.
inline std::optional<std::uint64_t> parse_unsigned(const char* s) {
    std::uint64_t v = 0;
    if (*s == '\0') return std::nullopt;
    for (; *s != '\0'; ++s) {
        if (*s < '0' || *s > '9') return std::nullopt;
        const auto digit = static_cast<std::uint64_t>(*s - '0');
        if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
        v = v * 10 + digit;
    }
    return v;
}

inline std::optional<std::uint64_t> parse_unsigned(std::string_view s) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// What receives a part's XML events.
class XmlHandler {
  public:
    virtual ~XmlHandler() = default;
    virtual void start(std::string_view name, const XML_Char** atts) = 0;
    virtual void end(std::string_view name) = 0;
    virtual void text(std::string_view) {}
};

// One zip entry inflated with the bounds of XlsxReadOptions: its size limit and the zip bomb
// ratio, checked on what it inflates to, not on what it declares.
class EntryStream {
  public:
    EntryStream(zip_t* archive, std::string name, std::uint64_t limit,
                const XlsxReadOptions& options);
    ~EntryStream();
    EntryStream(const EntryStream&) = delete;
    EntryStream& operator=(const EntryStream&) = delete;

    // Inflates up to `size` bytes into `into`; 0 at the end of the entry.
    std::size_t read(char* into, std::size_t size);

    std::uint64_t inflated() const { return inflated_; }
    // The size the archive declares (for progress only: a zip bomb declares a small one).
    std::uint64_t declared() const { return declared_; }

  private:
    std::string name_;
    std::uint64_t limit_;
    const XlsxReadOptions& options_;
    zip_file_t* file_ = nullptr;
    std::uint64_t compressed_ = 0;
    std::uint64_t declared_ = 0;
    std::uint64_t inflated_ = 0;
};

// A part's XML through expat, fed piece by piece, its events to a handler.
class XmlStream {
  public:
    XmlStream(std::string name, XmlHandler& handler);
    ~XmlStream();
    XmlStream(const XmlStream&) = delete;
    XmlStream& operator=(const XmlStream&) = delete;

    // Parses the next `size` bytes; `last` after the end of the part.
    void parse(const char* data, std::size_t size, bool last);

    // Accounts for a stretch of balanced content (whole elements) parsed elsewhere and not fed
    // here: `lines` line ends, and events in it.
    void skipped(std::uint64_t lines) {
        skipped_lines_ += lines;
        since_event_ = 0;
    }

    // Whether the part declared itself as UTF-8 (an XML declaration without an encoding, or
    // with UTF-8): known once the declaration has been parsed.
    bool declared_utf8() const { return declared_utf8_; }

  private:
    template <typename F> static void guarded(void* self, F&& f);
    static void on_start(void* self, const XML_Char* name, const XML_Char** atts);
    static void on_end(void* self, const XML_Char* name);
    static void on_text(void* self, const XML_Char* s, int len);
    static void on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int);
    static void on_xml_decl(void* self, const XML_Char*, const XML_Char* encoding, int);

    std::string name_;
    XmlHandler& handler_;
    XML_Parser parser_ = nullptr;
    std::uint64_t since_event_ = 0;
    std::uint64_t skipped_lines_ = 0;
    bool declared_utf8_ = false;
    std::exception_ptr error_;
};

// Reads a whole (small) part into `handler`.
void read_part(zip_t* archive, const std::string& name, std::uint64_t limit,
               const XlsxReadOptions& options, XmlHandler& handler);

/// Opens the zip archive on a duplicate of descriptor `fd`. Throws DataError for a file that is
/// not a readable zip archive, IoError when it cannot be read.
zip_t* open_archive(int fd);

} // namespace claimreg::xlsx
