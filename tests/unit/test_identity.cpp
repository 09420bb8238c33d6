#include "claimreg/identity.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace test_identity {

using namespace claimreg;
using namespace std::chrono;

namespace {

Registration child(std::string first, std::string prefix, std::string last,
                   Date birth = Date{year{2010}, month{3}, day{4}},
                   std::string postcode = "1012 AB") {
    Registration r;
    r.child_first_name = std::move(first);
    r.child_name_prefix = std::move(prefix);
    r.child_last_name = std::move(last);
    r.child_birth_date = birth;
    r.postcode = std::move(postcode);
    return r;
}

} // namespace

TEST_CASE("identity: fold_name ASCII") {
    CHECK(fold_name("Anna") == "anna");
    CHECK(fold_name("ZOE") == "zoe");
    CHECK(fold_name("van der Berg") == "vanderberg");
    CHECK(fold_name("Jan-Willem") == "janwillem");
    CHECK(fold_name("'t Hart") == "thart");
    CHECK(fold_name("`t Hart") == "thart");
    CHECK(fold_name("O'Neill") == "oneill");
    CHECK(fold_name("a|b") == "ab"); // never shifts a key field boundary
    CHECK(fold_name("").empty());
    CHECK(fold_name("R2-D2") == "r2d2");
}

TEST_CASE("identity: fold_name Unicode") {
    CHECK(fold_name("Zoë") == "zoe");
    CHECK(fold_name("Zoe\xCC\x88") == "zoe");     // decomposed
    CHECK(fold_name("ZOË") == "zoe");
    CHECK(fold_name("José") == "jose");
    CHECK(fold_name("Ångström") == "angstrom");
    CHECK(fold_name("Straße") == "strasse");        // full case folding
    CHECK(fold_name("\xE2\x80\x99t Hart") == "thart"); // ’t Hart
    CHECK(fold_name("\xC2\xB4t Hart") == "thart");     // ´t Hart
    CHECK(fold_name("Jan\xE2\x80\x90Willem") == "janwillem"); // U+2010 hyphen
    CHECK(fold_name("Zo\xC3\xAB\xC2\xA0" "Anna") == "zoeanna");  // NBSP
    CHECK(fold_name("Ça\xC3\xA7" "a") == "caca");
    CHECK(fold_name("Łukasz") == fold_name("ŁUKASZ")); // no decomposition, still case-folded
}

TEST_CASE("identity: the Zoë example") {
    const auto a = child("Zoë", "van der", "Berg");
    const auto b = child("ZOE", "", "Van Der berg");
    const auto c = child("Zoe", "Van der", "Berg");
    CHECK(identity_key(a) == "zoe|vanderberg|2010-03-04|1012AB");
    CHECK(identity_key(a) == identity_key(b));
    CHECK(identity_key(a) == identity_key(c));
    CHECK(identity_digest(identity_key(a)) == identity_digest(identity_key(b)));
}

TEST_CASE("identity: apostrophes and hyphens") {
    const auto curly = child("Sem", "\xE2\x80\x99t", "Hart");
    const auto straight = child("Sem", "'t", "Hart");
    const auto none = child("Sem", "", "tHart");
    CHECK(identity_key(curly) == identity_key(straight));
    CHECK(identity_key(curly) == identity_key(none));
    CHECK(identity_key(child("Jan-Willem", "", "Smit-de Vries")) ==
          identity_key(child("Jan Willem", "", "Smit de Vries")));
    CHECK(identity_key(child("Janwillem", "", "SMITDEVRIES")) ==
          identity_key(child("Jan-Willem", "", "Smit-de Vries")));
}

TEST_CASE("identity: different child, different key") {
    const auto base = child("Zoë", "van der", "Berg");
    CHECK(identity_key(base) != identity_key(child("Zoë", "van der", "Berg", Date{year{2010}, month{3}, day{5}})));
    CHECK(identity_key(base) != identity_key(child("Zoë", "van der", "Berg", Date{year{2010}, month{3}, day{4}}, "1012 AC")));
    CHECK(identity_key(base) != identity_key(child("Zoa", "van der", "Berg")));
    CHECK(identity_key(base) != identity_key(child("Zoë", "van den", "Berg")));
    // First and last name do not swap into each other.
    CHECK(identity_key(child("Anna", "", "Berg")) != identity_key(child("Berg", "", "Anna")));
    CHECK(identity_key(child("Ann", "", "aBerg")) != identity_key(child("Anna", "", "Berg")));
}

TEST_CASE("identity: postcode normalised in the key") {
    CHECK(identity_key(child("A", "", "B", Date{year{2010}, month{1}, day{2}}, "1012 ab")) ==
          "a|b|2010-01-02|1012AB");
    CHECK(identity_key(child("A", "", "B", Date{year{2010}, month{1}, day{2}}, "")) ==
          "a|b|2010-01-02|");
    CHECK(identity_key(child("A", "", "B", Date{year{2010}, month{1}, day{2}}, "b-1000 x")) ==
          "a|b|2010-01-02|B-1000X");
}

