#include "claimreg/signals.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "claimreg/clock.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"
#include "claimreg/text.hpp"
#include "store/claimant_scan.hpp"
#include "store/claimant_store.hpp"
#include "store/figures.hpp"
#include "store/snapshot.hpp"

namespace claimreg {

namespace {

using store::Kept;

// FNV-1a over some bytes, continuing from `h`.
std::uint64_t fnv(std::string_view bytes, std::uint64_t h = 0xcbf29ce484222325ULL) {
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::uint64_t fnv_lower(std::string_view bytes) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (const char c : bytes) {
        h ^= static_cast<unsigned char>(ascii_lower(c));
        h *= 0x100000001b3ULL;
    }
    return h;
}

// An address as compared: postcode and house number, case, spaces and dashes ignored; 0 when
// either is missing (a postcode alone is a street, not an address).
std::uint64_t address_key(std::string_view postcode, std::string_view house) {
    if (postcode.empty() || house.empty()) return 0;
    return fnv(fold_ascii(postcode) + '|' + fold_ascii(house)) | 1;
}


// Seconds since the epoch (UTC) of a stored registered_at with a time of day; nullopt for a
// bare date (no minute to compare) or what does not read as one.
std::optional<std::int64_t> registered_seconds(std::string_view s) {
    DateTime t;
    if (parse_date_time(s, DateTimeForms{}, t) != DateTimeProblem::none || !t.has_time) {
        return std::nullopt;
    }
    return epoch_seconds(t);
}

// One claimant under a shared key (a contact, an address, a source), with what tells the
// families apart.
struct KeyedClaimant {
    std::uint64_t key;
    std::uint32_t family;  ///< digest of the folded prefix and last name
    std::uint32_t address; ///< digest of the address (0: none)
    std::uint32_t id;      ///< ids fit 32 bits, as in KeyIndex
};

// Runs of equal keys in `rows` (sorted by key, then id) that `qualifies`, as signals of `kind`.
template <typename Qualifies>
void runs(std::vector<KeyedClaimant>& rows, SignalKind kind, std::vector<Signal>& out,
          Qualifies qualifies) {
    std::sort(rows.begin(), rows.end(), [](const KeyedClaimant& a, const KeyedClaimant& b) {
        return a.key != b.key ? a.key < b.key : a.id < b.id;
    });
    for (std::size_t i = 0; i < rows.size();) {
        std::size_t j = i + 1;
        while (j < rows.size() && rows[j].key == rows[i].key)
            ++j;
        if (j - i > 1 && qualifies(rows.data() + i, rows.data() + j)) {
            Signal s{kind, {}};
            for (std::size_t k = i; k < j; ++k)
                s.ids.push_back(rows[k].id);
            s.ids.erase(std::unique(s.ids.begin(), s.ids.end()), s.ids.end());
            if (s.ids.size() > 1) out.push_back(std::move(s));
        }
        i = j;
    }
}

} // namespace

std::string_view to_string(SignalKind kind) {
    switch (kind) {
    case SignalKind::burst:
        return "burst";
    case SignalKind::crowded_address:
        return "crowded_address";
    case SignalKind::shared_contact:
        return "shared_contact";
    }
    return "unknown";
}

std::vector<Signal> find_signals(Registry& registry, const SignalThresholds& thresholds) {
    store::ReadSnapshot snapshot(registry); // one state throughout

    std::vector<KeyedClaimant> contacts;  // key: e-mail or phone (tagged), one per registration
    std::vector<KeyedClaimant> addresses; // key: address
    struct Timed {
        std::int64_t seconds;
        std::uint32_t source, id; // ids fit 32 bits, as in KeyIndex
    };
    std::vector<Timed> times;
    // Per claimant, what the linked registrations need: its family and address.
    struct Child {
        std::uint32_t id, family, address;
    };
    std::vector<Child> children;
    {
        // Sized once (growing would hold two copies): the active count is in the tallies.
        const auto rows = static_cast<std::size_t>(store::tallied_claimants(registry, State::active));
        contacts.reserve(rows + rows / 2);
        addresses.reserve(rows);
        times.reserve(rows);
        children.reserve(rows);
    }
    constexpr std::uint64_t email_tag = 0x8000000000000000ULL;
    const auto contact = [](std::string_view email, std::string_view phone, auto&& add) {
        if (!email.empty()) add(fnv_lower(email) | email_tag);
        if (!phone.empty()) add(fnv(phone) & ~email_tag);
    };
    {
        // Every active row, in id order.
        store::ClaimantFilter active;
        active.whole_table = true;
        store::ClaimantScan st(
            registry,
            store::columns_of({Field::child_name_prefix, Field::child_last_name, Field::postcode,
                               Field::house_number, Field::registrant_email,
                               Field::registrant_phone, Field::registered_at},
                              {Kept::id, Kept::source_id}),
            active);
        std::string family;
        while (st.next()) {
            const store::ClaimantRow& row = st.row();
            const std::int64_t id = row.integer(Kept::id);
            family = fold_name(row.text(Field::child_name_prefix));
            family += fold_name(row.text(Field::child_last_name));
            const auto family_key = static_cast<std::uint32_t>(fnv(family));
            const std::uint64_t address =
                address_key(row.text(Field::postcode), row.text(Field::house_number));
            const auto address32 = static_cast<std::uint32_t>(address ? (address >> 32) | 1 : 0);
            contact(row.text(Field::registrant_email), row.text(Field::registrant_phone), [&](std::uint64_t key) {
                contacts.push_back({key, family_key, address32, static_cast<std::uint32_t>(id)});
            });
            if (address != 0) {
                addresses.push_back(
                    {address, family_key, address32, static_cast<std::uint32_t>(id)});
            }
            if (const auto seconds = registered_seconds(row.text(Field::registered_at))) {
                times.push_back({*seconds, static_cast<std::uint32_t>(row.integer(Kept::source_id)),
                                 static_cast<std::uint32_t>(id)});
            }
            children.push_back({static_cast<std::uint32_t>(id), family_key, address32});
        }
    }
    // Linked registrations: another registrant behind the same child.
    store::visit_active_registration_contacts(
        registry, [&](std::int64_t id, std::string_view email, std::string_view phone) {
            const auto child =
                std::lower_bound(children.begin(), children.end(), id,
                                 [](const Child& c, std::int64_t v) { return c.id < v; });
            if (child == children.end() || child->id != id) return;
            contact(email, phone, [&](std::uint64_t key) {
                contacts.push_back({key, child->family, child->address, child->id});
            });
        });
    snapshot.commit();
    std::vector<Child>().swap(children);

    std::vector<Signal> signals;
    // Several families: two family names and two addresses among the children.
    runs(contacts, SignalKind::shared_contact, signals, [](const KeyedClaimant* first, const KeyedClaimant* last) {
        bool families = false;
        std::uint32_t place = 0;
        bool places = false;
        for (const KeyedClaimant* k = first; k != last; ++k) {
            families = families || k->family != first->family;
            if (k->address == 0) continue;
            if (place == 0) place = k->address;
            places = places || k->address != place;
        }
        return families && places;
    });
    std::vector<KeyedClaimant>().swap(contacts);
    runs(addresses, SignalKind::crowded_address, signals,
         [&](const KeyedClaimant* first, const KeyedClaimant* last) {
             return static_cast<std::uint64_t>(last - first) > thresholds.max_children_per_address;
         });
    std::vector<KeyedClaimant>().swap(addresses);

    // Bursts: per source, the registrations in windows of one minute that hold at least the
    // threshold; overlapping windows make one burst.
    std::sort(times.begin(), times.end(), [](const Timed& a, const Timed& b) {
        if (a.source != b.source) return a.source < b.source;
        return a.seconds != b.seconds ? a.seconds < b.seconds : a.id < b.id;
    });
    const std::uint64_t need = std::max<std::uint64_t>(2, thresholds.burst_registrations);
    std::size_t burst_begin = 0;
    std::size_t burst_end = 0; // [begin, end) of the burst being gathered; empty when none
    const auto close_burst = [&] {
        if (burst_end <= burst_begin) return;
        Signal s{SignalKind::burst, {}};
        for (std::size_t k = burst_begin; k < burst_end; ++k)
            s.ids.push_back(times[k].id);
        std::sort(s.ids.begin(), s.ids.end());
        s.ids.erase(std::unique(s.ids.begin(), s.ids.end()), s.ids.end());
        signals.push_back(std::move(s));
        burst_begin = burst_end = 0;
    };
    for (std::size_t i = 0, j = 0; i < times.size(); ++i) {
        if (j < i) j = i;
        while (j < times.size() && times[j].source == times[i].source &&
               times[j].seconds - times[i].seconds < 60) {
            ++j;
        }
        if (j - i < need) continue;
        // [i, j) is a window of one minute with enough registrations.
        if (burst_end > burst_begin &&
            (i >= burst_end || times[i].source != times[burst_begin].source)) {
            close_burst();
        }
        if (burst_end <= burst_begin) burst_begin = i;
        burst_end = std::max(burst_end, j);
    }
    close_burst();

    std::sort(signals.begin(), signals.end(), [](const Signal& a, const Signal& b) {
        if (a.kind != b.kind) return a.kind < b.kind;
        if (a.ids.size() != b.ids.size()) return a.ids.size() > b.ids.size();
        return a.ids < b.ids;
    });
    return signals;
}

} // namespace claimreg
