#include "schema.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "claimreg/columns.hpp"
#include "claimreg/error.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/text.hpp"

namespace claimreg::store {

namespace {

// Each entry brings the schema from version i to i+1, in its own transaction. The text is
// history, kept literal: what a registry of that version holds, whatever the column table
// (claimreg/columns.hpp) says today. A new column is a new migration (and a row there).
constexpr std::array<const char*, Registry::schema_version> migrations = {
    // 1: claimants (one per child) and the further registrations linked to them.
    R"sql(
CREATE TABLE claimants (
    id INTEGER PRIMARY KEY,
    identity_digest INTEGER NOT NULL,
    external_ref TEXT,
    child_first_name TEXT NOT NULL,
    child_name_prefix TEXT NOT NULL,
    child_last_name TEXT NOT NULL,
    child_birth_date TEXT NOT NULL,
    country TEXT NOT NULL,
    postcode TEXT NOT NULL,
    house_number TEXT NOT NULL,
    platform TEXT NOT NULL,
    first_use TEXT NOT NULL,
    last_use TEXT,
    registrant_name TEXT NOT NULL,
    registrant_email TEXT NOT NULL,
    registrant_phone TEXT NOT NULL,
    registrant_relation TEXT NOT NULL,
    consent INTEGER NOT NULL,
    registered_at TEXT NOT NULL,
    source TEXT NOT NULL,
    source_line INTEGER,
    state TEXT NOT NULL DEFAULT 'active',
    state_changed_at TEXT,
    verdict TEXT NOT NULL,
    reasons TEXT NOT NULL,
    age_band TEXT NOT NULL,
    rule_set TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    changed_at TEXT NOT NULL
) STRICT;
CREATE INDEX claimants_identity ON claimants(identity_digest);
CREATE INDEX claimants_external_ref ON claimants(external_ref) WHERE external_ref IS NOT NULL;
CREATE TABLE registrations (
    id INTEGER PRIMARY KEY,
    claimant_id INTEGER NOT NULL REFERENCES claimants(id) ON DELETE CASCADE,
    external_ref TEXT,
    registrant_name TEXT NOT NULL,
    registrant_email TEXT NOT NULL,
    registrant_phone TEXT NOT NULL,
    registrant_relation TEXT NOT NULL,
    consent INTEGER NOT NULL,
    registered_at TEXT NOT NULL,
    source TEXT NOT NULL,
    source_line INTEGER,
    added_at TEXT NOT NULL
) STRICT;
CREATE INDEX registrations_claimant ON registrations(claimant_id);
CREATE INDEX registrations_external_ref ON registrations(external_ref) WHERE external_ref IS NOT NULL;
)sql",
    // 2: counting (stats). A covering index in the order of the summary and of --count and
    // --by state|verdict|age-band|birth-year, which scan it without sorting or reading rows.
    R"sql(
CREATE INDEX claimants_counting ON claimants(state, verdict, age_band, child_birth_date);
)sql",
    // 3: the append-only audit trail (lifecycle.hpp): what happened when, in counts and ids,
    // never personal data. It outlives erased claimants and keeps their ids from reuse.
    R"sql(
CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    claimant_id INTEGER,
    count INTEGER,
    detail TEXT
) STRICT;
CREATE INDEX audit_claimant ON audit(claimant_id) WHERE claimant_id IS NOT NULL;
CREATE INDEX audit_action ON audit(action, claimant_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql",
    // 4: where a row came from and which check evaluated it become small integers referring to
    // `sources` and `checks` (a row is about 40 bytes narrower), and a check of all rows is
    // one `checks` row instead of a rewrite of every claimant (registry.hpp, record_check).
    R"sql(
CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
) STRICT;
INSERT INTO sources (name)
    SELECT source FROM claimants UNION SELECT source FROM registrations ORDER BY 1;
CREATE TABLE checks (
    id INTEGER PRIMARY KEY,
    rule_set TEXT NOT NULL,
    as_of TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('rows', 'all'))
) STRICT;
INSERT INTO checks (rule_set, as_of, scope)
    SELECT DISTINCT rule_set, checked_at, 'rows' FROM claimants ORDER BY checked_at, rule_set;
ALTER TABLE claimants ADD COLUMN source_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE claimants ADD COLUMN check_id INTEGER NOT NULL DEFAULT 0;
UPDATE claimants SET
    source_id = (SELECT id FROM sources WHERE name = claimants.source),
    check_id = (SELECT id FROM checks WHERE rule_set = claimants.rule_set AND
                as_of = claimants.checked_at);