TEST_CASE("identity: FNV-1a digest") {
    // Published FNV-1a 64-bit test vectors.
    CHECK(identity_digest("") == static_cast<std::int64_t>(0xcbf29ce484222325ULL));
    CHECK(identity_digest("a") == static_cast<std::int64_t>(0xaf63dc4c8601ec8cULL));
    CHECK(identity_digest("foobar") == static_cast<std::int64_t>(0x85944171f73967e8ULL));
    CHECK(identity_digest("zoe|vanderberg|2010-03-04|1012AB") ==
          static_cast<std::int64_t>(0x2ee71d57ff3fe3eaULL));
    CHECK(identity_digest("a|b") != identity_digest("a|c"));
}

TEST_CASE("identity: invisible characters fold away (names stored before they were removed)") {
    CHECK(fold_name("Se\u200Bm") == "sem");
    CHECK(fold_name("Vr\u00ADies") == "vries");
    CHECK(fold_name("\uFEFFSem") == "sem");
    CHECK(fold_name("Vri\u200Des\u2060") == "vries");
    CHECK(fold_name("S\u0435m") != "sem"); // a look-alike is another name (rejected on input)
}

TEST_CASE("identity: KeyIndex finds every id, also far beyond what was reserved") {
    for (const std::size_t reserved : {std::size_t{0}, std::size_t{1000}, std::size_t{200000}}) {
        KeyIndex keys;
        keys.reserve(reserved);
        constexpr std::int64_t n = 100000;
        for (std::int64_t i = 1; i <= n; ++i) keys.insert(identity_digest(std::to_string(i)), i);
        keys.insert(identity_digest("7"), n + 1); // a second id under one digest
        CHECK(keys.size() == static_cast<std::size_t>(n + 1));
        bool all = true;
        for (std::int64_t i = 1; i <= n; ++i) {
            bool found = false;
            keys.for_each(identity_digest(std::to_string(i)), [&](std::int64_t id) {
                found = found || id == i;
            });
            all = all && found;
        }
        CHECK(all);
        std::vector<std::int64_t> sevens;
        keys.for_each(identity_digest("7"), [&](std::int64_t id) { sevens.push_back(id); });
        std::sort(sevens.begin(), sevens.end());
        CHECK(sevens == std::vector<std::int64_t>{7, n + 1});
        std::size_t misses = 0;
        keys.for_each(identity_digest("absent"), [&](std::int64_t) { ++misses; });
        CHECK(misses == 0);
        // Reserved well: 2 slots an entry; grown: at most 2.5 (8 bytes a slot).
        const double per_entry = static_cast<double>(keys.bytes()) / static_cast<double>(n);
        CHECK_MESSAGE(per_entry <= (reserved >= 200000 ? 16.0 * 2.0 + 0.5 : 20.5), per_entry);
    }
}

TEST_CASE("identity: KeyIndex takes entries in batches as one at a time, growing past its reservation") {
    KeyIndex keys;
    keys.reserve(1000);
    constexpr std::int64_t n = 50000;
    std::vector<KeyIndex::Entry> entries;
    for (std::int64_t i = 1; i <= n; ++i) entries.push_back({identity_digest(std::to_string(i)), i});
    entries.push_back({identity_digest("7"), n + 1}); // a second id under one digest
    keys.insert(entries.data(), 0);
    CHECK(keys.size() == 0);
    for (std::size_t at = 0; at < entries.size(); at += 64) {
        keys.insert(entries.data() + at, std::min<std::size_t>(64, entries.size() - at));
    }
    CHECK(keys.size() == static_cast<std::size_t>(n + 1));
    std::size_t found = 0;
    for (std::int64_t i = 1; i <= n; ++i) {
        keys.for_each(identity_digest(std::to_string(i)), [&](std::int64_t id) {
            if (id == i) ++found;
        });
    }
    CHECK(found == static_cast<std::size_t>(n));
    std::vector<std::int64_t> sevens;
    keys.for_each(identity_digest("7"), [&](std::int64_t id) { sevens.push_back(id); });
    std::sort(sevens.begin(), sevens.end());
    CHECK(sevens == std::vector<std::int64_t>{7, n + 1});
}

TEST_CASE("identity: siphash24 gives SipHash-2-4's digests (as OpenSSL's SIPHASH MAC computes them)") {
    DigestKey key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
    // Messages 00 01 02 ... of these lengths under the key 00 01 ... 0f: every tail length of
    // the last block, and whole blocks.
    const std::vector<std::pair<std::size_t, std::uint64_t>> expected = {
        {0, 0x726fdb47dd0e0e31ULL},  {1, 0x74f839c593dc67fdULL},  {7, 0xab0200f58b01d137ULL},
        {8, 0x93f5f5799a932462ULL},  {9, 0x9e0082df0ba9e4b0ULL},  {15, 0xa129ca6149be45e5ULL},
        {16, 0x3f2acc7f57c29bdbULL}, {63, 0x958a324ceb064572ULL}};
    for (const auto& [length, digest] : expected) {
        std::string message;
        for (std::size_t i = 0; i < length; ++i) message.push_back(static_cast<char>(i));
        CHECK_MESSAGE(siphash24(key, message) == digest, length);
    }
    DigestKey other{};
    for (std::size_t i = 0; i < other.size(); ++i) other[i] = static_cast<std::uint8_t>(0xff - 0x11 * i);
    CHECK(siphash24(other, "zoe|vanderberg|2010-03-04|1012AB") == 0x9e9b9f6c893224e2ULL);
    CHECK(siphash24(other, "zoe|vanderberg|2010-03-04|1012AC") != 0x9e9b9f6c893224e2ULL);
}

} // namespace test_identity
