#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "claimreg/identity.hpp"
#include "claimreg/text.hpp"
#include "duplicates_parts.hpp"
#include "store/claimant_scan.hpp"
#include "store/figures.hpp"

namespace claimreg::duplicate_parts {

namespace {

std::uint32_t hash32(std::string_view s) {
    return static_cast<std::uint32_t>(hash_text(s) >> 32);
}

int parse_int(std::string_view s, std::size_t from, std::size_t len) {
    int v = 0;
    for (std::size_t i = from; i < from + len && i < s.size(); ++i) {
        if (!is_ascii_digit(s[i])) return 0;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

void compute_keys(const Claimants& all, Claimant& c) {
    const std::string_view first = all.first(c), last = all.last(c);
    const std::uint64_t date = (std::uint64_t{c.year} << 16) | (std::uint64_t{c.month} << 8) | c.day;
    const std::string pf = phonetic_code(first), pl = phonetic_code(last);
    const std::uint64_t digits = c.postcode_len >= 4 ? hash_text(all.postcode(c).substr(0, 4)) : 0;
    c.keys[0] = c.email_folded == 0 ? 0 : key_of(1, c.email_folded);
    c.keys[1] = key_of(2, date, hash_text(pf));
    c.keys[2] = key_of(3, date, hash_text(pl));
    c.keys[3] = digits == 0 || first.empty()
                    ? 0
                    : key_of(4, c.year, digits, static_cast<unsigned char>(first[0]));
    c.keys[4] = digits == 0 || last.empty()
                    ? 0
                    : key_of(5, c.year, digits, static_cast<unsigned char>(last[0]));
    c.keys[5] = key_of(6, hash_text(first), hash_text(last), c.year);
    c.keys[6] = c.postcode_len == 0 || c.house_folded_len == 0
                    ? 0
                    : key_of(7, hash_text(all.postcode(c)), hash_text(all.house_folded(c)));
    c.keys[names_key] = key_of(8, hash_text(first), hash_text(last));

} // namespace

}

Claimants load(Registry& registry, const std::string& since) {
    Claimants all;
    const auto n = static_cast<std::size_t>(store::tallied_claimants(registry, State::active));
    all.rows.reserve(n);
    all.arena.reserve(n * 40);
    store::ClaimantFilter active;
    active.whole_table = true;
    store::ClaimantScan q(registry,
                          store::columns_of({Field::child_first_name, Field::child_name_prefix,
                                             Field::child_last_name, Field::child_birth_date,
                                             Field::postcode, Field::house_number,
                                             Field::registrant_email, Field::registrant_phone},
                                            {store::Kept::id, store::Kept::changed_at}),
                          active);
    std::string whole;
    while (q.next()) {
        const store::ClaimantRow& row = q.row();
        Claimant c;
        c.id = row.integer(store::Kept::id);
        const std::string_view first_raw = row.text(Field::child_first_name);
        const std::string_view prefix_raw = row.text(Field::child_name_prefix);
        const std::string_view last_raw = row.text(Field::child_last_name);
        const std::string first = fold_name(first_raw);
        const std::string prefix = fold_name(prefix_raw);
        whole = prefix + fold_name(last_raw);
        c.first = all.put(first, c.first_len);
        c.whole = all.put(whole, c.whole_len);
        c.prefix_len = static_cast<std::uint8_t>(std::min<std::size_t>(prefix.size(), c.whole_len));
        c.first_raw = hash32(first_raw);
        c.family_raw = hash32(std::string(prefix_raw) + "|" + std::string(last_raw));
        const std::string_view birth = row.text(Field::child_birth_date);
        c.year = static_cast<std::uint16_t>(parse_int(birth, 0, 4));
        c.month = static_cast<std::uint8_t>(parse_int(birth, 5, 2));
        c.day = static_cast<std::uint8_t>(parse_int(birth, 8, 2));
        c.postcode = all.put(postcode_compact(row.text(Field::postcode)), c.postcode_len);
        const std::string_view house = row.text(Field::house_number);
        c.house = all.put(house, c.house_len);
        c.house_folded = all.put(fold_ascii(house), c.house_folded_len);
        const std::string_view email = row.text(Field::registrant_email);
        c.email = hash_text(email);
        c.email_folded = hash_text(fold_ascii(email));
        c.phone = hash_text(row.text(Field::registrant_phone));
        c.recent = since.empty() || row.text(store::Kept::changed_at) >= since;
        all.rows.push_back(c);
    }
    // Name frequencies, then the blocking keys.
    std::unordered_map<std::string_view, std::uint32_t> firsts, wholes, lasts;
    firsts.reserve(all.rows.size() / 8);
    wholes.reserve(all.rows.size() / 8);
    lasts.reserve(all.rows.size() / 8);
    for (const Claimant& c : all.rows) {
        ++firsts[all.first(c)];
        ++wholes[all.whole(c)];
        ++lasts[all.last(c)];
    }
    // Claimants per e-mail address: runs of equal hashes, sorted.
    {
        std::vector<std::pair<std::uint64_t, std::uint32_t>> emails;
        emails.reserve(all.rows.size());
        for (std::size_t i = 0; i < all.rows.size(); ++i)
            emails.emplace_back(all.rows[i].email, static_cast<std::uint32_t>(i));
        std::sort(emails.begin(), emails.end());
        for (std::size_t i = 0; i < emails.size();) {
            std::size_t j = i + 1;
            while (j < emails.size() && emails[j].first == emails[i].first) ++j;
            for (std::size_t k = i; k < j; ++k)
                all.rows[emails[k].second].email_count = static_cast<std::uint32_t>(j - i);
            i = j;
        }
    }
    for (Claimant& c : all.rows) {
        c.first_count = firsts[all.first(c)];
        c.whole_count = wholes[all.whole(c)];
        c.last_count = lasts[all.last(c)];
        compute_keys(all, c);
    }
    return all;
}

} // namespace claimreg::duplicate_parts
