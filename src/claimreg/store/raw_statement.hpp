#pragma once
// A statement run through SQLite's own calls, for the per-row paths (scans of every claimant,
// the inserts of a bulk import): SQLiteCpp's Column objects cost a shared pointer each, and its
// binds take text only as a std::string.

#include <cstdint>
#include <string>
#include <string_view>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <sqlite3.h>

namespace claimreg::store {

class RawStatement {
  public:
    /// Prepares `sql` on `db`; throws SQLite::Exception.
    RawStatement(SQLite::Database& db, const std::string& sql) : db_(db.getHandle()) {
        const int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &st_, nullptr);
        if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
    }
    ~RawStatement() { sqlite3_finalize(st_); }
    RawStatement(const RawStatement&) = delete;
    RawStatement& operator=(const RawStatement&) = delete;

    /// The next row; false at the end (or once a statement without rows has run).
    bool step() {
        const int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw SQLite::Exception(db_, rc);
    }
    /// Runs a statement to its end (reset() before running it again).
    void exec() {
        while (step()) {
        }
    }
    /// Ready to run again (bound values kept).
    void reset() { sqlite3_reset(st_); }

    /// Binds parameter `index` (1-based): text without copying (`text` must outlive the run),
    /// an integer, or NULL.
    void bind(int index, std::string_view text) {
        // Never a null pointer: that would bind NULL.
        check(sqlite3_bind_text(st_, index, text.empty() ? "" : text.data(),
                                static_cast<int>(text.size()), SQLITE_STATIC));
    }
    void bind(int index, std::int64_t value) { check(sqlite3_bind_int64(st_, index, value)); }
    void bind_null(int index) { check(sqlite3_bind_null(st_, index)); }

    std::int64_t integer(int column) const { return sqlite3_column_int64(st_, column); }
    bool null(int column) const { return sqlite3_column_type(st_, column) == SQLITE_NULL; }
    /// Column `column` as text (NULL as empty), valid until the next step.
    std::string_view text(int column) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_, column));
        if (p == nullptr) return {};
        return {p, static_cast<std::size_t>(sqlite3_column_bytes(st_, column))};
    }

  private:
    void check(int rc) {
        if (rc != SQLITE_OK) throw SQLite::Exception(db_, rc);
    }
    sqlite3* db_;
    sqlite3_stmt* st_ = nullptr;
};

} // namespace claimreg::store