ALTER TABLE claimants DROP COLUMN source;
ALTER TABLE claimants DROP COLUMN rule_set;
ALTER TABLE claimants DROP COLUMN checked_at;
ALTER TABLE registrations ADD COLUMN source_id INTEGER NOT NULL DEFAULT 0;
UPDATE registrations SET source_id = (SELECT id FROM sources WHERE name = registrations.source);
ALTER TABLE registrations DROP COLUMN source;
)sql",
    // 5: counting (stats) reads `tallies`, the number of claimants per state, verdict, age band
    // and birth date, kept by triggers (and by a bulk import itself, registry.hpp); it replaces
    // the counting index of migration 2, which cost an import more than all its rows.
    R"sql(
CREATE TABLE tallies (
    state TEXT NOT NULL,
    verdict TEXT NOT NULL,
    age_band TEXT NOT NULL,
    child_birth_date TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (state, verdict, age_band, child_birth_date)
) WITHOUT ROWID, STRICT;
INSERT INTO tallies
    SELECT state, verdict, age_band, child_birth_date, count(*) FROM claimants
    GROUP BY state, verdict, age_band, child_birth_date;
DROP INDEX IF EXISTS claimants_counting;
CREATE TRIGGER tallies_insert AFTER INSERT ON claimants BEGIN
    INSERT INTO tallies VALUES (NEW.state, NEW.verdict, NEW.age_band, NEW.child_birth_date, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER tallies_delete AFTER DELETE ON claimants BEGIN
    UPDATE tallies SET n = n - 1 WHERE state = OLD.state AND verdict = OLD.verdict AND
        age_band = OLD.age_band AND child_birth_date = OLD.child_birth_date;
    DELETE FROM tallies WHERE state = OLD.state AND verdict = OLD.verdict AND
        age_band = OLD.age_band AND child_birth_date = OLD.child_birth_date AND n = 0;
END;
CREATE TRIGGER tallies_update AFTER UPDATE OF state, verdict, age_band, child_birth_date
ON claimants BEGIN
    UPDATE tallies SET n = n - 1 WHERE state = OLD.state AND verdict = OLD.verdict AND
        age_band = OLD.age_band AND child_birth_date = OLD.child_birth_date;
    DELETE FROM tallies WHERE state = OLD.state AND verdict = OLD.verdict AND
        age_band = OLD.age_band AND child_birth_date = OLD.child_birth_date AND n = 0;
    INSERT INTO tallies VALUES (NEW.state, NEW.verdict, NEW.age_band, NEW.child_birth_date, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
END;
)sql",
    // 6: names without default-ignorable code points, and identity keys recomputed without
    // them (recompute_identities, in C++); the schema objects stay those of 5.
    "",
    // 7: erasure sticks (erasure.hpp): the registry's random secret (made in C++ from
    // getrandom(2), create_registry_secret) and the keyed digests of erased children. Each
    // claimant keeps a keyed digest of its fields (Registrar::digest_content; filled in for the
    // stored claimants in C++, fill_content_digests), so that a re-sent row that changed
    // nothing is known without reading the claimant.
    R"sql(
ALTER TABLE claimants ADD COLUMN content_digest INTEGER NOT NULL DEFAULT 0;
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID, STRICT;
CREATE TABLE erased_keys (
    digest BLOB PRIMARY KEY
) WITHOUT ROWID, STRICT;
)sql",
    // 8: review of near-duplicates (duplicates.hpp, review.hpp): a claimant linked into another
    // (`link KEEP OTHER`) keeps its row, with linked_to = KEEP and state 'linked', so that
    // `unlink` can restore it; a decided pair is never proposed again.
    R"sql(
ALTER TABLE claimants ADD COLUMN linked_to INTEGER;
CREATE TABLE pair_decisions (
    a INTEGER NOT NULL,
    b INTEGER NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('same', 'distinct')),
    decided_at TEXT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
) WITHOUT ROWID, STRICT;
)sql",
};

std::vector<SchemaObject> read_schema(SQLite::Database& db) {
    std::vector<SchemaObject> objects;
    SQLite::Statement st(db, "SELECT type, name, tbl_name, sql FROM sqlite_schema");
    while (st.executeStep()) {
        objects.push_back({st.getColumn(0).getString(), st.getColumn(1).getString(),
                           st.getColumn(2).getString(),
                           st.getColumn(3).isNull() ? std::string() : st.getColumn(3).getString()});
    }
    std::sort(objects.begin(), objects.end());
    return objects;
}

