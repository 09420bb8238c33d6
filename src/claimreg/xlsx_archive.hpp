#pragma once
// The xlsx reader's access to a workbook's parts, shared by its pieces: a zip entry inflated
// within bounds (its size, the zip-bomb ratio), a part's XML streamed through libxml2's SAX
// parser to a handler, and the small helpers for names and attributes that every handler uses.
//
// One library for each job, every byte read once: libzip finds the entries and reads their
// bytes; ISA-L inflates a deflated entry (about three times zlib's speed); libxml2 parses the
// XML (in about two thirds of expat's time, which matters for a sheet of inline strings, five
// times the size of the same rows as CSV).

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <zip.h>

struct _xmlParserCtxt; // libxml2's
struct inflate_state;  // ISA-L's

#include "claimreg/xlsx_reader.hpp"

namespace claimreg::xlsx {

/// Bytes read from an entry at a time.
constexpr std::size_t chunk_bytes = 1 << 18;
/// Bytes fed to the XML parser without a single element or text event: one token that large is
/// not a workbook (and the parser would hold all of it).
constexpr std::uint64_t max_token_bytes = 16 << 20;

/// Throws DataError: `part` of the workbook is damaged in the way `what` says.
[[noreturn]] void damaged(std::string_view part, std::string_view what);

// The local part of an element or attribute name (`x:row` -> `row`). Names are matched without
// their namespaces: parsing without namespace processing is much faster, and the parts of a
// workbook do not reuse a local name with another meaning.
inline std::string_view local_name(const char* name) {
    const char* local = name;
    const char* p = name;
    for (; *p != '\0'; ++p) {
        if (*p == ':') local = p + 1;
    }
    return {local, static_cast<std::size_t>(p - local)}; // measured in the same pass
}

// An attribute by local name (namespace ignored), or nullptr.
inline const char* attribute(const char** atts, std::string_view local) {
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
    virtual void start(std::string_view name, const char** atts) = 0;
    virtual void end(std::string_view name) = 0;
    virtual void text(std::string_view) {}
};

// One zip entry inflated with the bounds of XlsxReadOptions: its size limit and the zip bomb
// ratio, checked on what it inflates to, not on what it declares. A deflated entry (what every
// producer writes) is inflated by ISA-L from the raw bytes libzip reads, its CRC-32 checked at
// its end as libzip does; an entry stored or compressed otherwise is read through libzip.
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
    // ISA-L's inflating of a deflated entry: its state, and the raw bytes read into it.
    struct Inflater;
    // Up to `size` bytes inflated by ISA-L.
    std::size_t inflate(char* into, std::size_t size);

    std::string name_;
    std::uint64_t limit_;
    const XlsxReadOptions& options_;
    zip_file_t* file_ = nullptr; // the entry's raw bytes for ISA-L, or the entry from libzip
    std::uint64_t compressed_ = 0;
    std::uint64_t declared_ = 0;
    std::uint32_t crc_ = 0;
    std::uint64_t inflated_ = 0;
    std::unique_ptr<Inflater> inflater_;
};

// Calls libxml2's one-time set-up (from the main thread, before any parsing thread starts).
void prepare_xml();

// A part's XML through libxml2's SAX parser, pushed to it piece by piece, its events to a
// handler. Namespaces are not processed (names come with their prefixes); a document type
// declaration is refused before its internal subset is read, so no entity is ever declared.
// Errors are said by the parser's error code and line, never with the part's text.
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

    // Whether the part is parsed as UTF-8 as it stands (no other encoding declared or marked
    // by a byte order mark): known once its first bytes have been parsed.
    bool declared_utf8() const;

    // What the parser's callbacks reach (xlsx_archive.cpp).
    struct Events;

  private:
    // Parses `size` bytes (creating the parser with the part's first bytes).
    int push(const char* data, std::size_t size, bool last);
    [[noreturn]] void fail();

    std::string name_;
    XmlHandler& handler_;
    _xmlParserCtxt* parser_ = nullptr;
    std::string first_bytes_; // until there are enough to tell the encoding by
    std::uint64_t since_event_ = 0;
    std::uint64_t skipped_lines_ = 0;
    bool started_ = false; // an element has started
    std::exception_ptr error_;
};

// Parses the `size` bytes at `data`, a run of whole elements, as the content of an element of
// its own, with libxml2 in memory (faster than pushed), its events to `handler`. False on any
// XML error or an exception from the handler, with nothing said: the caller parses the piece
// again in its place in the part, which says what is wrong and where.
bool parse_fragment(const char* data, std::size_t size, XmlHandler& handler);

// Reads a whole (small) part into `handler`.
void read_part(zip_t* archive, const std::string& name, std::uint64_t limit,
               const XlsxReadOptions& options, XmlHandler& handler);

/// Opens the zip archive on a duplicate of descriptor `fd`. Throws DataError for a file that is
/// not a readable zip archive, IoError when it cannot be read.
zip_t* open_archive(int fd);

} // namespace claimreg::xlsx
