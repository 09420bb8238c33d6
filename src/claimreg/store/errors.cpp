// The database engine's failures as claimreg errors: the one place that reads SQLite's result
// codes for what a user is told.

#include <fmt/format.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

#include "claimreg/error.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

MissingRegistryError::MissingRegistryError(const std::string& path)
    : NotFoundError(fmt::format("no registry at {}", path)) {}

EmptyRegistryError::EmptyRegistryError(const std::string& path)
    : NotFoundError(fmt::format("no registry in {}: an empty file", path)) {}

OldSchemaError::OldSchemaError(const std::string& path, int found)
    : DataError(fmt::format("registry {} has schema version {}; this claimreg reads version {}",
                            path, found, Registry::schema_version)) {}

ExitStatus with_store_errors(const std::function<ExitStatus()>& work) {
    try {
        return work();
    } catch (const SQLite::Exception& e) {
        // SQLite's messages name tables and columns, never bound values.
        switch (e.getErrorCode()) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            throw BusyError("registry busy (locked by another process), retry later");
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            throw DataError(fmt::format("registry unreadable: {}", e.what()));
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
            throw IoError(fmt::format("registry I/O error: {}", e.what()));
        default:
            throw Error(fmt::format("internal error: {}", e.what()), ExitStatus::internal);
        }
    }
}

std::string_view sqlite_version() { return sqlite3_libversion(); }

} // namespace claimreg
