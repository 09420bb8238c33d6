#include "claimreg/registry.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <compare>
#include <string>

#include <fmt/format.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>

#include "claimreg/clock.hpp"
#include "claimreg/erasure.hpp"
#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"

namespace claimreg {

namespace {

// Each entry brings the schema from version i to i+1, in its own transaction.
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

// ---- the registry file is untrusted input -------------------------------------------------

/// One row of `sqlite_schema`: what a schema object is, and its SQL (empty for an automatic
/// index).
struct SchemaObject {
    std::string type, name, table, sql;
    auto operator<=>(const SchemaObject&) const = default;
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

/// The schema objects of `version` exactly as this build's migrations create them: built once
/// per version in a private in-memory database.
const std::vector<SchemaObject>& reference_schema(int version) {
    static const std::array<std::vector<SchemaObject>, Registry::schema_version + 1> schemas = [] {
        std::array<std::vector<SchemaObject>, Registry::schema_version + 1> all;
        SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        for (std::size_t v = 1; v <= migrations.size(); ++v) {
            db.exec(migrations[v - 1]);
            all[v] = read_schema(db);
        }
        return all;
    }();
    return schemas.at(static_cast<std::size_t>(version));
}

/// A name read from the file, fit to print: letters, digits and `_` kept, at most 40.
std::string printable_name(std::string_view name) {
    std::string out;
    for (const char c : name.substr(0, 40)) {
        const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                           (c >= '0' && c <= '9') || c == '_';
        out += plain ? c : '?';
    }
    return out;
}

/// What differs between the file's schema objects and this build's: empty when none.
std::string schema_difference(const std::vector<SchemaObject>& found,
                              const std::vector<SchemaObject>& expected) {
    std::vector<std::string> differences;
    const auto find = [](const std::vector<SchemaObject>& in, const SchemaObject& o) {
        return std::find_if(in.begin(), in.end(),
                            [&](const SchemaObject& x) { return x.type == o.type && x.name == o.name; });
    };
    for (const SchemaObject& o : found) {
        const auto e = find(expected, o);
        if (e == expected.end()) {
            differences.push_back(fmt::format("unexpected {} {}", o.type, printable_name(o.name)));
        } else if (*e != o) {
            differences.push_back(fmt::format("{} {} is not claimreg's", o.type, printable_name(o.name)));
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

NotFoundError no_registry(const std::string& path) {
    return NotFoundError(fmt::format(
        "no registry at {} (create one with 'claimreg add' or 'claimreg import-csv', "
        "or point --db / CLAIMREG_DB at an existing one)",
        path));
}

DataError not_a_registry(const std::string& path, std::string_view why) {
    return DataError(fmt::format("{} is not a claimreg registry ({}): refused, nothing changed",
                                 path, why));
}

/// Checks the file behind `db` before anything else reads or writes it and returns its schema
/// version: 0 for an empty database (a new registry). Throws DataError.
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
    if (const std::string diff = schema_difference(found, reference_schema(version)); !diff.empty()) {
        throw not_a_registry(path, diff);
    }
    return version;
}

/// Before data is written: a registry readable by group or others (restored with `cp`, say)
/// is made 0600 with its -wal/-shm, or refused when it is not ours to change.
void make_private(const std::string& path, const RegistryOptions& options) {
    bool changed = false;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        const std::string file = path + suffix;
        struct stat st {};
        if (::stat(file.c_str(), &st) != 0 || (st.st_mode & 077) == 0) continue;
        if (st.st_uid != ::geteuid()) {
            throw DataError(fmt::format(
                "registry {} is readable by group or others and owned by another user: refused "
                "(its owner can make it private with chmod 600)",
                path));
        }
        if (::chmod(file.c_str(), st.st_mode & 0700) != 0) {
            throw CannotCreateError(
                fmt::format("cannot make registry {} private: {}", path, errno_text(errno)));
        }
        changed = true;
    }
    if (changed && options.on_notice) {
        options.on_notice(fmt::format(
            "registry {} was readable by group or others: made it private (mode 600)", path));
    }
}

/// A `file:` URI for `path` opened immutable: for a registry on read-only media, whose -shm
/// cannot be created.
std::string immutable_uri(const std::string& path) {
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '?' || c == '#' || c == '%') {
            uri += fmt::format("%{:02X}", static_cast<unsigned char>(c));
        } else {
            uri += c;
        }
    }
    return uri + "?immutable=1";
}

/// Connection settings that keep SQL stored in the file from running with our privileges.
void harden(SQLite::Database& db) {
    sqlite3* h = db.getHandle();
    sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
    sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
}

void defend(SQLite::Database& db) {
    sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
}

// Creates an empty file with mode 0600 so that SQLite (and its -wal/-shm) inherit it.
void create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return;
        throw CannotCreateError(
            fmt::format("cannot create registry {}: {}", path, errno_text(errno)));
    }
    ::close(fd);
}

int pragma_int(SQLite::Database& db, const char* pragma) {
    return db.execAndGet(fmt::format("PRAGMA {}", pragma)).getInt();
}

void recompute_identities(SQLite::Database& db, const RegistryOptions& options);
void fill_content_digests(SQLite::Database& db);

/// A statement read through SQLite's own calls, for scans of every claimant: SQLiteCpp's
/// Column objects cost a shared pointer each.
class Scan {
  public:
    Scan(SQLite::Database& db, const std::string& sql) : db_(db.getHandle()) {
        const int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &st_, nullptr);
        if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
    }
    ~Scan() { sqlite3_finalize(st_); }
    Scan(const Scan&) = delete;
    Scan& operator=(const Scan&) = delete;
    /// The next row; false at the end.
    bool step() {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw SQLite::Exception(db_, rc);
    }
    std::int64_t integer(int column) const { return sqlite3_column_int64(st_, column); }
    bool null(int column) const { return sqlite3_column_type(st_, column) == SQLITE_NULL; }
    /// Column `column` as text (NULL as empty), valid until the next step.
    std::string_view text(int column) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, column));
        if (p == nullptr) return {};
        return {p, static_cast<std::size_t>(sqlite3_column_bytes(st_, column))};
    }

  private:
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

// The canonical fields of a stored claimant, in Field order.
#define CLAIMREG_STORED_FIELDS                                                                  \
    "external_ref, child_first_name, child_name_prefix, child_last_name, child_birth_date, "  \
    "country, postcode, house_number, platform, first_use, last_use, registrant_name, "       \
    "registrant_email, registrant_phone, registrant_relation, consent, registered_at"
// A stored claimant as an update compares it: the canonical fields, then state, verdict and
// age band.
constexpr const char* stored_claimant_select =
    "SELECT " CLAIMREG_STORED_FIELDS ", state, verdict, age_band FROM claimants";

/// The content digest of a claimant whose fields, as stored (Field order, NULL as empty), are
/// `fields`: SipHash-2-4 of each field's length (4 bytes, little-endian) and bytes; never 0.
std::int64_t content_digest(const DigestKey& key,
                            const std::array<std::string_view, field_count>& fields) {
    thread_local std::string buffer;
    buffer.clear();
    for (const std::string_view field : fields) {
        const auto n = static_cast<std::uint32_t>(field.size());
        for (int shift = 0; shift < 32; shift += 8) {
            buffer.push_back(static_cast<char>((n >> shift) & 0xff));
        }
        buffer.append(field);
    }
    const auto digest = static_cast<std::int64_t>(siphash24(key, buffer));
    return digest == 0 ? 1 : digest;
}

