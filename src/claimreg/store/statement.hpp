#pragma once
// Small helpers of the store's own statements (SQLiteCpp): reading a nullable column, and
// resetting a statement prepared once per connection when its rows are read.

#include <cstdint>
#include <optional>
#include <string>

#include <SQLiteCpp/Statement.h>

namespace claimreg::store {

/// Column `column` as text; NULL reads as empty.
inline std::string text_or_empty(SQLite::Statement& st, int column) {
    const SQLite::Column c = st.getColumn(column);
    return c.isNull() ? std::string() : c.getString();
}

/// Column `column` as an integer, none when NULL.
inline std::optional<std::int64_t> optional_int(SQLite::Statement& st, int column) {
    const SQLite::Column c = st.getColumn(column);
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}

/// Resets a statement of Registry::statement() when it goes out of scope (a statement still
/// stepping blocks a schema change).
class ResetOnExit {
  public:
    explicit ResetOnExit(SQLite::Statement& statement) : st(statement) {}
    ResetOnExit(const ResetOnExit&) = delete;
    ResetOnExit& operator=(const ResetOnExit&) = delete;
    ~ResetOnExit() { st.reset(); }

  private:
    SQLite::Statement& st;
};

} // namespace claimreg::store
