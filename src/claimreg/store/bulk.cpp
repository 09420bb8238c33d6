// A registrar's bulk mode, for imports: the key index and stored contents loaded in one pass,
// new claimants written many to a statement, their tallies counted in memory, and the indexes
// and triggers dropped while the rows come in and restored once at the end.

#include <algorithm>
#include <chrono>
#include <string>

#include <fmt/format.h>

#include "claimant_columns.hpp"
#include "registrar_impl.hpp"

namespace claimreg {

namespace {

// The columns of a new claimant, in the order Impl::flush() binds them: the identity digest,
// the fields (Field order), then where it came from and its verdict.
const std::string& claimant_columns() {
    static const std::string columns = fmt::format(
        "identity_digest, {}, source_id, source_line, verdict, reasons, age_band, check_id, "
        "changed_at, id, content_digest",
        store::column_list(all_fields));
    return columns;
}
constexpr int claimant_params = 1 + static_cast<int>(field_count) + 9;

// INSERT of `rows` new claimants in one statement.
std::string insert_claimants_sql(std::size_t rows) {
    const std::string values = "(" + store::placeholders(claimant_params) + ")";
    std::string sql =
        fmt::format("INSERT INTO claimants ({}) VALUES {}", claimant_columns(), values);
    for (std::size_t i = 1; i < rows; ++i) (sql += ", ") += values;
    return sql;
}

} // namespace

void Registrar::Impl::begin_bulk(std::uint64_t expected_rows) {
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
    store::RawStatement stored(db, "SELECT id, identity_digest, external_ref, content_digest, "
                                   "state FROM claimants ORDER BY id");
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

void Registrar::Impl::drop_schema(std::string_view type, std::string_view prefix) {
    reset_statements();
    for (auto& definition : drop_claimants_schema(registry_, type, prefix)) {
        dropped_schema_.push_back(std::move(definition));
    }
}

void Registrar::Impl::end_bulk() {
    flush();
    reset_statements();
    TallyWriter tallies(registry_);
    for (std::size_t i = 0; i < new_tallies_.size(); ++i) {
        if (new_tallies_[i] == 0) continue;
        const auto day = first_tally_day_ + static_cast<std::int64_t>(i / tally_slots);
        const std::size_t slot = i % tally_slots;
        const std::size_t band = slot % band_slots;
        tallies.add(to_string(State::active),
                    to_string(static_cast<VerdictKind>(slot / band_slots)),
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

void Registrar::Impl::tally(const Verdict& verdict, std::int64_t day) {
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

bool Registrar::Impl::same_content(std::int64_t id, const Row& row, State& state) const {
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

void Registrar::Impl::move_tally(const std::array<std::string, 4>& from,
                                 const std::array<std::string, 4>& to) {
    if (!keys_ || from == to) return;
    --moved_tallies_[from];
    ++moved_tallies_[to];
}

void Registrar::Impl::flush() {
    if (pending_.empty()) return;
    if (insert_claimants_.empty()) insert_claimants_.resize(max_pending + 1);
    auto& statement = insert_claimants_[pending_.size()];
    if (!statement) {
        statement = std::make_unique<store::RawStatement>(registry_.db(),
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
        const int next = store::bind_fields(st, first + 1, r, row, all_fields);
        st.bind(next, p.source_id);
        store::bind_line(st, next + 1, p.line);
        st.bind(next + 2, to_string(p.verdict));
        st.bind(next + 3, row.reasons);
        st.bind(next + 4, p.age_band ? to_string(*p.age_band) : std::string_view());
        st.bind(next + 5, p.check_id);
        st.bind(next + 6, now_);
        st.bind(next + 7, p.id);
        st.bind(next + 8, row.content != 0
                              ? row.content
                              : store::content_digest(content_key_, store::stored_fields(r, row)));
        first += claimant_params;
    }
    pending_.clear(); // nothing bound points into it; a failed write leaves nothing waiting
    st.exec();
}

// ---- the public face ----

void Registrar::begin_bulk(std::uint64_t expected_rows) { impl_->begin_bulk(expected_rows); }
void Registrar::end_bulk() { impl_->end_bulk(); }
void Registrar::flush() { impl_->flush(); }
void Registrar::prefetch(const Row& row) const { impl_->prefetch(row); }
void Registrar::move_tally(const std::array<std::string, 4>& from,
                           const std::array<std::string, 4>& to) {
    impl_->move_tally(from, to);
}

} // namespace claimreg
