#include "verdict_store.hpp"

#include <array>
#include <map>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "statement.hpp"

namespace claimreg::store {

std::optional<std::string> claimant_state(Registry& registry, std::int64_t id) {
    SQLite::Statement& st = registry.statement("SELECT state FROM claimants WHERE id = ?");
    const ResetOnExit reset{st};
    st.bind(1, id);
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getString();
}

void store_verdicts(Registry& registry, std::span<const VerdictChange> changes,
                    const std::string& now) {
    constexpr std::size_t tally_by_hand_from = 1000;
    const bool by_hand = changes.size() >= tally_by_hand_from;
    const std::vector<std::string> triggers =
        by_hand ? drop_claimants_schema(registry, "trigger", "tallies_") : std::vector<std::string>();
    {
        SQLite::Statement store(registry.db(),
                                "UPDATE claimants SET verdict = ?1, reasons = ?2, age_band = ?3, "
                                "changed_at = ?4 WHERE id = ?5");
        std::map<std::array<std::string, 4>, std::int64_t> moved; // tallies key -> change
        for (const VerdictChange& c : changes) {
            const std::string verdict(to_string(c.verdict.verdict));
            const std::string band = c.verdict.age_band ? std::string(to_string(*c.verdict.age_band))
                                                        : std::string();
            store.reset();
            store.bind(1, verdict);
            store.bind(2, join_reasons(c.verdict.reasons));
            store.bind(3, band);
            store.bind(4, now);
            store.bind(5, c.id);
            store.exec();
            if (by_hand) {
                --moved[{c.state, c.old_verdict, c.old_age_band, c.birth}];
                ++moved[{c.state, verdict, band, c.birth}];
            }
        }
        store.reset();
        TallyWriter tallies(registry);
        for (const auto& [key, n] : moved) {
            if (n != 0) tallies.add(key[0], key[1], key[2], key[3], n);
        }
        tallies.finish();
    }
    for (const std::string& definition : triggers) registry.db().exec(definition);
}

void set_claimant_check(Registry& registry, std::int64_t id, std::int64_t check) {
    SQLite::Statement& st = registry.statement("UPDATE claimants SET check_id = ?1 WHERE id = ?2");
    st.bind(1, check);
    st.bind(2, id);
    st.exec();
    st.reset();
}

} // namespace claimreg::store
