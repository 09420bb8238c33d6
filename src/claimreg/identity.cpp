#include "claimreg/identity.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include <utf8proc.h>

namespace claimreg {

namespace {

/// ASCII characters dropped from a folded name: spaces, hyphens, apostrophes, backticks, and
/// the key separator `|` (so a name can never shift a field boundary of the key).
constexpr bool dropped_ascii(char c) noexcept {
    return c == ' ' || c == '-' || c == '\'' || c == '`' || c == '|';
}

/// Non-ASCII code points dropped from a folded name: NBSP, acute accent, modifier
/// apostrophe, Unicode hyphens and single quotation marks.
constexpr bool dropped_code_point(utf8proc_int32_t cp) noexcept {
    switch (cp) {
    case 0x00A0: // no-break space
    case 0x00B4: // acute accent
    case 0x02BC: // modifier letter apostrophe
    case 0x2010: // hyphen
    case 0x2011: // non-breaking hyphen
    case 0x2018: // left single quotation mark
    case 0x2019: // right single quotation mark (typographic apostrophe)
        return true;
    default:
        return false;
    }
}

bool is_ascii(std::string_view s) noexcept {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

void append_folded_ascii(std::string& out, std::string_view name) {
    for (char c : name) {
        if (dropped_ascii(c)) continue;
        out.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
    }
}

struct FreeDeleter {
    void operator()(utf8proc_uint8_t* p) const noexcept { std::free(p); }
};

/// Appends fold_name(name) to `out`.
void append_folded(std::string& out, std::string_view name) {
    if (is_ascii(name)) {
        append_folded_ascii(out, name);
        return;
    }
    utf8proc_uint8_t* mapped = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(
        reinterpret_cast<const utf8proc_uint8_t*>(name.data()),
        static_cast<utf8proc_ssize_t>(name.size()), &mapped,
        static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                                       UTF8PROC_STRIPMARK | UTF8PROC_IGNORE));
    std::unique_ptr<utf8proc_uint8_t, FreeDeleter> guard(mapped);
    if (n < 0) { // not valid UTF-8 (validated names never are): fold the ASCII part only
        append_folded_ascii(out, name);
        return;
    }
    const utf8proc_uint8_t* p = mapped;
    utf8proc_ssize_t left = n;
    while (left > 0) {
        utf8proc_int32_t cp = 0;
        const utf8proc_ssize_t len = utf8proc_iterate(p, left, &cp);
        if (len <= 0) break;
        if (cp < 0x80) {
            if (!dropped_ascii(static_cast<char>(cp))) out.push_back(static_cast<char>(cp));
        } else if (!dropped_code_point(cp)) {
            out.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(len));
        }
        p += len;
        left -= len;
    }
}

} // namespace

std::string fold_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    append_folded(out, name);
    return out;
}

std::string identity_key(const Registration& r) {
    std::string key;
    key.reserve(r.child_first_name.size() + r.child_name_prefix.size() +
                r.child_last_name.size() + r.postcode.size() + 16);
    append_folded(key, r.child_first_name);
    key.push_back('|');
    // Prefix and last name together, so a prefix typed into the last-name field still matches.
    append_folded(key, r.child_name_prefix);
    append_folded(key, r.child_last_name);
    key.push_back('|');
    key += format_date(r.child_birth_date);
    key.push_back('|');
    for (char c : r.postcode) {
        if (c == ' ') continue;
        key.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
    }
    return key;
}

std::int64_t identity_digest(std::string_view key) {
    std::uint64_t h = 14695981039346656037ULL; // FNV-1a 64-bit offset basis
    for (char c : key) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL; // FNV-1a 64-bit prime
    }
    return std::bit_cast<std::int64_t>(h);
}

} // namespace claimreg

namespace claimreg {

namespace {

// Asks for 2 MiB pages where [data, data + bytes) covers them whole: a lookup then costs one
// cache miss instead of a miss and a page-table walk (a large table is read at random).
void advise_huge_pages(void* data, std::size_t bytes) {
    constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
    const auto begin = reinterpret_cast<std::uintptr_t>(data);
    const std::uintptr_t first = (begin + huge - 1) & ~(huge - 1);
    const std::uintptr_t end = (begin + bytes) & ~(huge - 1);
    // Advice only: where the kernel declines, small pages serve as before.
    if (end > first) (void)::madvise(reinterpret_cast<void*>(first), end - first, MADV_HUGEPAGE);
}

} // namespace

void KeyIndex::reserve(std::size_t entries) {
    const std::size_t capacity = std::max<std::size_t>(1024, entries * 2 + 1);
    if (capacity > slots_.size()) rehash(capacity);
}

void KeyIndex::grow() { rehash(slots_.empty() ? 1024 : slots_.size() * 2); }

void KeyIndex::rehash(std::size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>();
    slots_.reserve(capacity); // not yet touched: its pages can still become huge ones
    advise_huge_pages(slots_.data(), capacity * sizeof(Slot));
    slots_.resize(capacity);
    for (const Slot& s : old) {
        if (s.print == 0) continue;
        std::size_t i = home(s.print);
        while (slots_[i].print != 0) i = next(i);
        slots_[i] = s;
    }
}

void KeyIndex::insert(std::int64_t digest, std::int64_t id) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    if (id < 0 || id > std::int64_t{UINT32_MAX}) throw std::length_error("claimant id beyond 32 bits");
    const std::uint32_t print = fingerprint(digest);
    std::size_t i = home(print);
    while (slots_[i].print != 0) i = next(i);
    slots_[i] = Slot{print, static_cast<std::uint32_t>(id)};
    ++size_;
}

} // namespace claimreg
