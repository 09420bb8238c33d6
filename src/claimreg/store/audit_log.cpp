#include "audit_log.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "statement.hpp"

namespace claimreg::store {

namespace {

void bind_optional(SQLite::Statement& st, int index, std::optional<std::int64_t> value) {
    if (value) {
        st.bind(index, *value);
    } else {
        st.bind(index);
    }
}

std::vector<AuditEvent> events(SQLite::Statement& st) {
    std::vector<AuditEvent> out;
    while (st.executeStep()) {
        AuditEvent e;
        e.id = st.getColumn(0).getInt64();
        e.at = text_or_empty(st, 1);
        e.action = text_or_empty(st, 2);
        e.claimant_id = optional_int(st, 3);
        e.count = optional_int(st, 4);
        e.detail = text_or_empty(st, 5);
        out.push_back(std::move(e));
    }
    return out;
}

} // namespace

void insert_audit(Registry& registry, std::string_view action,
                  std::optional<std::int64_t> claimant_id, std::optional<std::int64_t> count,
                  std::string_view detail, std::string_view at) {
    SQLite::Statement& st = registry.statement("INSERT INTO audit (at, action, claimant_id, "
                                               "count, detail) VALUES (?, ?, ?, ?, ?)");
    st.bind(1, std::string(at));
    st.bind(2, std::string(action));
    bind_optional(st, 3, claimant_id);
    bind_optional(st, 4, count);
    if (detail.empty()) {
        st.bind(5);
    } else {
        st.bind(5, std::string(detail));
    }
    st.exec();
}

std::vector<AuditEvent> audit_of_claimant(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT id, at, action, claimant_id, count, detail FROM "
                                        "audit WHERE claimant_id = ? ORDER BY id");
    st.bind(1, id);
    return events(st);
}

std::vector<AuditEvent> audit_of_action(Registry& registry, std::string_view action) {
    SQLite::Statement st(registry.db(), "SELECT id, at, action, claimant_id, count, detail FROM "
                                        "audit WHERE action = ? ORDER BY id");
    st.bind(1, std::string(action));
    return events(st);
}

std::optional<std::string> latest_audit_at(Registry& registry, std::string_view action,
                                           std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT at FROM audit WHERE action = ? AND "
                                        "claimant_id = ? ORDER BY id DESC LIMIT 1");
    st.bind(1, std::string(action));
    st.bind(2, id);
    if (!st.executeStep()) return std::nullopt;
    return text_or_empty(st, 0);
}

std::uint64_t count_audit(Registry& registry, std::string_view action) {
    SQLite::Statement st(registry.db(), "SELECT count(*) FROM audit WHERE action = ?");
    st.bind(1, std::string(action));
    st.executeStep();
    return static_cast<std::uint64_t>(st.getColumn(0).getInt64());
}

} // namespace claimreg::store
