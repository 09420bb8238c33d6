// Migrating a checked registry to this build's schema, and the steps done in C++ rather than
// SQL (schema 6: identity keys recomputed; schema 7: the secret and the content digests).

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "claimant_columns.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/erasure.hpp"
#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/registry.hpp"
#include "raw_statement.hpp"
#include "schema.hpp"

namespace claimreg::store {

namespace {

int pragma_int(SQLite::Database& db, const char* pragma) {
    return db.execAndGet(fmt::format("PRAGMA {}", pragma)).getInt();
}

/// Schema 7: the content digest of every stored claimant.
void fill_content_digests(SQLite::Database& db) {
    const DigestKey key = content_digest_key(db);
    std::vector<std::pair<std::int64_t, std::int64_t>> digests;
    {
        // The fields as schema 7 has them (history, like the migrations' SQL): a later field
        // changes what the digest covers, and its own migration recomputes it.
        RawStatement st(db, "SELECT external_ref, child_first_name, child_name_prefix, "
                            "child_last_name, child_birth_date, country, postcode, house_number, "
                            "platform, first_use, last_use, registrant_name, registrant_email, "
                            "registrant_phone, registrant_relation, consent, registered_at, id "
                            "FROM claimants");
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
            if (ascii(r.child_first_name) && ascii(r.child_name_prefix) &&
                ascii(r.child_last_name)) {
                continue; // no invisible characters: name and key stay as they are
            }
            r.child_birth_date = parse_date(st.getColumn(4).getString());
            r.postcode = st.getColumn(5).getString();
            dirty.push_back({st.getColumn(0).getInt64(), st.getColumn(6).getInt64(), std::move(r)});
        }
    }
    const std::string now = now_utc();
    SQLite::Statement update(db,
                             "UPDATE claimants SET child_first_name = ?, child_name_prefix = ?, "
                             "child_last_name = ?, identity_digest = ?, changed_at = ? "
                             "WHERE id = ?");
    SQLite::Statement same(db,
                           "SELECT id, child_first_name, child_name_prefix, child_last_name, "
                           "child_birth_date, postcode FROM claimants WHERE identity_digest = ? "
                           "AND id != ? ORDER BY id");
    SQLite::Statement link(
        db, "INSERT INTO registrations (claimant_id, external_ref, "
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

void migrate(SQLite::Database& db, int version, const RegistryOptions& options) {
    for (; version < Registry::schema_version; ++version) {
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // Re-read inside the lock: another process may have migrated meanwhile.
        if (pragma_int(db, "user_version") > version) continue;
        db.exec(migration_sql(version + 1));
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

} // namespace claimreg::store