/// A name read from the file, fit to print: letters, digits and `_` kept, at most 40.
std::string printable_name(std::string_view name) {
    std::string out;
    for (const char c : name.substr(0, 40)) {
        out += is_ascii_alpha(c) || is_ascii_digit(c) || c == '_' ? c : '?';
    }
    return out;
}

/// What differs between the file's schema objects and this build's: empty when none.
std::string schema_difference(const std::vector<SchemaObject>& found,
                              const std::vector<SchemaObject>& expected) {
    std::vector<std::string> differences;
    const auto find = [](const std::vector<SchemaObject>& in, const SchemaObject& o) {
        return std::find_if(in.begin(), in.end(), [&](const SchemaObject& x) {
            return x.type == o.type && x.name == o.name;
        });
    };
    for (const SchemaObject& o : found) {
        const auto e = find(expected, o);
        if (e == expected.end()) {
            differences.push_back(fmt::format("unexpected {} {}", o.type, printable_name(o.name)));
        } else if (*e != o) {
            differences.push_back(
                fmt::format("{} {} is not claimreg's", o.type, printable_name(o.name)));
        }
    }
    for (const SchemaObject& o : expected) {
        if (find(found, o) == found.end()) {
            differences.push_back(fmt::format("missing {} {}", o.type, o.name));
        }
    }
    std::string text;
    for (std::size_t i = 0; i < differences.size() && i < 3; ++i) {
        text += (i == 0 ? "" : ", ") + differences[i];
    }
    if (differences.size() > 3) text += fmt::format(" and {} more", differences.size() - 3);
    return text;
}

DataError not_a_registry(const std::string& path, std::string_view why) {
    return DataError(fmt::format("{} is not a claimreg registry ({}): refused, nothing changed",
                                 path, why));
}

// What this build's migrations create, built once in a private in-memory database.
struct Reference {
    std::array<std::vector<SchemaObject>, Registry::schema_version + 1> schemas;
    std::array<bool, field_count> nullable{};
};

const Reference& reference() {
    static const Reference built = [] {
        Reference out;
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        for (std::size_t v = 1; v <= migrations.size(); ++v) {
            db.exec(migrations[v - 1]);
            out.schemas[v] = read_schema(db);
        }
        SQLite::Statement columns(db,
                                  "SELECT name, \"notnull\" FROM pragma_table_info('claimants')");
        while (columns.executeStep()) {
            const std::string name = columns.getColumn(0).getString();
            for (const FieldColumn& c : field_columns) {
                if (c.name == name) {
                    out.nullable[static_cast<std::size_t>(c.field)] =
                        columns.getColumn(1).getInt() == 0;
                }
            }
        }
        return out;
    }();
    return built;
}

} // namespace

const char* migration_sql(int version) {
    return migrations.at(static_cast<std::size_t>(version - 1));
}

const std::vector<SchemaObject>& reference_schema(int version) {
    return reference().schemas.at(static_cast<std::size_t>(version));
}

const std::array<bool, field_count>& nullable_fields() { return reference().nullable; }

int verify_registry(SQLite::Database& db, const std::string& path) {
    int app_id = 0;
    int version = 0;
    std::vector<SchemaObject> found;
    try {
        app_id = db.execAndGet("PRAGMA application_id").getInt();
        version = db.execAndGet("PRAGMA user_version").getInt();
        found = read_schema(db);
    } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode() & 0xff;
        if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
            throw not_a_registry(path, "not an SQLite database, or a damaged one");
        }
        throw;
    }
    if (app_id == 0 && version == 0 && found.empty()) return 0; // an empty database
    if (app_id != Registry::application_id) throw not_a_registry(path, "another application id");
    if (version > Registry::schema_version) {
        throw DataError(fmt::format(
            "registry {} has schema version {}, newer than this claimreg understands ({}): "
            "upgrade claimreg",
            path, version, Registry::schema_version));
    }
    if (version < 1) throw not_a_registry(path, "no schema version");
    if (const std::string diff = schema_difference(found, reference_schema(version));
        !diff.empty()) {
        throw not_a_registry(path, diff);
    }
    return version;
}

} // namespace claimreg::store
