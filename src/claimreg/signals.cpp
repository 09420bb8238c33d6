#include "claimreg/signals.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "claimreg/clock.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"

namespace claimreg {

namespace {

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
        h ^= static_cast<unsigned char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string_view column_text(sqlite3_stmt* st, int column) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, column));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st, column)))
             : std::string_view();
}

// An address as compared: postcode and house number, case, spaces and dashes ignored; 0 when
// either is missing (a postcode alone is a street, not an address).
std::uint64_t address_key(std::string_view postcode, std::string_view house) {
    if (postcode.empty() || house.empty()) return 0;
    std::string folded;
    for (const std::string_view part : {postcode, std::string_view("|"), house}) {
        for (const char c : part) {
            if (c == ' ' || c == '-') continue;
            folded += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
    }
    return fnv(folded) | 1;
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

// A read-only statement on the raw handle (values read in place, no copies).
class Scan {
  public:
    Scan(Registry& registry, const char* sql) {
        if (sqlite3_prepare_v2(registry.db().getHandle(), sql, -1, &st_, nullptr) != SQLITE_OK) {
            throw Error("cannot read the claimants for signals", ExitStatus::internal);
        }
    }
    ~Scan() { sqlite3_finalize(st_); }
    Scan(const Scan&) = delete;
    Scan& operator=(const Scan&) = delete;
    void bind(int index, std::string_view text) {
        sqlite3_bind_text(st_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
    bool step() {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw Error("cannot read the claimants for signals", ExitStatus::internal);
    }
    sqlite3_stmt* get() const { return st_; }

  private:
    sqlite3_stmt* st_ = nullptr;
};

// One claimant under a shared key (a contact, an address, a source), with what tells the
// families apart.
struct Keyed {
    std::uint64_t key;
    std::uint32_t family;  ///< digest of the folded prefix and last name
    std::uint32_t address; ///< digest of the address (0: none)
    std::uint32_t id;      ///< ids fit 32 bits, as in KeyIndex
};

// Runs of equal keys in `rows` (sorted by key, then id) that `qualifies`, as signals of `kind`.
template <typename Qualifies>
void runs(std::vector<Keyed>& rows, SignalKind kind, std::vector<Signal>& out,
          Qualifies qualifies) {
    std::sort(rows.begin(), rows.end(), [](const Keyed& a, const Keyed& b) {
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
    SQLite::Database& db = registry.db();
    SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED); // one state throughout
    const std::string active(to_string(State::active));

    std::vector<Keyed> contacts;  // key: e-mail or phone (tagged), one per registration
    std::vector<Keyed> addresses; // key: address
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
        SQLite::Statement n(db, "SELECT coalesce(sum(n), 0) FROM tallies WHERE state = ?");
        n.bind(1, active);
        const auto rows = static_cast<std::size_t>(n.executeStep() ? n.getColumn(0).getInt64() : 0);
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
        // NOT INDEXED: every active row, in rowid order.
        Scan st(registry, "SELECT id, child_name_prefix, child_last_name, postcode, house_number, "
                          "registrant_email, registrant_phone, registered_at, source_id FROM "
                          "claimants NOT INDEXED WHERE state = ?1");
        st.bind(1, active);
        std::string family;
        while (st.step()) {
            sqlite3_stmt* s = st.get();
            const std::int64_t id = sqlite3_column_int64(s, 0);
            family = fold_name(column_text(s, 1));
            family += fold_name(column_text(s, 2));
            const auto family_key = static_cast<std::uint32_t>(fnv(family));
            const std::uint64_t address = address_key(column_text(s, 3), column_text(s, 4));
            const auto address32 = static_cast<std::uint32_t>(address ? (address >> 32) | 1 : 0);
            contact(column_text(s, 5), column_text(s, 6), [&](std::uint64_t key) {
                contacts.push_back({key, family_key, address32, static_cast<std::uint32_t>(id)});
            });
            if (address != 0) {
                addresses.push_back(
                    {address, family_key, address32, static_cast<std::uint32_t>(id)});
            }
            if (const auto seconds = registered_seconds(column_text(s, 7))) {
                times.push_back({*seconds, static_cast<std::uint32_t>(sqlite3_column_int64(s, 8)),
                                 static_cast<std::uint32_t>(id)});
            }
            children.push_back({static_cast<std::uint32_t>(id), family_key, address32});
        }
    }
    {
        // Linked registrations: another registrant behind the same child.
        Scan st(registry, "SELECT r.claimant_id, r.registrant_email, r.registrant_phone FROM "
                          "registrations AS r CROSS JOIN claimants AS c ON c.id = r.claimant_id "
                          "WHERE c.state = ?1");
        st.bind(1, active);
        while (st.step()) {
            sqlite3_stmt* s = st.get();
            const std::int64_t id = sqlite3_column_int64(s, 0);
            const auto child =
                std::lower_bound(children.begin(), children.end(), id,
                                 [](const Child& c, std::int64_t v) { return c.id < v; });
            if (child == children.end() || child->id != id) continue;
            contact(column_text(s, 1), column_text(s, 2), [&](std::uint64_t key) {
                contacts.push_back({key, child->family, child->address, child->id});
            });
        }
    }
    snapshot.commit();
    std::vector<Child>().swap(children);

    std::vector<Signal> signals;
    // Several families: two family names and two addresses among the children.
    runs(contacts, SignalKind::shared_contact, signals, [](const Keyed* first, const Keyed* last) {
        bool families = false;
        std::uint32_t place = 0;
        bool places = false;
        for (const Keyed* k = first; k != last; ++k) {
            families = families || k->family != first->family;
            if (k->address == 0) continue;
            if (place == 0) place = k->address;
            places = places || k->address != place;
        }
        return families && places;
    });
    std::vector<Keyed>().swap(contacts);
    runs(addresses, SignalKind::crowded_address, signals,
         [&](const Keyed* first, const Keyed* last) {
             return static_cast<std::uint64_t>(last - first) > thresholds.max_children_per_address;
         });
    std::vector<Keyed>().swap(addresses);

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
