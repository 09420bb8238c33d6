#include "claimant_scan.hpp"

#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "statement.hpp"
#include "visited_row.hpp"

namespace claimreg::store {

template <typename Row> EligibilityInput eligibility_input(const Row& row, ColumnSet read) {
    EligibilityInput in;
    in.child_birth_date = parse_date(row.text(Field::child_birth_date));
    in.country = row.text(Field::country);
    in.platform = parse_platform(row.text(Field::platform));
    in.first_use = parse_date(row.text(Field::first_use));
    if (!row.is_null(Field::last_use)) in.last_use = parse_date(row.text(Field::last_use));
    in.registrant_relation = parse_relation(row.text(Field::registrant_relation));
    in.consent = row.flag(Field::consent);
    in.registered_on = registered_on(row.text(Field::registered_at));
    in.state = (read & column_bit(column_id(Kept::state))) != 0 ? parse_state(row.text(Kept::state))
                                                                : State::active;
    return in;
}

template EligibilityInput eligibility_input(const ClaimantRow&, ColumnSet);
template EligibilityInput eligibility_input(const VisitedRow&, ColumnSet);

ClaimantRow::Plan::Plan(ColumnSet set) : set_(set) {
    std::uint8_t index = 0;
    for (ColumnId c = 0; c < column_count; ++c) {
        if ((set & column_bit(c)) == 0) continue;
        if (is_integer_column(c)) {
            integer_[integers_++] = {index++, c, is_optional_integer(c)};
        } else {
            text_[texts_++] = {index++, c, false};
        }
    }
}

namespace {

std::string column_sql(ColumnId c) {
    if (c < field_count) return fmt::format("c.{}", field_columns[c].name);
    return std::string(kept_columns[c - field_count].sql);
}

bool reads(ColumnSet set, Kept k) { return (set & column_bit(column_id(k))) != 0; }

// The FROM and WHERE of a scan; its parameters (bound text) go to `params`.
// `also`: one more condition (SQL over the columns), or empty.
std::string from_where(ColumnSet columns, const ClaimantFilter& filter,
                       std::vector<std::string_view>& params, std::string also = {}) {
    // The claimants scan stays outermost (LEFT JOIN): checks and sources are looked up by id,
    // and a claimant is read even if either were missing.
    std::string sql = " FROM claimants AS c";
    if (filter.whole_table) sql += " NOT INDEXED";
    if (reads(columns, Kept::source)) sql += " LEFT JOIN sources AS s ON s.id = c.source_id";
    if (reads(columns, Kept::rule_set) || reads(columns, Kept::checked_at)) {
        sql += fmt::format(" LEFT JOIN checks AS k ON k.id = {}", effective_check_sql);
    }
    std::vector<std::string> where;
    switch (filter.states) {
    case ClaimantFilter::States::active: where.emplace_back("c.state = 'active'"); break;
    case ClaimantFilter::States::not_linked: where.emplace_back("c.state != 'linked'"); break;
    case ClaimantFilter::States::any: break;
    }
    if (filter.id) where.emplace_back("c.id = ?");
    if (!filter.changed_since.empty()) {
        params.push_back(filter.changed_since);
        where.emplace_back("c.changed_at >= ?");
    }
    if (!filter.verdicts.empty()) {
        std::string in = "c.verdict IN (";
        for (std::size_t i = 0; i < filter.verdicts.size(); ++i) {
            params.push_back(to_string(filter.verdicts[i]));
            in += i == 0 ? "?" : ", ?";
        }
        where.push_back(in + ")");
    }
    if (!also.empty()) where.push_back(std::move(also));
    for (std::size_t i = 0; i < where.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + where[i];
    return sql;
}

// The columns `columns` in ColumnId order (ClaimantRow::Plan); with `every`, every column, those
// not in `columns` as NULL (the arguments of visit_claimants' function, VisitedRow).
std::string select_list(ColumnSet columns, bool every = false) {
    std::string list;
    for (ColumnId c = 0; c < column_count; ++c) {
        const bool read = (columns & column_bit(c)) != 0;
        if (!read && !every) continue;
        if (!list.empty()) list += ", ";
        list += read ? column_sql(c) : "NULL";
    }
    return list;
}

sqlite3_stmt* prepare(sqlite3* db, const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &st, nullptr);
    if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
    return st;
}

// Binds the id (when filtered by one) and then the text parameters, in the order of
// from_where's placeholders.
void bind_filter(sqlite3_stmt* st, const ClaimantFilter& filter, std::span<const std::string_view> params) {
    int index = 1;
    sqlite3* db = sqlite3_db_handle(st);
    if (filter.id) {
        const int rc = sqlite3_bind_int64(st, index++, *filter.id);
        if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
    }
    for (const std::string_view p : params) {
        const int rc = sqlite3_bind_text(st, index++, p.data(), static_cast<int>(p.size()),
                                         SQLITE_TRANSIENT);
        if (rc != SQLITE_OK) throw SQLite::Exception(db, rc);
    }
}

// The result columns of a stepped statement.
struct StatementReader {
    sqlite3_stmt* st;
    std::string_view text(int i) const {
        const unsigned char* p = sqlite3_column_text(st, i);
        if (p == nullptr) return {};
        return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(st, i))};
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(st, i); }
    bool is_null(int i) const { return sqlite3_column_type(st, i) == SQLITE_NULL; }
};

