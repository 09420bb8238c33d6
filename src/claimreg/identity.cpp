#include "claimreg/identity.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <utf8proc.h>

#include "utf8_mapped.hpp"

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

/// Appends fold_name(name) to `out`.
void append_folded(std::string& out, std::string_view name) {
    if (is_ascii(name)) {
        append_folded_ascii(out, name);
        return;
    }
    const Utf8Mapped mapped(name, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_CASEFOLD |
                                      UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
    if (!mapped.ok()) { // not valid UTF-8 (validated names never are): fold the ASCII part only
        append_folded_ascii(out, name);
        return;
    }
    const utf8proc_uint8_t* p = mapped.bytes();
    utf8proc_ssize_t left = mapped.size();
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

namespace {

// One load (GCC compiled the byte-by-byte form as a loop of eight).
std::uint64_t load_le64(const char* p) noexcept {
    std::uint64_t v = 0;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    return v;
}

struct SipState {
    std::uint64_t v0, v1, v2, v3;
    void round() noexcept {
        v0 += v1;
        v1 = std::rotl(v1, 13);
        v1 ^= v0;
        v0 = std::rotl(v0, 32);
        v2 += v3;
        v3 = std::rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = std::rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = std::rotl(v1, 17);
        v1 ^= v2;
        v2 = std::rotl(v2, 32);
    }
    void absorb(std::uint64_t m) noexcept {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
};

} // namespace

std::uint64_t siphash24(const DigestKey& key, std::string_view data) {
    const auto k = reinterpret_cast<const char*>(key.data());
    const std::uint64_t k0 = load_le64(k);
    const std::uint64_t k1 = load_le64(k + 8);
    SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
               k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
    const std::size_t whole = data.size() & ~std::size_t{7};
    for (std::size_t i = 0; i < whole; i += 8) s.absorb(load_le64(data.data() + i));
    // The last 0 to 7 bytes, and the length's low byte on top.
    std::uint64_t last = static_cast<std::uint64_t>(data.size() & 0xff) << 56;
    for (std::size_t i = whole; i < data.size(); ++i) {
        const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(data[i]));
        last |= byte << (8 * (i - whole));
    }
    s.absorb(last);
    s.v2 ^= 0xff;
    for (int i = 0; i < 4; ++i) s.round();
    return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
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

KeyIndex::~KeyIndex() {
    for (Segment& seg : segments_) {
        if (seg.owned) std::free(seg.slots);
    }
    if (block_ != nullptr) ::munmap(block_, block_bytes_);
}

std::size_t KeyIndex::bytes() const {
    std::size_t n = 0;
    for (const Segment& seg : segments_) n += seg.capacity * sizeof(Slot);
    return n;
}

void KeyIndex::reserve(std::size_t entries) {
    if (size_ != 0 || block_ != nullptr) return; // only a fresh index is laid out in one block
    const std::size_t capacity = std::max<std::size_t>(64, 2 * (entries / segment_count) + 1);
    const std::size_t bytes = capacity * segment_count * sizeof(Slot);
    void* block = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) throw std::bad_alloc();
    advise_huge_pages(block, bytes); // zero-filled on first touch, as empty slots are
    block_ = block;
    block_bytes_ = bytes;
    for (std::size_t i = 0; i < segment_count; ++i) {
        release(segments_[i]);
        segments_[i] = Segment{static_cast<Slot*>(block) + i * capacity, capacity, 0, false};
    }
}

void KeyIndex::release(Segment& seg) {
    if (seg.owned) {
        std::free(seg.slots);
    } else if (seg.slots != nullptr) {
        // A part of the block: give its whole pages back (the mapping itself stays).
        constexpr std::uintptr_t page = 4096;
        const auto begin = reinterpret_cast<std::uintptr_t>(seg.slots);
        const std::uintptr_t first = (begin + page - 1) & ~(page - 1);
        const std::uintptr_t end = (begin + seg.capacity * sizeof(Slot)) & ~(page - 1);
        if (end > first) (void)::madvise(reinterpret_cast<void*>(first), end - first, MADV_DONTNEED);
    }
    seg = Segment{};
}

void KeyIndex::place(Segment& seg, Slot slot) {
    std::size_t i = home(seg, slot.print);
    while (seg.slots[i].print != 0) i = next(seg, i);
    seg.slots[i] = slot;
    ++seg.size;
}

void KeyIndex::rehash(Segment& seg, std::size_t capacity) {
    auto* slots = static_cast<Slot*>(std::calloc(capacity, sizeof(Slot)));
    if (slots == nullptr) throw std::bad_alloc();
    Segment grown{slots, capacity, 0, true};
    for (std::size_t i = 0; i < seg.capacity; ++i) {
        if (seg.slots[i].print != 0) place(grown, seg.slots[i]);
    }
    release(seg);
    seg = grown;
}

void KeyIndex::insert(std::int64_t digest, std::int64_t id) {
    if (id < 0 || id > std::int64_t{UINT32_MAX}) throw std::length_error("claimant id beyond 32 bits");
    const std::uint32_t print = fingerprint(digest);
    Segment& seg = segments_[segment_of(print)];
    // At most 60% full; growing by half keeps the memory of a segment that outgrew its
    // reservation within 1.7 to 2.5 slots an entry.
    if ((seg.size + 1) * 5 > seg.capacity * 3) {
        rehash(seg, std::max<std::size_t>(64, seg.capacity + seg.capacity / 2));
    }
    place(seg, Slot{print, static_cast<std::uint32_t>(id)});
    ++size_;
}

void KeyIndex::insert(const Entry* first, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) prefetch(first[i].digest);
    for (std::size_t i = 0; i < n; ++i) insert(first[i].digest, first[i].id);
}

} // namespace claimreg
