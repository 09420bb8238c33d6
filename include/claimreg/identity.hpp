#pragma once
// Who is the same child: the duplicate key of SPEC.md "Identity and duplicates".

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

} // namespace claimreg

namespace claimreg {

/// A compact in-memory multimap from 64-bit digests to claimant ids (open addressing), used
/// by bulk imports to find duplicate candidates without a query per row: 8-byte slots (32
/// bits of the mixed digest, which also choose the slot, and the id), at most half full so
/// that a lookup reads one or two slots. Ids must fit in 32 bits. A hit is only a candidate;
/// callers confirm it against the stored row.
class KeyIndex {
  public:
    /// Adds `id` under `digest`.
    void insert(std::int64_t digest, std::int64_t id);
    /// Calls `visit(id)` for every id stored under `digest`.
    template <typename Visit> void for_each(std::int64_t digest, Visit visit) const {
        if (slots_.empty()) return;
        const std::uint32_t print = fingerprint(digest);
        for (std::size_t i = home(print);; i = next(i)) {
            if (slots_[i].print == 0) return;
            if (slots_[i].print == print) visit(static_cast<std::int64_t>(slots_[i].id));
        }
    }
    /// Starts loading the slots of `digest` into the cache, for a for_each() soon after.
    /// Always inlined: GCC finds a function that only prefetches free of side effects and
    /// drops calls to it.
    [[gnu::always_inline]] void prefetch(std::int64_t digest) const {
        if (!slots_.empty()) __builtin_prefetch(&slots_[home(fingerprint(digest))]);
    }
    /// Makes room for `entries` without growing (growth doubles the memory for a moment).
    void reserve(std::size_t entries);
    /// Number of entries.
    std::size_t size() const { return size_; }

  private:
    struct Slot {
        std::uint32_t print; ///< fingerprint(); 0: empty
        std::uint32_t id;
    };
    // Mixes the bits (the slot is chosen by the high bits).
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
    /// The first slot for a fingerprint: scaled to the table (any size, not only 2^n).
    std::size_t home(std::uint32_t print) const {
        return static_cast<std::size_t>((std::uint64_t{print} * slots_.size()) >> 32); // size < 2^32
    }
    std::size_t next(std::size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
    void grow();
    void rehash(std::size_t capacity);

    std::vector<Slot> slots_;
    std::size_t size_ = 0;
};

} // namespace claimreg