// The row of a cached statement (SQLiteCpp).
struct CachedReader {
    SQLite::Statement& st;
    std::string_view text(int i) const {
        const SQLite::Column c = st.getColumn(i);
        if (c.isNull()) return {};
        return {c.getText(""), static_cast<std::size_t>(c.getBytes())};
    }
    std::int64_t integer(int i) const { return st.getColumn(i).getInt64(); }
    bool is_null(int i) const { return st.getColumn(i).isNull(); }
};

struct Visit {
    ColumnSet columns;
    void (*visit)(void*, const VisitedRow&);
    void* context;
    std::uint64_t visited = 0;
};

// claimreg_visit(<columns>) -> 0, calling the visitor with the row. False for every row, so
// that SQLite only scans: counting the rows here is cheaper than an aggregate step each.
void sql_visit(sqlite3_context* ctx, int, sqlite3_value** argv) {
    auto* v = static_cast<Visit*>(sqlite3_user_data(ctx));
    try {
        v->visit(v->context, VisitedRow(v->columns, argv));
        ++v->visited;
        sqlite3_result_int(ctx, 0);
    } catch (const std::exception&) {
        sqlite3_result_error(ctx, "stored claimant fails validation", -1);
    }
}

} // namespace

ClaimantScan::ClaimantScan(Registry& registry, ColumnSet columns, const ClaimantFilter& filter)
    : plan_(columns) {
    std::vector<std::string_view> params;
    const std::string sql =
        "SELECT " + select_list(columns) + from_where(columns, filter, params) + " ORDER BY c.id";
    st_ = prepare(registry.db().getHandle(), sql);
    try {
        bind_filter(st_, filter, params);
    } catch (...) {
        sqlite3_finalize(st_);
        throw;
    }
}

ClaimantScan::~ClaimantScan() { sqlite3_finalize(st_); }

bool ClaimantScan::next() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_DONE) return false;
    if (rc != SQLITE_ROW) throw SQLite::Exception(sqlite3_db_handle(st_), rc);
    row_.fill(plan_, StatementReader{st_});
    return true;
}

bool read_claimant(Registry& registry, std::int64_t id, ColumnSet columns,
                   const std::function<void(const ClaimantRow&)>& read) {
    ClaimantFilter filter;
    filter.states = ClaimantFilter::States::any;
    filter.id = id;
    std::vector<std::string_view> params;
    SQLite::Statement& st =
        registry.statement("SELECT " + select_list(columns) + from_where(columns, filter, params));
    const ResetOnExit reset{st};
    st.bind(1, id);
    if (!st.executeStep()) return false;
    ClaimantRow row;
    row.fill(ClaimantRow::Plan(columns), CachedReader{st});
    read(row);
    return true;
}

std::uint64_t visit_claimants(Registry& registry, ColumnSet columns, const ClaimantFilter& filter,
                              void (*visit)(void*, const VisitedRow&), void* context) {
    Visit v{columns, visit, context};
    const DirectFunction function(registry, "claimreg_visit", static_cast<int>(column_count), &v,
                                  sql_visit);
    std::vector<std::string_view> params;
    const std::string sql =
        "SELECT count(*)" +
        from_where(columns, filter, params,
                   fmt::format("claimreg_visit({})", select_list(columns, true)));
    SQLite::Statement st(registry.db(), sql);
    int index = 1;
    if (filter.id) st.bind(index++, *filter.id);
    for (const std::string_view p : params) st.bind(index++, std::string(p));
    st.executeStep();
    return v.visited;
}

} // namespace claimreg::store
