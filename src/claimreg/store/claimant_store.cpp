#include "claimant_store.hpp"

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/eligibility.hpp"
#include "statement.hpp"

namespace claimreg::store {

std::vector<LinkedRegistration> registrations_of(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT r.id, external_ref, registrant_name, "
                                        "registrant_email, registrant_phone, registrant_relation, "
                                        "consent, registered_at, s.name, source_line, added_at "
                                        "FROM registrations AS r LEFT JOIN sources AS s ON s.id = "
                                        "r.source_id WHERE claimant_id = ? ORDER BY r.id");
    st.bind(1, id);
    std::vector<LinkedRegistration> out;
    while (st.executeStep()) {
        LinkedRegistration r;
        r.id = st.getColumn(0).getInt64();
        r.external_ref = text_or_empty(st, 1);
        r.registrant_name = text_or_empty(st, 2);
        r.registrant_email = text_or_empty(st, 3);
        r.registrant_phone = text_or_empty(st, 4);
        r.registrant_relation = text_or_empty(st, 5);
        r.consent = st.getColumn(6).getInt() != 0;
        r.registered_at = text_or_empty(st, 7);
        r.source = text_or_empty(st, 8);
        if (!st.getColumn(9).isNull()) r.source += fmt::format(":{}", st.getColumn(9).getInt64());
        r.added_at = text_or_empty(st, 10);
        out.push_back(std::move(r));
    }
    return out;
}

void visit_active_registration_contacts(
    Registry& registry,
    const std::function<void(std::int64_t, std::string_view, std::string_view)>& visit) {
    SQLite::Statement st(registry.db(), "SELECT r.claimant_id, r.registrant_email, "
                                        "r.registrant_phone FROM registrations AS r CROSS JOIN "
                                        "claimants AS c ON c.id = r.claimant_id WHERE c.state = ?1");
    st.bind(1, std::string(to_string(State::active)));
    const auto view = [&st](int column) {
        const SQLite::Column c = st.getColumn(column);
        return std::string_view(c.getText(""), static_cast<std::size_t>(c.getBytes()));
    };
    while (st.executeStep()) visit(st.getColumn(0).getInt64(), view(1), view(2));
}

std::optional<std::int64_t> registration_count(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT (SELECT count(*) FROM registrations WHERE "
                                        "claimant_id = ?1) FROM claimants WHERE id = ?1");
    st.bind(1, id);
    if (!st.executeStep()) return std::nullopt;
    return st.getColumn(0).getInt64();
}

std::optional<State> stored_state(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT state FROM claimants WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) return std::nullopt;
    return parse_state(st.getColumn(0).getString());
}

void set_state(Registry& registry, std::int64_t id, const StateChange& change) {
    SQLite::Statement& st =
        registry.statement("UPDATE claimants SET state = ?1, state_changed_at = ?2, "
                           "changed_at = ?2, verdict = ?3, reasons = ?4, age_band = ?5, "
                           "check_id = ?6 WHERE id = ?7");
    st.bind(1, std::string(change.state));
    st.bind(2, std::string(change.at));
    st.bind(3, std::string(change.verdict));
    st.bind(4, std::string(change.reasons));
    st.bind(5, std::string(change.age_band));
    st.bind(6, change.check_id);
    st.bind(7, id);
    st.exec();
}

void delete_claimant(Registry& registry, std::int64_t id) {
    // secure_delete (set on every connection) zeroes the freed cells and pages.
    SQLite::Statement registrations(registry.db(), "DELETE FROM registrations WHERE claimant_id = ?");
    registrations.bind(1, id);
    registrations.exec();
    SQLite::Statement claimant(registry.db(), "DELETE FROM claimants WHERE id = ?");
    claimant.bind(1, id);
    claimant.exec();
}

void relink_claimants(Registry& registry, std::int64_t from, std::int64_t to) {
    SQLite::Statement relink(registry.db(), "UPDATE claimants SET linked_to = ?1 WHERE linked_to = ?2");
    relink.bind(1, to);
    relink.bind(2, from);
    relink.exec();
}

bool truncate_wal(Registry& registry) {
    // Waits (busy timeout) for readers; one still reading leaves it incomplete.
    SQLite::Statement checkpoint(registry.db(), "PRAGMA wal_checkpoint(TRUNCATE)");
    if (checkpoint.executeStep()) return checkpoint.getColumn(0).getInt() == 0;
    return true;
}

} // namespace claimreg::store
