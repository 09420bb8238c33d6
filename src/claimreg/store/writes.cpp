// The small writes that commands share: transactions, the `checks` and `sources` rows,
// dropping and restoring the claimants' indexes and triggers, direct tally counts, and SQL
// functions of one connection.

#include <string>
#include <vector>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "claimreg/error.hpp"
#include "claimreg/registry.hpp"
#include "schema.hpp"

namespace claimreg {

std::int64_t record_check(Registry& registry, const RuleSet& rules, Date as_of, CheckScope scope) {
    auto& db = registry.db();
    const std::string as_of_text = format_date(as_of);
    const std::string rule_set(rules.name);
    if (scope == CheckScope::rows) {
        SQLite::Statement& newest =
            registry.statement("SELECT id FROM checks WHERE id = (SELECT max(id) FROM checks) "
                               "AND scope = 'rows' AND rule_set = ? AND as_of = ?");
        newest.bind(1, rule_set);
        newest.bind(2, as_of_text);
        if (newest.executeStep()) {
            const std::int64_t id = newest.getColumn(0).getInt64();
            newest.reset();
            return id;
        }
    }
    SQLite::Statement& insert =
        registry.statement("INSERT INTO checks (rule_set, as_of, scope) VALUES (?, ?, ?)");
    insert.bind(1, rule_set);
    insert.bind(2, as_of_text);
    insert.bind(3, scope == CheckScope::all ? "all" : "rows");
    insert.exec();
    return db.getLastInsertRowid();
}

std::vector<std::string> drop_claimants_schema(Registry& registry, std::string_view type,
                                               std::string_view prefix) {
    std::vector<std::string> definitions;
    for (const store::SchemaObject& o : store::reference_schema(Registry::schema_version)) {
        if (o.type != type || o.table != "claimants" || o.sql.empty() ||
            o.name.compare(0, prefix.size(), prefix) != 0) {
            continue;
        }
        // Our own names: plain identifiers.
        registry.db().exec(
            fmt::format("DROP {} {}", type == "index" ? "INDEX" : "TRIGGER", o.name));
        definitions.push_back(o.sql);
    }
    return definitions;
}

DirectFunction::DirectFunction(Registry& registry, const char* name, int arguments,
                               void* context, Impl impl)
    : registry_(registry), name_(name), arguments_(arguments) {
    if (sqlite3_create_function(registry.db().getHandle(), name, arguments,
                                SQLITE_UTF8 | SQLITE_DIRECTONLY, context, impl, nullptr,
                                nullptr) != SQLITE_OK) {
        throw Error(fmt::format("cannot register SQL function {}", name), ExitStatus::internal);
    }
}

DirectFunction::~DirectFunction() {
    sqlite3_create_function(registry_.db().getHandle(), name_, arguments_, SQLITE_UTF8, nullptr,
                            nullptr, nullptr, nullptr);
}

TallyWriter::TallyWriter(Registry& registry)
    : registry_(registry),
      upsert_(std::make_unique<SQLite::Statement>(
          registry.db(), "INSERT INTO tallies VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE "
                         "SET n = n + excluded.n")) {}

void TallyWriter::add(std::string_view state, std::string_view verdict, std::string_view age_band,
                      std::string_view birth, std::int64_t n) {
    upsert_->reset();
    upsert_->bind(1, std::string(state));
    upsert_->bind(2, std::string(verdict));
    upsert_->bind(3, std::string(age_band));
    upsert_->bind(4, std::string(birth));
    upsert_->bind(5, n);
    upsert_->exec();
    removed_ = removed_ || n < 0;
}

void TallyWriter::finish() {
    upsert_->reset();
    if (removed_) registry_.db().exec("DELETE FROM tallies WHERE n = 0");
    removed_ = false;
}

TallyWriter::~TallyWriter() {
    try {
        finish();
    } catch (...) {
        // the caller's transaction fails or rolls back anyway
    }
}

std::int64_t source_id(Registry& registry, std::string_view name) {
    auto& db = registry.db();
    SQLite::Statement find(db, "SELECT id FROM sources WHERE name = ?");
    find.bind(1, std::string(name));
    if (find.executeStep()) return find.getColumn(0).getInt64();
    SQLite::Statement insert(db, "INSERT INTO sources (name) VALUES (?)");
    insert.bind(1, std::string(name));
    insert.exec();
    return db.getLastInsertRowid();
}

WriteTransaction::WriteTransaction(Registry& registry) : registry_(registry) {
    registry_.db().exec("BEGIN IMMEDIATE");
}

WriteTransaction::~WriteTransaction() {
    if (open_) registry_.db().tryExec("ROLLBACK");
}

void WriteTransaction::commit() {
    registry_.db().exec("COMMIT");
    open_ = false;
}

} // namespace claimreg
