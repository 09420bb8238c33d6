#pragma once
// Who is the same child: the duplicate key of SPEC.md "Identity and duplicates".

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/record.hpp"

namespace claimreg {

/// A name part folded for comparison: Unicode case-folded, accents stripped, default-ignorable
/// code points (zero-width spaces, soft hyphens, BOMs) dropped, and spaces, hyphens and
/// apostrophes (' and U+2019) removed. "Zoë" and "ZOE" fold alike.
std::string fold_name(std::string_view name);

/// The duplicate key: folded first name | folded prefix+last name | birth date | postcode.
std::string identity_key(const Registration& r);

/// A compact 64-bit digest of identity_key() (FNV-1a), stored and indexed in the registry.
/// Equal keys give equal digests; a digest match is confirmed against the full key.
std::int64_t identity_digest(std::string_view key);

/// A 128-bit secret key for siphash24().
using DigestKey = std::array<std::uint8_t, 16>;

/// SipHash-2-4 of `data` under `key` (Aumasson and Bernstein, 2012): a keyed 64-bit digest.
/// Without the key, inputs with equal digests cannot be found faster than by chance.
std::uint64_t siphash24(const DigestKey& key, std::string_view data);

} // namespace claimreg

namespace claimreg {

/// A compact in-memory multimap from 64-bit digests to claimant ids (open addressing), used
/// by bulk imports to find duplicate candidates without a query per row: 8-byte slots (32
/// bits of the mixed digest, which also choose the slot, and the id), reserved half full so
/// that a lookup reads one or two slots. The table is split into 64 segments that grow one at a
/// time: however wrong the reserved size, growing never holds more than one segment twice
/// (a single table would hold its old and new copies at once, three times its size). Ids must
/// fit in 32 bits. A hit is only a candidate; callers confirm it against the stored row.
class KeyIndex {
  public:
    KeyIndex() = default;
    ~KeyIndex();
    KeyIndex(const KeyIndex&) = delete;
    KeyIndex& operator=(const KeyIndex&) = delete;

    /// Adds `id` under `digest`.
    void insert(std::int64_t digest, std::int64_t id);
    /// A digest and the id to add under it.
    struct Entry {
        std::int64_t digest;
        std::int64_t id;
    };
    /// Adds every entry of [first, first + n), as insert() does: their slots are loaded into
    /// the cache together first, so that the misses of a table larger than the cache overlap
    /// instead of coming one after the other (loading a registry's keys).
    void insert(const Entry* first, std::size_t n);
    /// Calls `visit(id)` for every id stored under `digest`.
    template <typename Visit> void for_each(std::int64_t digest, Visit visit) const {
        const std::uint32_t print = fingerprint(digest);
        const Segment& seg = segments_[segment_of(print)];
        if (seg.capacity == 0) return;
        for (std::size_t i = home(seg, print);; i = next(seg, i)) {
            if (seg.slots[i].print == 0) return;
            if (seg.slots[i].print == print) visit(static_cast<std::int64_t>(seg.slots[i].id));
        }
    }
    /// Starts loading the slots of `digest` into the cache, for a for_each() soon after.
    /// Always inlined: GCC finds a function that only prefetches free of side effects and
    /// drops calls to it.
    [[gnu::always_inline]] void prefetch(std::int64_t digest) const {
        const std::uint32_t print = fingerprint(digest);
        const Segment& seg = segments_[segment_of(print)];
        if (seg.capacity != 0) __builtin_prefetch(&seg.slots[home(seg, print)]);
    }
    /// Makes room for `entries` without growing; call it while empty (it lays the segments out
    /// in one block, which can use huge pages).
    void reserve(std::size_t entries);
    /// Number of entries.
    std::size_t size() const { return size_; }
    /// Bytes of memory the slots take.
    std::size_t bytes() const;

  private:
    struct Slot {
        std::uint32_t print; ///< fingerprint(); 0: empty
        std::uint32_t id;
    };
    struct Segment {
        Slot* slots = nullptr;
        std::size_t capacity = 0;
        std::size_t size = 0;
        bool owned = false; ///< its own allocation (else a part of the reserved block)
    };
    static constexpr unsigned segment_bits = 6;
    static constexpr unsigned home_bits = 32 - segment_bits;
    static constexpr std::size_t segment_count = std::size_t{1} << segment_bits;

    // Mixes the bits (the segment and slot are chosen by the high bits).
    static std::uint64_t normalise(std::int64_t digest) {
        auto x = static_cast<std::uint64_t>(digest);
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        return x;
    }
    /// What a slot keeps of a digest: the high half of its mixed bits, never 0.
    static std::uint32_t fingerprint(std::int64_t digest) {
        const auto print = static_cast<std::uint32_t>(normalise(digest) >> 32);
        return print == 0 ? 1 : print;
    }
    static std::size_t segment_of(std::uint32_t print) { return print >> home_bits; }
    /// The first slot for a fingerprint in its segment: scaled to the segment (any size).
    static std::size_t home(const Segment& seg, std::uint32_t print) {
        const std::uint64_t low = print & ((std::uint32_t{1} << home_bits) - 1);
        return static_cast<std::size_t>((low * seg.capacity) >> home_bits);
    }
    static std::size_t next(const Segment& seg, std::size_t i) {
        return i + 1 == seg.capacity ? 0 : i + 1;
    }
    void rehash(Segment& seg, std::size_t capacity);
    static void place(Segment& seg, Slot slot);
    void release(Segment& seg);

    std::array<Segment, segment_count> segments_{};
    void* block_ = nullptr; ///< the reserved segments, one mapping
    std::size_t block_bytes_ = 0;
    std::size_t size_ = 0;
};

} // namespace claimreg