/// The identity key of a stored claimant whose identity columns (first name, prefix, last name,
/// birth date, postcode) are the five from `first` of the current row of `st`.
std::string stored_identity_key(SQLite::Statement& st, int first) {
    Registration r;
    r.child_first_name = st.getColumn(first).getString();
    r.child_name_prefix = st.getColumn(first + 1).getString();
    r.child_last_name = st.getColumn(first + 2).getString();
    r.child_birth_date = parse_date(st.getColumn(first + 3).getString());
    r.postcode = st.getColumn(first + 4).getString();
    return identity_key(r);
}

/// Brings a verified registry from `version` to the current schema, one transaction a step.
void migrate(SQLite::Database& db, int version, const RegistryOptions& options) {
    for (; version < Registry::schema_version; ++version) {
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Re-read inside the lock: another process may have migrated meanwhile.
        if (pragma_int(db, "user_version") > version) continue;
        db.exec(migrations[static_cast<std::size_t>(version)]);
        if (version + 1 == 6) recompute_identities(db, options);
        if (version + 1 == 7) {
            create_registry_secret(db);
            fill_content_digests(db);
        }
        db.exec(fmt::format("PRAGMA application_id = {}", Registry::application_id));
        db.exec(fmt::format("PRAGMA user_version = {}", version + 1));
        tx.commit();
    }
}

/// Schema 7: the content digest of every stored claimant.
void fill_content_digests(SQLite::Database& db) {
    const DigestKey key = content_digest_key(db);
    std::vector<std::pair<std::int64_t, std::int64_t>> digests;
    {
        Scan st(db, "SELECT " CLAIMREG_STORED_FIELDS ", id FROM claimants");
        std::array<std::string_view, field_count> fields;
        while (st.step()) {
            for (std::size_t f = 0; f < field_count; ++f) fields[f] = st.text(static_cast<int>(f));
            const std::int64_t id = st.integer(static_cast<int>(field_count));
            digests.emplace_back(id, content_digest(key, fields));
        }
    }
    SQLite::Statement update(db, "UPDATE claimants SET content_digest = ? WHERE id = ?");
    for (const auto& [id, digest] : digests) {
        update.reset();
        update.bind(1, digest);
        update.bind(2, id);
        update.exec();
    }
}

/// Schema 6: names lose their default-ignorable code points and identity keys are computed
/// without them. A claimant that then is the same child as an older one (its names differed
/// only by invisible characters) becomes a registration linked to it: no registration is lost,
/// the count drops by one, and each such link is audited and reported.
void recompute_identities(SQLite::Database& db, const RegistryOptions& options) {
    struct Dirty {
        std::int64_t id;
        std::int64_t digest;
        Registration r;
    };
    std::vector<Dirty> dirty;
    {
        SQLite::Statement st(db, "SELECT id, child_first_name, child_name_prefix, "
                                 "child_last_name, child_birth_date, postcode, identity_digest "
                                 "FROM claimants");
        while (st.executeStep()) {
            Registration r;
            r.child_first_name = st.getColumn(1).getString();
            r.child_name_prefix = st.getColumn(2).getString();
            r.child_last_name = st.getColumn(3).getString();
            const auto ascii = [](const std::string& s) {
                return std::all_of(s.begin(), s.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x80; });
            };
            if (ascii(r.child_first_name) && ascii(r.child_name_prefix) && ascii(r.child_last_name)) {
                continue; // no invisible characters: name and key stay as they are
            }
            r.child_birth_date = parse_date(st.getColumn(4).getString());
            r.postcode = st.getColumn(5).getString();
            dirty.push_back({st.getColumn(0).getInt64(), st.getColumn(6).getInt64(), std::move(r)});
        }
    }
    const std::string now = now_utc();
    SQLite::Statement update(db, "UPDATE claimants SET child_first_name = ?, child_name_prefix = ?, "
                                 "child_last_name = ?, identity_digest = ?, changed_at = ? "
                                 "WHERE id = ?");
    SQLite::Statement same(db, "SELECT id, child_first_name, child_name_prefix, child_last_name, "
                               "child_birth_date, postcode FROM claimants WHERE identity_digest = ? "
                               "AND id != ? ORDER BY id");
    SQLite::Statement link(db, "INSERT INTO registrations (claimant_id, external_ref, "
                               "registrant_name, registrant_email, registrant_phone, "
                               "registrant_relation, consent, registered_at, source_id, "
                               "source_line, added_at) SELECT ?1, external_ref, registrant_name, "
                               "registrant_email, registrant_phone, registrant_relation, consent, "
                               "registered_at, source_id, source_line, ?3 FROM claimants WHERE id = ?2");
    SQLite::Statement move(db, "UPDATE registrations SET claimant_id = ?1 WHERE claimant_id = ?2");
    SQLite::Statement remove(db, "DELETE FROM claimants WHERE id = ?");
    SQLite::Statement touch(db, "UPDATE claimants SET changed_at = ? WHERE id = ?");
    SQLite::Statement audit(db, "INSERT INTO audit (at, action, claimant_id, count, detail) "
                                "VALUES (?, 'linked', ?, 1, ?)");
    const auto clean = [](const std::string& name, bool optional) {
        try {
            return parse_name(name, optional);
        } catch (const RuleError&) { // a name this build would refuse: kept, folded without them
            return name;
        }
    };
    for (Dirty& d : dirty) {
        Registration& r = d.r;
        const std::array<std::string, 3> before = {r.child_first_name, r.child_name_prefix,
                                                   r.child_last_name};
        r.child_first_name = clean(r.child_first_name, false);
        r.child_name_prefix = clean(r.child_name_prefix, true);
        r.child_last_name = clean(r.child_last_name, false);
        const std::string key = identity_key(r);
        const std::int64_t digest = identity_digest(key);
        if (digest == d.digest && before[0] == r.child_first_name &&
            before[1] == r.child_name_prefix && before[2] == r.child_last_name) {
            continue; // non-ASCII, but nothing invisible in it: unchanged, not even changed_at
        }
        update.reset();
        update.bind(1, r.child_first_name);
        update.bind(2, r.child_name_prefix);
        update.bind(3, r.child_last_name);
        update.bind(4, digest);
        update.bind(5, now);
        update.bind(6, d.id);
        update.exec();
        // The oldest other claimant with the same key, if any.
        std::optional<std::int64_t> other;
        same.reset();
        same.bind(1, digest);
        same.bind(2, d.id);
        while (!other && same.executeStep()) {
            if (stored_identity_key(same, 1) == key) other = same.getColumn(0).getInt64();
        }
        same.reset();
        if (!other) continue;
        const std::int64_t keep = std::min(d.id, *other);
        const std::int64_t gone = std::max(d.id, *other);
        for (SQLite::Statement* st : {&link, &move}) {
            st->reset();
            st->bind(1, keep);
            st->bind(2, gone);
            if (st == &link) st->bind(3, now);
            st->exec();
        }
        remove.reset();
        remove.bind(1, gone);
        remove.exec();
        touch.reset();
        touch.bind(1, now);
        touch.bind(2, keep);
        touch.exec();
        audit.reset();
        audit.bind(1, now);
        audit.bind(2, gone);
        audit.bind(3, fmt::format("into={} by=migration-6", keep));
        audit.exec();
        if (options.on_notice) {
            options.on_notice(fmt::format(
                "schema 6: claimant {} is the same child as claimant {} (their names differed "
                "only by invisible characters): now a registration linked to {}",
                gone, keep, keep));
        }
    }
}

} // namespace

