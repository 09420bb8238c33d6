#pragma once
// The registry's schema: the migrations that build it, version by version; the schema objects
// each version has (the reference a file is checked against before it is trusted); migrating a
// checked file to this build's version.

#include <array>
#include <compare>
#include <string>
#include <vector>

#include "claimreg/record.hpp"

namespace SQLite {
class Database;
}

namespace claimreg {
struct RegistryOptions;
}

namespace claimreg::store {

/// One row of `sqlite_schema`: what a schema object is, and its SQL (empty for an automatic
/// index).
struct SchemaObject {
    std::string type, name, table, sql;
    auto operator<=>(const SchemaObject&) const = default;
};

/// The SQL that brings the schema from `version` - 1 to `version` (1 to Registry::schema_version).
const char* migration_sql(int version);

/// The schema objects of `version` exactly as this build's migrations create them: built once
/// per version in a private in-memory database.
const std::vector<SchemaObject>& reference_schema(int version);

/// Per field (in Field order), whether its `claimants` column takes NULL, as this build's
/// migrations made it: an empty value of such a column is stored as NULL. (Only external_ref
/// and last_use: registrant_phone, optional in the outputs, is stored empty since schema 1.)
const std::array<bool, field_count>& nullable_fields();

/// Checks the file behind `db` (opened from `path`) before anything else reads or writes it and
/// returns its schema version: 0 for an empty database (a new registry). Throws DataError.
int verify_registry(SQLite::Database& db, const std::string& path);

/// Brings a verified registry from `version` to the current schema, one transaction a step
/// (store/migrate.cpp).
void migrate(SQLite::Database& db, int version, const RegistryOptions& options);

} // namespace claimreg::store
