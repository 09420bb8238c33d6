#include "pair_store.hpp"

#include <algorithm>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/eligibility.hpp"

namespace claimreg::store {

std::optional<LinkState> read_link_state(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT state, linked_to FROM claimants WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) return std::nullopt;
    LinkState s{st.getColumn(0).getString(), std::nullopt};
    if (!st.getColumn(1).isNull()) s.linked_to = st.getColumn(1).getInt64();
    return s;
}

std::vector<std::int64_t> claimants_linked_to(Registry& registry, std::int64_t id) {
    std::vector<std::int64_t> ids;
    SQLite::Statement st(registry.db(), "SELECT id FROM claimants WHERE linked_to = ? ORDER BY id");
    st.bind(1, id);
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    return ids;
}

std::optional<std::string> pair_decision(Registry& registry, std::int64_t a, std::int64_t b) {
    SQLite::Statement st(registry.db(), "SELECT decision FROM pair_decisions WHERE a = ? AND b = ?");
    st.bind(1, std::min(a, b));
    st.bind(2, std::max(a, b));
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getString();
}

std::vector<std::pair<std::int64_t, std::int64_t>> decided_pairs(Registry& registry) {
    std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
    SQLite::Statement st(registry.db(), "SELECT a, b FROM pair_decisions");
    while (st.executeStep()) pairs.emplace_back(st.getColumn(0).getInt64(), st.getColumn(1).getInt64());
    return pairs;
}

void record_pair_decision(Registry& registry, std::int64_t a, std::int64_t b,
                          std::string_view decision, const std::string& now) {
    SQLite::Statement st(registry.db(),
                         "INSERT INTO pair_decisions (a, b, decision, decided_at) VALUES (?, ?, "
                         "?, ?) ON CONFLICT (a, b) DO UPDATE SET decision = excluded.decision, "
                         "decided_at = excluded.decided_at");
    st.bind(1, std::min(a, b));
    st.bind(2, std::max(a, b));
    st.bind(3, std::string(decision));
    st.bind(4, now);
    st.exec();
}

void forget_same_decision(Registry& registry, std::int64_t a, std::int64_t b) {
    SQLite::Statement st(registry.db(), "DELETE FROM pair_decisions WHERE a = ? AND b = ? AND "
                                        "decision = 'same'");
    st.bind(1, std::min(a, b));
    st.bind(2, std::max(a, b));
    st.exec();
}

void touch_claimant(Registry& registry, std::int64_t id, const std::string& now) {
    SQLite::Statement st(registry.db(), "UPDATE claimants SET changed_at = ? WHERE id = ?");
    st.bind(1, now);
    st.bind(2, id);
    st.exec();
}

void set_linked(Registry& registry, std::int64_t other, std::int64_t keep, const std::string& now) {
    SQLite::Statement st(registry.db(),
                         "UPDATE claimants SET state = ?1, linked_to = ?2, state_changed_at = ?3, "
                         "changed_at = ?3 WHERE id = ?4");
    st.bind(1, std::string(to_string(State::linked)));
    st.bind(2, keep);
    st.bind(3, now);
    st.bind(4, other);
    st.exec();
}

void set_unlinked(Registry& registry, std::int64_t id, const std::string& now) {
    SQLite::Statement st(registry.db(),
                         "UPDATE claimants SET state = ?1, linked_to = NULL, state_changed_at = "
                         "?2, changed_at = ?2 WHERE id = ?3");
    st.bind(1, std::string(to_string(State::active)));
    st.bind(2, now);
    st.bind(3, id);
    st.exec();
}

} // namespace claimreg::store