Registry::Registry(const std::string& path, OpenMode mode, RegistryOptions options) : path_(path) {
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    const bool empty = !exists || (S_ISREG(st.st_mode) && st.st_size == 0);
    if (mode != OpenMode::write && !exists) throw no_registry(path);
    if (mode != OpenMode::write && empty) {
        throw NotFoundError(fmt::format("no registry in {}: an empty file (a writing command such "
                                        "as 'claimreg import-csv' makes one there)",
                                        path));
    }
    if (!exists) create_private_file(path);
    const int flags =
        (mode == OpenMode::read ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) | SQLite::OPEN_NOMUTEX;
    try {
        db_ = std::make_unique<SQLite::Database>(path, flags, options.busy_timeout_ms);
        harden(*db_);
        opened_version_ = verify_registry(*db_, path);
    } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode() & 0xff;
        if (mode != OpenMode::read || (code != SQLITE_CANTOPEN && code != SQLITE_READONLY)) {
            if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw;
            throw CannotCreateError(fmt::format("cannot open registry {}: {}", path, e.getErrorStr()));
        }
        // Read-only media: its -shm cannot be made, and no other process can be writing.
        db_ = std::make_unique<SQLite::Database>(immutable_uri(path),
                                                 SQLite::OPEN_READONLY | SQLite::OPEN_URI |
                                                     SQLite::OPEN_NOMUTEX,
                                                 options.busy_timeout_ms);
        harden(*db_);
        opened_version_ = verify_registry(*db_, path);
    }
    const bool current = opened_version_ == Registry::schema_version;
    const bool is_new = opened_version_ == 0;
    if (!current && !is_new && (mode == OpenMode::read || !options.migrate)) {
        throw DataError(fmt::format(
            "registry {} has schema version {}; this claimreg reads version {}: run 'claimreg "
            "migrate' to upgrade it (reading commands and dry runs never change a registry)",
            path, opened_version_, Registry::schema_version));
    }
    if (mode == OpenMode::read) {
        defend(*db_);
        return;
    }
    if (exists) make_private(path, options); // before anything is written into it
    // For a new file (no effect on an existing one): 16 KiB pages make a bulk import about a
    // tenth faster than 4 KiB ones, and the registry a little smaller.
    if (is_new) db_->exec(fmt::format("PRAGMA page_size = {}", Registry::page_size));
    db_->exec("PRAGMA foreign_keys = ON");
    db_->exec("PRAGMA secure_delete = ON");
    if (options.unjournaled) {
        db_->exec("PRAGMA journal_mode = OFF");
        db_->exec("PRAGMA synchronous = OFF");
    } else {
        db_->exec("PRAGMA synchronous = FULL");
        enable_wal();
    }
    defend(*db_);
    if (!current) {
        migrate(*db_, opened_version_, options);
        if (!is_new && options.on_notice) {
            options.on_notice(fmt::format("registry {} migrated from schema version {} to {}",
                                          path, opened_version_, Registry::schema_version));
        }
    }
}

SQLite::Statement& Registry::statement(const std::string& sql) {
    auto& st = statements_[sql];
    if (!st) {
        st = std::make_unique<SQLite::Statement>(*db_, sql);
    } else {
        st->reset();
        st->clearBindings();
    }
    return *st;
}

void Registry::enable_wal() {
    if (db_->execAndGet("PRAGMA journal_mode").getString() != "wal") {
        db_->exec("PRAGMA journal_mode = WAL");
    }
}

void remove_registry_files(const std::string& path) {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
}

