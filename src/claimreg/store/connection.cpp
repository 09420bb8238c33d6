// The connection to a registry file: opening or creating it (mode 0600), hardening the
// connection against SQL stored in the file, WAL, the statement cache and the scratch registry.

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "claimreg/error.hpp"
#include "claimreg/files.hpp"
#include "claimreg/registry.hpp"
#include "schema.hpp"

namespace claimreg {

namespace {

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

} // namespace

Registry::Registry(const std::string& path, OpenMode mode, RegistryOptions options) : path_(path) {
    struct stat st {};
    const bool exists = ::stat(path.c_str(), &st) == 0;
    const bool empty = !exists || (S_ISREG(st.st_mode) && st.st_size == 0);
    if (mode != OpenMode::write && !exists) throw MissingRegistryError(path);
    if (mode != OpenMode::write && empty) throw EmptyRegistryError(path);
    // Created 0600 first so that SQLite (and its -wal/-shm) inherit the mode.
    if (!exists) create_private_file(path, "registry " + path);
    const int flags = (mode == OpenMode::read ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) |
                      SQLite::OPEN_NOMUTEX;
    try {
        db_ = std::make_unique<SQLite::Database>(path, flags, options.busy_timeout_ms);
        harden(*db_);
        opened_version_ = store::verify_registry(*db_, path);
    } catch (const SQLite::Exception& e) {
        const int code = e.getErrorCode() & 0xff;
        if (mode != OpenMode::read || (code != SQLITE_CANTOPEN && code != SQLITE_READONLY)) {
            if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw;
            throw CannotCreateError(
                fmt::format("cannot open registry {}: {}", path, e.getErrorStr()));
        }
        // Read-only media: its -shm cannot be made, and no other process can be writing.
        db_ = std::make_unique<SQLite::Database>(immutable_uri(path),
                                                 SQLite::OPEN_READONLY | SQLite::OPEN_URI |
                                                     SQLite::OPEN_NOMUTEX,
                                                 options.busy_timeout_ms);
        harden(*db_);
        opened_version_ = store::verify_registry(*db_, path);
    }
    const bool current = opened_version_ == Registry::schema_version;
    const bool is_new = opened_version_ == 0;
    if (!current && !is_new && (mode == OpenMode::read || !options.migrate)) {
        throw OldSchemaError(path, opened_version_);
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
        store::migrate(*db_, opened_version_, options);
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

Registry::Registry() = default;
Registry::Registry(Registry&&) noexcept = default;
Registry::~Registry() = default;

Registry Registry::scratch() {
    Registry registry;
    registry.db_ =
        std::make_unique<SQLite::Database>("", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    harden(*registry.db_);
    registry.db_->exec("PRAGMA journal_mode = OFF");
    registry.db_->exec("PRAGMA synchronous = OFF");
    defend(*registry.db_);
    store::migrate(*registry.db_, 0, RegistryOptions{});
    return registry;
}

} // namespace claimreg
