// The registrar: one registration stored with duplicate detection (a new claimant, a linked
// registration, the same submission compared and updated, a correction).

#include <bit>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "claimant_columns.hpp"
#include "claimreg/columns.hpp"
#include "claimreg/error.hpp"
#include "claimreg/text.hpp"
#include "registrar_impl.hpp"

namespace claimreg {

namespace {

using store::column_list;

// A stored claimant as an update compares it: the canonical fields (Field order), then
// state, verdict and age band.
const std::string& stored_claimant_select() {
    static const std::string sql = fmt::format("SELECT {}, state, verdict, age_band FROM claimants",
                                               column_list(all_fields));
    return sql;
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

} // namespace

Registrar::Impl::Statements::Statements(SQLite::Database& db)
    : find_ref(db, "SELECT id, 0 FROM claimants WHERE external_ref = ?1 "
                   "UNION ALL SELECT claimant_id, id FROM registrations WHERE external_ref = ?1 "
                   "LIMIT 1"),
      find_identity(db, "SELECT id FROM claimants WHERE identity_digest = ?"),
      load_identity(db, fmt::format("SELECT {}, registrant_email, external_ref FROM "
                                    "claimants WHERE id = ?",
                                    column_list(store::identity_fields))),
      find_linked_email(db, "SELECT id, external_ref FROM registrations WHERE claimant_id = ? "
                            "AND registrant_email = ? COLLATE NOCASE LIMIT 1"),
      // ?1 the claimant, ?2.. its fields, then source, line and added_at.
      insert_linked(
          db, fmt::format("INSERT INTO registrations (claimant_id, {}, source_id, "
                          "source_line, added_at) VALUES ({})",
                          column_list(store::registration_fields),
                          store::placeholders(store::count_of(store::registration_fields) + 4))),
      touch_claimant(db, "UPDATE claimants SET changed_at = ? WHERE id = ?"),
      load_claimant(db, fmt::format("{} WHERE id = ?", stored_claimant_select())),
      load_registration(db, fmt::format("SELECT {} FROM registrations WHERE id = ?",
                                        column_list(store::registration_fields))),
      // ?1.. the fields, then the registration's id.
      update_registration(db, fmt::format("UPDATE registrations SET {} WHERE id = ?{}",
                                          store::column_assignments(store::registration_fields, 1),
                                          store::count_of(store::registration_fields) + 1)),
      insert_audit(db, "INSERT INTO audit (at, action, claimant_id, detail) "
                       "VALUES (?, 'updated', ?, ?)"),
      confirm_claimant_ref(
          db, fmt::format("{} WHERE id = ?1 AND external_ref = ?2", stored_claimant_select())),
      confirm_linked_ref(db, "SELECT id FROM registrations WHERE claimant_id = ?1 AND "
                             "external_ref = ?2 LIMIT 1"),
      load_link(db, "SELECT linked_to FROM claimants WHERE id = ? AND state = 'linked'") {}

Registrar::Impl::Impl(Registry& registry)
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
    SQLite::Statement same(registry.db(),
                           "SELECT a, b FROM pair_decisions WHERE decision = 'same'");
    while (same.executeStep()) {
        decided_same_.insert(same.getColumn(0).getInt64());
        decided_same_.insert(same.getColumn(1).getInt64());
    }
}

std::int64_t Registrar::Impl::linked_into(std::int64_t id) {
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

Registrar::Impl::~Impl() = default;

void Registrar::Impl::reset_statements() {
    st_->reset_all();
    for (auto& st : insert_claimants_) {
        if (st) st->reset();
    }
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

std::optional<Registrar::Impl::Match> Registrar::Impl::find_duplicate(const Registration& r,
                                                                      const Row& row) {
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
        // Another key: a digest collision, another child.
        if (store::stored_identity_key(st, 0) != row.identity) return;
        if (iequals(st.getColumn(Statements::email_column).getString(), r.registrant_email)) {
            result = Match{AddOutcome::same_submission, id, 0,
                           !other_ref(st.getColumn(Statements::ref_column))};
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

AddResult Registrar::Impl::add(const Registration& r, const Row& row, const StoredVerdict& verdict,
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

std::int64_t Registrar::Impl::check_id(const StoredVerdict& verdict) {
    const std::pair key{verdict.rules, verdict.as_of};
    if (!check_cache_ || check_cache_->first != key) {
        check_cache_.emplace(key, record_check(registry_, *verdict.rules, verdict.as_of,
                                               CheckScope::rows));
    }
    return check_cache_->second;
}

std::int64_t Registrar::Impl::source_id_of(const Source& source) {
    if (!source_cache_ || source_cache_->command != source.command ||
        source_cache_->file != source.file) {
        source_cache_.emplace(SourceCache{std::string(source.command), std::string(source.file),
                                          source_id(registry_, source_text(source))});
    }
    return source_cache_->id;
}

void Registrar::Impl::add_linked(std::int64_t claimant_id, const Registration& r,
                                 const Source& source, const Row& row) {
    store_pending(claimant_id);
    auto& st = st_->insert_linked;
    const std::int64_t source_id = source_id_of(source);
    st.reset();
    st.bind(1, claimant_id);
    const int next = store::bind_fields(st, 2, r, row, store::registration_fields);
    st.bind(next, source_id);
    store::bind_line(st, next + 1, source.line);
    st.bind(next + 2, now_);
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

// ---- the public face ----

Registrar::Registrar(Registry& registry) : impl_(std::make_unique<Impl>(registry)) {}
Registrar::~Registrar() = default;

void Registrar::set_update_mode(UpdateMode mode) { impl_->update_mode_ = mode; }
void Registrar::settle(std::int64_t id) {
    impl_->store_pending(id);
    impl_->forget(id);
}
void Registrar::digest_content(const Registration& r, Row& row) const {
    row.content = store::content_digest(impl_->content_key_, store::stored_fields(r, row));
}
AddResult Registrar::add(const Registration& r, const StoredVerdict& verdict,
                         const Source& source) {
    const Row row = prepare(r, verdict.verdict);
    const AddResult result = impl_->add(r, row, verdict, source);
    impl_->flush(); // before `row` goes
    return result;
}
AddResult Registrar::add(const Registration& r, const Row& row, const StoredVerdict& verdict,
                         const Source& source) {
    return impl_->add(r, row, verdict, source);
}
AddResult Registrar::correct(std::int64_t id, const Registration& r, const StoredVerdict& verdict) {
    const Row row = prepare(r, verdict.verdict);
    return impl_->update(Impl::Match{AddOutcome::same_submission, id, 0, true}, r, row, verdict);
}

} // namespace claimreg