Registry Registry::scratch() {
    Registry registry;
    registry.db_ = std::make_unique<SQLite::Database>("", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    harden(*registry.db_);
    registry.db_->exec("PRAGMA journal_mode = OFF");
    registry.db_->exec("PRAGMA synchronous = OFF");
    defend(*registry.db_);
    migrate(*registry.db_, 0, RegistryOptions{});
    return registry;
}

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
    for (const SchemaObject& o : reference_schema(Registry::schema_version)) {
        if (o.type != type || o.table != "claimants" || o.sql.empty() ||
            o.name.compare(0, prefix.size(), prefix) != 0) {
            continue;
        }
        // Our own names: plain identifiers.
        registry.db().exec(fmt::format("DROP {} {}", type == "index" ? "INDEX" : "TRIGGER", o.name));
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
      upsert_(registry.db(), "INSERT INTO tallies VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE "
                             "SET n = n + excluded.n") {}

void TallyWriter::add(std::string_view state, std::string_view verdict, std::string_view age_band,
                      std::string_view birth, std::int64_t n) {
    upsert_.reset();
    upsert_.bind(1, std::string(state));
    upsert_.bind(2, std::string(verdict));
    upsert_.bind(3, std::string(age_band));
    upsert_.bind(4, std::string(birth));
    upsert_.bind(5, n);
    upsert_.exec();
    removed_ = removed_ || n < 0;
}

void TallyWriter::finish() {
    upsert_.reset();
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

namespace {

// The fields of the identity key (identity_key()).
constexpr FieldSet identity_fields =
    field_bit(Field::child_first_name) | field_bit(Field::child_name_prefix) |
    field_bit(Field::child_last_name) | field_bit(Field::child_birth_date) |
    field_bit(Field::postcode);

} // namespace

struct Registrar::Statements {
    SQLite::Statement find_ref;
    SQLite::Statement find_identity;
    SQLite::Statement load_identity;
    SQLite::Statement find_linked_email;
    SQLite::Statement insert_linked;
    SQLite::Statement touch_claimant;
    SQLite::Statement load_claimant;
    SQLite::Statement load_registration;
    /// update_claimant()'s, by the fields they set.
    std::unordered_map<FieldSet, std::unique_ptr<SQLite::Statement>> update_claimant_of;
    SQLite::Statement update_registration;
    SQLite::Statement insert_audit;
    SQLite::Statement confirm_claimant_ref;
    SQLite::Statement confirm_linked_ref;
    SQLite::Statement load_link;

    explicit Statements(SQLite::Database& db)
        : find_ref(db, "SELECT id, 0 FROM claimants WHERE external_ref = ?1 "
                       "UNION ALL SELECT claimant_id, id FROM registrations WHERE external_ref = ?1 "
                       "LIMIT 1"),
          find_identity(db, "SELECT id FROM claimants WHERE identity_digest = ?"),
          load_identity(db, "SELECT child_first_name, child_name_prefix, child_last_name, "
                            "child_birth_date, postcode, registrant_email, external_ref FROM "
                            "claimants WHERE id = ?"),
          find_linked_email(db, "SELECT id, external_ref FROM registrations WHERE claimant_id = ? "
                                "AND registrant_email = ? COLLATE NOCASE LIMIT 1"),
          insert_linked(db, "INSERT INTO registrations (claimant_id, external_ref, "
                            "registrant_name, registrant_email, registrant_phone, "
                            "registrant_relation, consent, registered_at, source_id, source_line, "
                            "added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
          touch_claimant(db, "UPDATE claimants SET changed_at = ? WHERE id = ?"),
          load_claimant(db, fmt::format("{} WHERE id = ?", stored_claimant_select)),
          load_registration(db, "SELECT external_ref, registrant_name, registrant_email, "
                                "registrant_phone, registrant_relation, consent, registered_at "
                                "FROM registrations WHERE id = ?"),
          update_registration(db, "UPDATE registrations SET external_ref = ?1, "
                                  "registrant_name = ?2, registrant_email = ?3, "
                                  "registrant_phone = ?4, registrant_relation = ?5, "
                                  "consent = ?6, registered_at = ?7 WHERE id = ?8"),
          insert_audit(db, "INSERT INTO audit (at, action, claimant_id, detail) "
                           "VALUES (?, 'updated', ?, ?)"),
          confirm_claimant_ref(db, fmt::format("{} WHERE id = ?1 AND external_ref = ?2",
                                               stored_claimant_select)),
          confirm_linked_ref(db, "SELECT id FROM registrations WHERE claimant_id = ?1 AND "
                                 "external_ref = ?2 LIMIT 1"),
          load_link(db, "SELECT linked_to FROM claimants WHERE id = ? AND state = 'linked'") {}

    // Finishes every statement: DDL (dropping an index) fails while one is still running.
    void reset_all() {
        for (SQLite::Statement* st :
             {&find_ref, &find_identity, &load_identity, &find_linked_email,
              &insert_linked, &touch_claimant, &load_claimant, &load_registration,
              &update_registration, &insert_audit, &confirm_claimant_ref,
              &confirm_linked_ref, &load_link}) {
            st->reset();
        }
        for (auto& [fields, st] : update_claimant_of) st->reset();
    }

    /// The UPDATE of a claimant whose fields `changed` differ: it sets those columns (the
    /// identity digest with an identity field), the verdict, check, content digest and
    /// changed_at, and leaves the other columns, and the index entries of the unchanged ones,
    /// untouched. Parameters: ?1 to ?17 the fields in Field order, ?18 the identity digest,
    /// ?19 verdict, ?20 reasons, ?21 age band, ?22 check id, ?23 changed_at, ?24 the id, ?25
    /// the content digest (all of them bound; those of unchanged fields unused).
    SQLite::Statement& update_claimant(SQLite::Database& db, FieldSet changed) {
        auto& st = update_claimant_of[changed];
        if (!st) {
            static constexpr std::array<std::string_view, field_count> columns = {
                "external_ref",     "child_first_name", "child_name_prefix",
                "child_last_name",  "child_birth_date", "country",
                "postcode",         "house_number",     "platform",
                "first_use",        "last_use",         "registrant_name",
                "registrant_email", "registrant_phone", "registrant_relation",
                "consent",          "registered_at"};
            std::string sql = "UPDATE claimants SET ";
            for (std::size_t f = 0; f < field_count; ++f) {
                if ((changed & field_bit(static_cast<Field>(f))) != 0) {
                    sql += fmt::format("{} = ?{}, ", columns[f], f + 1);
                }
            }
            if ((changed & identity_fields) != 0) sql += "identity_digest = ?18, ";
            sql += "verdict = ?19, reasons = ?20, age_band = ?21, check_id = ?22, "
                   "changed_at = ?23, content_digest = ?25 WHERE id = ?24";
            st = std::make_unique<SQLite::Statement>(db, sql);
        }
        return *st;
    }
};

namespace {

void bind_text_or_null(SQLite::Statement& st, int index, const std::string& value) {
    if (value.empty()) {
        st.bind(index);
    } else {
        st.bindNoCopy(index, value);
    }
}

void bind_line(SQLite::Statement& st, int index, std::uint64_t line) {
    if (line == 0) {
        st.bind(index);
    } else {
        st.bind(index, static_cast<std::int64_t>(line));
    }
}

// `add`, or `import-csv:FILE`.
std::string source_text(const Source& source) {
    std::string text(source.command);
    if (!source.file.empty()) {
        text += ':';
        text += source.file;
    }
    return text;
}

// Binds who registered, when and from where: the eight consecutive parameters from `first`
// (name, e-mail, phone, relation, consent, registered_at, source id, line) that claimants and
// registrations share. Without copying: `r` must outlive the execution.
void bind_registrant(SQLite::Statement& st, int first, const Registration& r,
                     std::int64_t source, std::uint64_t line) {
    st.bindNoCopy(first, r.registrant_name);
    st.bindNoCopy(first + 1, r.registrant_email);
    st.bindNoCopy(first + 2, r.registrant_phone);
    st.bindNoCopy(first + 3, to_string(r.registrant_relation).data());
    st.bind(first + 4, r.consent ? 1 : 0);
    st.bindNoCopy(first + 5, r.registered_at);
    st.bind(first + 6, source);
    bind_line(st, first + 7, line);
}

// The columns of a new claimant, in the order Registrar::flush() binds them.
constexpr std::string_view claimant_columns =
    "identity_digest, external_ref, child_first_name, child_name_prefix, child_last_name, "
    "child_birth_date, country, postcode, house_number, platform, first_use, last_use, "
    "registrant_name, registrant_email, registrant_phone, registrant_relation, consent, "
    "registered_at, source_id, source_line, verdict, reasons, age_band, check_id, changed_at, id, "
    "content_digest";
constexpr int claimant_params = 27;

// INSERT of `rows` new claimants in one statement.
std::string insert_claimants_sql(std::size_t rows) {
    std::string values = "(?";
    for (int i = 1; i < claimant_params; ++i) values += ", ?";
    values += ')';
    std::string sql = fmt::format("INSERT INTO claimants ({}) VALUES {}", claimant_columns, values);
    for (std::size_t i = 1; i < rows; ++i) (sql += ", ") += values;
    return sql;
}

bool same_email(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

} // namespace

Registrar::Registrar(Registry& registry)
    : registry_(registry), st_(std::make_unique<Statements>(registry.db())) {
    // Above the highest id stored and every id in the audit (erased, or linked into another
    // claimant): rowids alone would hand such an id (and its audit trail) to the next child.
    next_id_ = 1 + registry.db()
                       .execAndGet("SELECT max(coalesce((SELECT max(id) FROM claimants), 0), "
                                   "coalesce((SELECT max(claimant_id) FROM audit), 0))")
                       .getInt64();
    first_id_ = next_id_;
    erased_ = std::make_unique<ErasedKeys>(registry);
    content_key_ = content_digest_key(registry.db());
    SQLite::Statement same(registry.db(), "SELECT a, b FROM pair_decisions WHERE decision = 'same'");
    while (same.executeStep()) {
        decided_same_.insert(same.getColumn(0).getInt64());
        decided_same_.insert(same.getColumn(1).getInt64());
    }
}

std::int64_t Registrar::linked_into(std::int64_t id) {
    if (decided_same_.count(id) == 0) return 0; // never linked: no query
    auto& st = st_->load_link;
    std::int64_t at = id;
    for (int depth = 0; depth < 64; ++depth) { // a link needs an active claimant: no cycle
        st.reset();
        st.bind(1, at);
        if (!st.executeStep() || st.getColumn(0).isNull()) break;
        at = st.getColumn(0).getInt64();
    }
    st.reset();
    return at == id ? 0 : at;
}

Registrar::~Registrar() = default;

void Registrar::begin_bulk(std::uint64_t expected_rows) {
    auto& db = registry_.db();
    const auto claimants = static_cast<std::uint64_t>(
        db.execAndGet("SELECT count(*) FROM claimants").getInt64());
    const auto linked = static_cast<std::uint64_t>(
        db.execAndGet("SELECT count(*) FROM registrations").getInt64());
    keys_.emplace();
    // Room for the stored keys and two more a new row (identity and reference). Into a
    // registry that holds claimants, most rows of a dump are stored already: the rows beyond
    // the stored claimants are new, and a sixteenth of the rows more (new claimants, updated
    // keys) before a segment grows. An index reserved for every row again would be half empty,
    // its pages zeroed for nothing.
    const std::uint64_t new_rows =
        claimants == 0 ? expected_rows
                       : (expected_rows > claimants ? expected_rows - claimants : 0) +
                             expected_rows / 16;
    keys_->reserve(static_cast<std::size_t>(2 * claimants + linked + 2 * new_rows));
    // One pass over the claimants: their keys, and their content digests and states, so that
    // an unchanged same submission costs no read of its row (same_content). Read through
    // SQLite's own calls: SQLiteCpp's Column objects cost an allocation each.
    stored_content_.clear();
    stored_content_.reserve(static_cast<std::size_t>(next_id_)); // above every stored id
    Scan stored(db, "SELECT id, identity_digest, external_ref, content_digest, state "
                    "FROM claimants ORDER BY id");
    // Inserted a few dozen at a time, their slots prefetched together (KeyIndex::insert).
    std::array<KeyIndex::Entry, 64> pending{};
    std::size_t n = 0;
    const auto add_key = [&](std::int64_t digest, std::int64_t id) {
        pending[n++] = KeyIndex::Entry{digest, id};
        if (n == pending.size()) {
            keys_->insert(pending.data(), n);
            n = 0;
        }
    };
    while (stored.step()) {
        const std::int64_t id = stored.integer(0);
        add_key(stored.integer(1), id);
        if (!stored.null(2)) add_key(identity_digest(stored.text(2)), id);
        const auto content = static_cast<std::uint64_t>(stored.integer(3));
        const State state = parse_state(stored.text(4));
        stored_content_.resize(static_cast<std::size_t>(id) + 1, 0);
        // A claimant linked into another takes the slow path, which keeps it linked.
        if (content != 0 && state != State::linked) {
            stored_content_.back() = (content & ~std::uint64_t{3}) |
                                     (static_cast<std::uint64_t>(state) + 1);
        }
    }
    SQLite::Statement refs(db, "SELECT claimant_id, external_ref FROM registrations WHERE "
                               "external_ref IS NOT NULL");
    while (refs.executeStep()) {
        add_key(identity_digest(refs.getColumn(1).getText()), refs.getColumn(0).getInt64());
    }
    keys_->insert(pending.data(), n);
    // Rebuilding costs about as much as maintaining the indexes for a quarter of the rows.
    drop_indexes_after_ = std::max<std::uint64_t>(20000, claimants / 4);
    // New claimants are tallied here and added to `tallies` once, by end_bulk().
    drop_schema("trigger", "tallies_");
}

void Registrar::reset_statements() {
    st_->reset_all();
    for (auto& st : insert_claimants_) {
        if (st) st->reset();
    }
}

void Registrar::drop_schema(std::string_view type, std::string_view prefix) {
    reset_statements();
    for (auto& definition : drop_claimants_schema(registry_, type, prefix)) {
        dropped_schema_.push_back(std::move(definition));
    }
}

void Registrar::end_bulk() {
    flush();
    reset_statements();
    TallyWriter tallies(registry_);
    for (std::size_t i = 0; i < new_tallies_.size(); ++i) {
        if (new_tallies_[i] == 0) continue;
        const auto day = first_tally_day_ + static_cast<std::int64_t>(i / tally_slots);
        const std::size_t slot = i % tally_slots;
        const std::size_t band = slot % band_slots;
        tallies.add(to_string(State::active), to_string(static_cast<VerdictKind>(slot / band_slots)),
                    band == 0 ? std::string_view() : to_string(static_cast<AgeBand>(band - 1)),
                    format_date(Date(std::chrono::sys_days(std::chrono::days(day)))),
                    static_cast<std::int64_t>(new_tallies_[i]));
    }
    for (const auto& [row, n] : moved_tallies_) {
        if (n != 0) tallies.add(row[0], row[1], row[2], row[3], n);
    }
    moved_tallies_.clear();
    tallies.finish(); // its statement reset: the schema below may change
    new_tallies_.clear();
    keys_.reset(); // its memory is the index builds' now
    // An index build sorts its keys with helper threads: the import's reading thread is done.
    auto& db = registry_.db();
    db.exec("PRAGMA threads = 2");
    for (const auto& definition : dropped_schema_) db.exec(definition);
    db.exec("PRAGMA threads = 0");
    dropped_schema_.clear();
    indexes_dropped_ = false;
}

void Registrar::tally(const Verdict& verdict, std::int64_t day) {
    const auto days = static_cast<std::int64_t>(new_tallies_.size() / tally_slots);
    if (new_tallies_.empty()) {
        first_tally_day_ = day;
    } else if (day < first_tally_day_) {
        // Grow by at least the span so far (or a year): a new earliest date moves the counts
        // rarely.
        const std::int64_t first = day - std::max<std::int64_t>(366, days);
        new_tallies_.insert(new_tallies_.begin(),
                            static_cast<std::size_t>(first_tally_day_ - first) * tally_slots, 0);
        first_tally_day_ = first;
    }
    const auto offset = static_cast<std::size_t>(day - first_tally_day_);
    if ((offset + 1) * tally_slots > new_tallies_.size()) {
        const std::size_t grown = std::max(offset + 1, static_cast<std::size_t>(days) + 366);
        new_tallies_.resize(std::max(grown, static_cast<std::size_t>(2 * days)) * tally_slots, 0);
    }
    const std::size_t band = verdict.age_band ? static_cast<std::size_t>(*verdict.age_band) + 1 : 0;
    const auto kind = static_cast<std::size_t>(verdict.verdict);
    ++new_tallies_[offset * tally_slots + kind * band_slots + band];
}

Registrar::Row Registrar::prepare(const Registration& r, const Verdict& verdict) {
    Row row;
    row.identity = identity_key(r);
    row.digest = identity_digest(row.identity);
    if (!r.external_ref.empty()) row.ref_digest = identity_digest(r.external_ref);
    row.birth_date = format_date(r.child_birth_date);
    row.first_use = format_date(r.first_use);
    if (r.last_use) row.last_use = format_date(*r.last_use);
    row.reasons = join_reasons(verdict.reasons);
    row.birth_day = std::chrono::sys_days(r.child_birth_date).time_since_epoch().count();
    return row;
}

std::optional<Registrar::Match> Registrar::find_duplicate(const Registration& r, const Row& row) {
    // The same submission: its external reference was seen before.
    if (!r.external_ref.empty()) {
        std::optional<Match> found;
        if (keys_) {
            // The claimant's own reference: its row, read once for update() to compare.
            keys_->for_each(row.ref_digest, [&](std::int64_t id) {
                if (found) return;
                if (State state{}; same_content(id, row, state)) {
                    found = Match{AddOutcome::same_submission, id, 0, true, false, state};
                    return;
                }
                store_pending(id);
                auto& st = st_->confirm_claimant_ref;
                st.reset();
                st.bind(1, id);
                st.bindNoCopy(2, r.external_ref);
                if (st.executeStep()) {
                    found = Match{AddOutcome::same_submission, id, 0, true, true};
                    return;
                }
                auto& linked = st_->confirm_linked_ref;
                linked.reset();
                linked.bind(1, id);
                linked.bindNoCopy(2, r.external_ref);
                if (linked.executeStep()) {
                    found = Match{AddOutcome::same_submission, id, linked.getColumn(0).getInt64()};
                }
            });
        } else {
            auto& st = st_->find_ref;
            st.reset();
            st.bind(1, r.external_ref);
            if (st.executeStep()) {
                found = Match{AddOutcome::same_submission, st.getColumn(0).getInt64(),
                              st.getColumn(1).getInt64()};
            }
        }
        if (found) return found;
    }
    // The same child: candidates by digest, confirmed against the stored names. Two
    // references that differ are two submissions (a form sent again), not a correction.
    const auto other_ref = [&](const SQLite::Column& stored) {
        return !r.external_ref.empty() && !stored.isNull() && stored.getString() != r.external_ref;
    };
    std::optional<Match> result;
    const auto confirm = [&](std::int64_t id) {
        if (result) return;
        if (State state{}; keys_ && same_content(id, row, state)) {
            result = Match{AddOutcome::same_submission, id, 0, true, false, state};
            return;
        }
        store_pending(id);
        auto& st = st_->load_identity;
        st.reset();
        st.bind(1, id);
        if (!st.executeStep()) return;
        if (stored_identity_key(st, 0) != row.identity) return; // a digest collision: another child
        if (same_email(st.getColumn(5).getString(), r.registrant_email)) {
            result = Match{AddOutcome::same_submission, id, 0, !other_ref(st.getColumn(6))};
            return;
        }
        auto& linked = st_->find_linked_email;
        linked.reset();
        linked.bind(1, id);
        linked.bind(2, r.registrant_email);
        if (linked.executeStep()) {
            result = Match{AddOutcome::same_submission, id, linked.getColumn(0).getInt64(),
                           !other_ref(linked.getColumn(1))};
        } else {
            result = Match{AddOutcome::linked, id};
        }
    };
    if (keys_) {
        keys_->for_each(row.digest, confirm);
    } else {
        std::vector<std::int64_t> candidates;
        auto& st = st_->find_identity;
        st.reset();
        st.bind(1, row.digest);
        while (st.executeStep()) candidates.push_back(st.getColumn(0).getInt64());
        for (const std::int64_t id : candidates) confirm(id);
    }
    return result;
}

std::string_view Registrar::stored_text(const Registration& r, const Row& row, Field f) {
    switch (f) {
    case Field::external_ref: return r.external_ref;
    case Field::child_first_name: return r.child_first_name;
    case Field::child_name_prefix: return r.child_name_prefix;
    case Field::child_last_name: return r.child_last_name;
    case Field::child_birth_date: return row.birth_date;
    case Field::country: return r.country;
    case Field::postcode: return r.postcode;
    case Field::house_number: return r.house_number;
    case Field::platform: return to_string(r.platform);
    case Field::first_use: return row.first_use;
    case Field::last_use: return row.last_use;
    case Field::registrant_name: return r.registrant_name;
    case Field::registrant_email: return r.registrant_email;
    case Field::registrant_phone: return r.registrant_phone;
    case Field::registrant_relation: return to_string(r.registrant_relation);
    case Field::consent: return r.consent ? "1" : "0";
    case Field::registered_at: return r.registered_at;
    }
    return {};
}

namespace {

// Every field of `r` as stored_text() gives it, in Field order.
std::array<std::string_view, field_count> stored_fields(const Registration& r,
                                                        const Registrar::Row& row) {
    std::array<std::string_view, field_count> fields;
    for (std::size_t f = 0; f < field_count; ++f) {
        fields[f] = Registrar::stored_text(r, row, static_cast<Field>(f));
    }
    return fields;
}

// Column `column` of `st` as stored_text() spells it.
std::string column_text(SQLite::Statement& st, int column) {
    const SQLite::Column c = st.getColumn(column);
    return c.isNull() ? std::string() : c.getString();
}

// Sets field `f` of `r` from its stored text (a value the registry validated when storing it).
void set_from_stored(Registration& r, Field f, const std::string& text) {
    switch (f) {
    case Field::external_ref: r.external_ref = text; break;
    case Field::child_first_name: r.child_first_name = text; break;
    case Field::child_name_prefix: r.child_name_prefix = text; break;
    case Field::child_last_name: r.child_last_name = text; break;
    case Field::child_birth_date: r.child_birth_date = parse_date(text); break;
    case Field::country: r.country = text; break;
    case Field::postcode: r.postcode = text; break;
    case Field::house_number: r.house_number = text; break;
    case Field::platform: r.platform = parse_platform(text); break;
    case Field::first_use: r.first_use = parse_date(text); break;
    case Field::last_use:
        r.last_use = text.empty() ? std::nullopt : std::optional<Date>(parse_date(text));
        break;
    case Field::registrant_name: r.registrant_name = text; break;
    case Field::registrant_email: r.registrant_email = text; break;
    case Field::registrant_phone: r.registrant_phone = text; break;
    case Field::registrant_relation: r.registrant_relation = parse_relation(text); break;
    case Field::consent: r.consent = text == "1"; break;
    case Field::registered_at: r.registered_at = text; break;
    }
}

// The fields of `r` compared with the stored registration it matched: those the source gave,
// but not an empty reference (the same child and e-mail matched; a row without a reference
// does not take it away).
FieldSet compared_fields(const Registration& r, const Registrar::Row& row) {
    FieldSet given = row.given;
    if (r.external_ref.empty()) given &= ~field_bit(Field::external_ref);
    return given;
}

// The fields a linked registration holds of its own, in the order of load_registration.
constexpr std::array<Field, 7> registration_fields = {
    Field::external_ref,     Field::registrant_name,     Field::registrant_email,
    Field::registrant_phone, Field::registrant_relation, Field::consent,
    Field::registered_at};

} // namespace

void Registrar::digest_content(const Registration& r, Row& row) const {
    row.content = content_digest(content_key_, stored_fields(r, row));
}

bool Registrar::same_content(std::int64_t id, const Row& row, State& state) const {
    if (row.given != all_fields || row.content == 0 ||
        static_cast<std::uint64_t>(id) >= stored_content_.size()) {
        return false;
    }
    const std::uint64_t stored = stored_content_[static_cast<std::size_t>(id)];
    const auto differing = (stored ^ static_cast<std::uint64_t>(row.content)) & ~std::uint64_t{3};
    if (stored == 0 || differing != 0) {
        return false;
    }
    state = static_cast<State>((stored & 3) - 1);
    return true;
}

std::string field_names(FieldSet fields, std::string_view separator) {
    std::string names;
    for (std::size_t f = 0; f < field_count; ++f) {
        if ((fields & field_bit(static_cast<Field>(f))) == 0) continue;
        if (!names.empty()) names += separator;
        names += field_name(static_cast<Field>(f));
    }
    return names;
}

void Registrar::move_tally(const std::array<std::string, 4>& from,
                           const std::array<std::string, 4>& to) {
    if (!keys_ || from == to) return;
    --moved_tallies_[from];
    ++moved_tallies_[to];
}

std::optional<std::int64_t> Registrar::other_with_identity(std::int64_t id, const std::string& key,
                                                           std::int64_t digest) {
    std::vector<std::int64_t> candidates;
    if (keys_) {
        keys_->for_each(digest, [&](std::int64_t c) { candidates.push_back(c); });
    } else {
        auto& st = st_->find_identity;
        st.reset();
        st.bind(1, digest);
        while (st.executeStep()) candidates.push_back(st.getColumn(0).getInt64());
    }
    for (const std::int64_t c : candidates) {
        if (c == id) continue;
        store_pending(c);
        auto& st = st_->load_identity;
        st.reset();
        st.bind(1, c);
        if (st.executeStep() && stored_identity_key(st, 0) == key) return c;
    }
    return std::nullopt;
}

AddResult Registrar::update(const Match& match, const Registration& r, const Row& row,
                            const StoredVerdict& verdict) {
    if (match.registration != 0) return update_linked(match, r, row);
    const std::int64_t id = match.claimant;
    store_pending(id);
    SQLite::Statement& load = match.loaded ? st_->confirm_claimant_ref : st_->load_claimant;
    if (!match.loaded) {
        load.reset();
        load.bind(1, id);
        if (!load.executeStep()) return AddResult{id, AddOutcome::same_submission};
    }
    FieldSet changed = 0;
    const FieldSet given = compared_fields(r, row);
    for (std::size_t f = 0; f < field_count; ++f) {
        const Field field = static_cast<Field>(f);
        if ((given & field_bit(field)) == 0) continue;
        const SQLite::Column c = load.getColumn(static_cast<int>(f));
        const std::string_view stored(c.getText(), static_cast<std::size_t>(c.getBytes()));
        if (stored != Registrar::stored_text(r, row, field)) changed |= field_bit(field);
    }
    std::array<std::string, field_count> stored;
    if (changed != 0) {
        for (std::size_t f = 0; f < field_count; ++f) stored[f] = column_text(load, static_cast<int>(f));
    }
    const std::array<std::string, 4> old_tally = {column_text(load, 17), column_text(load, 18),
                                                  column_text(load, 19),
                                                  stored[static_cast<std::size_t>(Field::child_birth_date)]};
    load.reset();
    const State state = parse_state(old_tally[0]);
    const auto result = [&](AddOutcome outcome, FieldSet fields) {
        AddResult out{id, outcome, fields};
        out.state = state;
        return out;
    };
    if (changed == 0) return result(AddOutcome::same_submission, 0);
    if (update_mode_ == UpdateMode::report) return result(AddOutcome::differs, changed);
    // The stored registration with the changed fields taken from `r`.
    Registration merged = r;
    for (std::size_t f = 0; f < field_count; ++f) {
        const Field field = static_cast<Field>(f);
        if ((given & field_bit(field)) == 0) set_from_stored(merged, field, stored[f]);
    }
    const std::string key = identity_key(merged);
    const std::int64_t digest = identity_digest(key);
    if ((changed & identity_fields) != 0) {
        const auto child_of = [&](std::int64_t c) { // review.hpp: linked into another claimant
            const std::int64_t keep = linked_into(c);
            return keep != 0 ? keep : c;
        };
        const auto other = other_with_identity(id, key, digest);
        if (other && child_of(*other) != child_of(id)) { // one child by a person's decision: fine
            AddResult conflict = result(AddOutcome::identity_conflict, changed);
            conflict.other_id = *other;
            return conflict;
        }
    }
    const Verdict v = evaluate(eligibility_input(merged, state), *verdict.rules, verdict.as_of);
    Row updated = prepare(merged, v);
    digest_content(merged, updated);
    auto& st = st_->update_claimant(registry_.db(), changed);
    st.reset();
    bind_text_or_null(st, 1, merged.external_ref);
    st.bindNoCopy(2, merged.child_first_name);
    st.bindNoCopy(3, merged.child_name_prefix);
    st.bindNoCopy(4, merged.child_last_name);
    st.bindNoCopy(5, updated.birth_date);
    st.bindNoCopy(6, merged.country);
    st.bindNoCopy(7, merged.postcode);
    st.bindNoCopy(8, merged.house_number);
    st.bindNoCopy(9, to_string(merged.platform).data());
    st.bindNoCopy(10, updated.first_use);
    bind_text_or_null(st, 11, updated.last_use);
    st.bindNoCopy(12, merged.registrant_name);
    st.bindNoCopy(13, merged.registrant_email);
    st.bindNoCopy(14, merged.registrant_phone);
    st.bindNoCopy(15, to_string(merged.registrant_relation).data());
    st.bind(16, merged.consent ? 1 : 0);
    st.bindNoCopy(17, merged.registered_at);
    st.bind(18, updated.digest);
    st.bindNoCopy(19, to_string(v.verdict).data());
    st.bindNoCopy(20, updated.reasons);
    const std::string band = v.age_band ? std::string(to_string(*v.age_band)) : std::string();
    st.bindNoCopy(21, band);
    st.bind(22, check_id(verdict));
    st.bindNoCopy(23, now_);
    st.bind(24, id);
    st.bind(25, updated.content);
    st.exec();
    forget(id);
    move_tally(old_tally, {old_tally[0], std::string(to_string(v.verdict)), band, updated.birth_date});
    if (keys_) {
        keys_->insert(updated.digest, id);
        if (updated.ref_digest != 0) keys_->insert(updated.ref_digest, id);
    }
    const std::string detail = "fields=" + field_names(changed, ",");
    auto& audit = st_->insert_audit;
    audit.reset();
    audit.bindNoCopy(1, now_);
    audit.bind(2, id);
    audit.bindNoCopy(3, detail);
    audit.exec();
    return result(AddOutcome::updated, changed);
}

AddResult Registrar::correct(std::int64_t id, const Registration& r, const StoredVerdict& verdict) {
    const Row row = prepare(r, verdict.verdict);
    return update(Match{AddOutcome::same_submission, id, 0, true}, r, row, verdict);
}

AddResult Registrar::update_linked(const Match& match, const Registration& r, const Row& row) {
    const std::int64_t id = match.claimant;
    auto& load = st_->load_registration;
    load.reset();
    load.bind(1, match.registration);
    const auto result = [&](AddOutcome outcome, FieldSet fields) {
        AddResult out{id, outcome, fields};
        out.registration = match.registration;
        return out;
    };
    if (!load.executeStep()) return result(AddOutcome::same_submission, 0);
    Registration merged = r;
    FieldSet changed = 0;
    const FieldSet given = compared_fields(r, row);
    for (std::size_t i = 0; i < registration_fields.size(); ++i) {
        const Field field = registration_fields[i];
        const std::string stored = column_text(load, static_cast<int>(i));
        if ((given & field_bit(field)) == 0) {
            set_from_stored(merged, field, stored);
        } else if (stored != Registrar::stored_text(r, row, field)) {
            changed |= field_bit(field);
        }
    }
    load.reset();
    if (changed == 0) return result(AddOutcome::same_submission, 0);
    if (update_mode_ == UpdateMode::report) return result(AddOutcome::differs, changed);
    auto& st = st_->update_registration;
    st.reset();
    bind_text_or_null(st, 1, merged.external_ref);
    st.bindNoCopy(2, merged.registrant_name);
    st.bindNoCopy(3, merged.registrant_email);
    st.bindNoCopy(4, merged.registrant_phone);
    st.bindNoCopy(5, to_string(merged.registrant_relation).data());
    st.bind(6, merged.consent ? 1 : 0);
    st.bindNoCopy(7, merged.registered_at);
    st.bind(8, match.registration);
    st.exec();
    auto& touch = st_->touch_claimant;
    touch.reset();
    touch.bind(1, now_);
    touch.bind(2, id);
    touch.exec();
    if (keys_ && !merged.external_ref.empty()) {
        keys_->insert(identity_digest(merged.external_ref), id);
    }
    const std::string detail =
        fmt::format("registration={} fields={}", match.registration, field_names(changed, ","));
    auto& audit = st_->insert_audit;
    audit.reset();
    audit.bindNoCopy(1, now_);
    audit.bind(2, id);
    audit.bindNoCopy(3, detail);
    audit.exec();
    return result(AddOutcome::updated, changed);
}

AddResult Registrar::add(const Registration& r, const StoredVerdict& verdict, const Source& source) {
    const Row row = prepare(r, verdict.verdict);
    const AddResult result = add(r, row, verdict, source);
    flush(); // before `row` goes
    return result;
}

AddResult Registrar::add(const Registration& r, const Row& row, const StoredVerdict& verdict,
                         const Source& source) {
    if (!erased_->empty() && erased_->contains(r, row.identity)) {
        return AddResult{0, AddOutcome::erased};
    }
    if (const auto dup = find_duplicate(r, row)) {
        // A claimant linked into another (review.hpp) stays linked: a new registration of its
        // child goes to the one it is linked into; its own submission updates its own row.
        const std::int64_t keep = linked_into(dup->claimant);
        if (dup->outcome == AddOutcome::linked) {
            const std::int64_t claimant = keep != 0 ? keep : dup->claimant;
            add_linked(claimant, r, source, row);
            return AddResult{claimant, AddOutcome::linked};
        }
        if (dup->unchanged) {
            AddResult same{dup->claimant, AddOutcome::same_submission};
            same.state = dup->unchanged;
            return same;
        }
        AddResult result = update_mode_ == UpdateMode::ignore || !dup->comparable
                               ? AddResult{dup->claimant, AddOutcome::same_submission}
                               : update(*dup, r, row, verdict);
        result.linked_to = keep;
        return result;
    }
    if (keys_ && !indexes_dropped_ && ++inserted_ > drop_indexes_after_) {
        // Many new rows: building the indexes once at the end is cheaper than maintaining them.
        drop_schema("index", "");
        indexes_dropped_ = true;
    }
    const std::int64_t id = next_id_++;
    pending_.push_back(Pending{&r, &row, verdict.verdict.verdict, verdict.verdict.age_band,
                               source_id_of(source), check_id(verdict), id, source.line});
    if (!keys_ || pending_.size() == max_pending) flush();
    if (keys_) {
        tally(verdict.verdict, row.birth_day);
        keys_->insert(row.digest, id);
        if (!r.external_ref.empty()) keys_->insert(row.ref_digest, id);
    }
    AddResult added{id, AddOutcome::added};
    added.state = State::active;
    return added;
}

void Registrar::flush() {
    if (pending_.empty()) return;
    if (insert_claimants_.empty()) insert_claimants_.resize(max_pending + 1);
    auto& statement = insert_claimants_[pending_.size()];
    if (!statement) {
        statement = std::make_unique<SQLite::Statement>(registry_.db(),
                                                        insert_claimants_sql(pending_.size()));
    }
    auto& st = *statement;
    st.reset();
    // Values are bound without copying: every string below outlives exec().
    int first = 1;
    for (const Pending& p : pending_) {
        const Registration& r = *p.r;
        const Row& row = *p.row;
        st.bind(first, row.digest);
        bind_text_or_null(st, first + 1, r.external_ref);
        st.bindNoCopy(first + 2, r.child_first_name);
        st.bindNoCopy(first + 3, r.child_name_prefix);
        st.bindNoCopy(first + 4, r.child_last_name);
        st.bindNoCopy(first + 5, row.birth_date);
        st.bindNoCopy(first + 6, r.country);
        st.bindNoCopy(first + 7, r.postcode);
        st.bindNoCopy(first + 8, r.house_number);
        st.bindNoCopy(first + 9, to_string(r.platform).data());
        st.bindNoCopy(first + 10, row.first_use);
        bind_text_or_null(st, first + 11, row.last_use);
        bind_registrant(st, first + 12, r, p.source_id, p.line);
        st.bindNoCopy(first + 20, to_string(p.verdict).data());
        st.bindNoCopy(first + 21, row.reasons);
        st.bindNoCopy(first + 22, p.age_band ? to_string(*p.age_band).data() : "");
        st.bind(first + 23, p.check_id);
        st.bindNoCopy(first + 24, now_);
        st.bind(first + 25, p.id);
        st.bind(first + 26, row.content != 0 ? row.content
                                             : content_digest(content_key_, stored_fields(r, row)));
        first += claimant_params;
    }
    pending_.clear(); // nothing bound points into it; a failed write leaves nothing waiting
    st.exec();
}

std::int64_t Registrar::check_id(const StoredVerdict& verdict) {
    const std::pair key{verdict.rules, verdict.as_of};
    if (!check_cache_ || check_cache_->first != key) {
        check_cache_.emplace(key, record_check(registry_, *verdict.rules, verdict.as_of,
                                               CheckScope::rows));
    }
    return check_cache_->second;
}

std::int64_t Registrar::source_id_of(const Source& source) {
    if (!source_cache_ || source_cache_->command != source.command ||
        source_cache_->file != source.file) {
        source_cache_.emplace(SourceCache{std::string(source.command), std::string(source.file),
                                          source_id(registry_, source_text(source))});
    }
    return source_cache_->id;
}

void Registrar::add_linked(std::int64_t claimant_id, const Registration& r, const Source& source,
                           const Row& row) {
    store_pending(claimant_id);
    auto& st = st_->insert_linked;
    st.reset();
    st.bind(1, claimant_id);
    bind_text_or_null(st, 2, r.external_ref);
    bind_registrant(st, 3, r, source_id_of(source), source.line);
    st.bind(11, now_);
    st.exec();
    // The claimant changed: the nightly incremental export must see the new registration (one
    // added by this registrar already carries `now_`).
    if (claimant_id < first_id_) {
        auto& touch = st_->touch_claimant;
        touch.reset();
        touch.bind(1, now_);
        touch.bind(2, claimant_id);
        touch.exec();
    }
    if (keys_ && !r.external_ref.empty()) keys_->insert(row.ref_digest, claimant_id);
}

} // namespace claimreg
