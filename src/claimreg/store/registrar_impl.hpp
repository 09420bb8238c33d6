#pragma once
// What a Registrar keeps behind its public face: its statements, the caches of one import,
// and the state of bulk mode (the key index, the stored contents, the new claimants waiting
// to be written, the tallies counted in memory). Only the store's own files include this.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/clock.hpp"
#include "claimreg/erasure.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/registry.hpp"
#include "claimant_columns.hpp"
#include "raw_statement.hpp"

namespace claimreg {

struct Registrar::Impl {
    explicit Impl(Registry& registry);
    ~Impl();

    /// The statements prepared once a registrar (store/registrar.cpp), their SQL built once
    /// from the column table.
    struct Statements;

    /// A stored registration that a row duplicates.
    struct Match {
        AddOutcome outcome;            ///< same_submission or linked
        std::int64_t claimant = 0;     ///< its claimant
        std::int64_t registration = 0; ///< same_submission of a linked registration: its id
        bool comparable = true;        ///< false: another submission (another reference)
        bool loaded = false; ///< the claimant's row is in the confirming statement, for update()
        /// Set: equal to the stored claimant (its content digest), whose state this is.
        std::optional<State> unchanged = std::nullopt;
    };

    // ---- one registration (store/registrar.cpp) ----
    AddResult add(const Registration& r, const Row& row, const StoredVerdict& verdict,
                  const Source& source);
    /// Finds the claimant that `r` duplicates, if any (read only, but writes waiting rows).
    std::optional<Match> find_duplicate(const Registration& r, const Row& row);
    /// The same submission again: compares it with what is stored and, as update_mode says,
    /// updates it.
    AddResult update(const Match& match, const Registration& r, const Row& row,
                     const StoredVerdict& verdict);
    AddResult update_linked(const Match& match, const Registration& r, const Row& row);
    /// Another claimant than `id` whose identity key is `key`, if any.
    std::optional<std::int64_t> other_with_identity(std::int64_t id, const std::string& key,
                                                    std::int64_t digest);
    void add_linked(std::int64_t claimant_id, const Registration& r, const Source& source,
                    const Row& row);
    /// The claimant that matched claimant `id` stands for: the one it is linked into
    /// (following links), or 0 when it is a claimant of its own.
    std::int64_t linked_into(std::int64_t id);
    std::int64_t check_id(const StoredVerdict& verdict);
    std::int64_t source_id_of(const Source& source);
    /// Appends an `updated` audit row for claimant `id`.
    void audit_update(std::int64_t id, const std::string& detail);

    // ---- bulk mode (store/bulk.cpp) ----
    void begin_bulk(std::uint64_t expected_rows);
    void end_bulk();
    /// Writes the new claimants still waiting.
    void flush();
    /// Always inlined: see KeyIndex::prefetch.
    [[gnu::always_inline]] void prefetch(const Row& row) const {
        if (!keys_) return;
        keys_->prefetch(row.digest);
        if (row.ref_digest != 0) keys_->prefetch(row.ref_digest);
        const auto day = static_cast<std::uint64_t>(row.birth_day - first_tally_day_);
        const std::uint64_t offset = day * tally_slots;
        if (offset < new_tallies_.size()) __builtin_prefetch(&new_tallies_[offset], 1);
    }
    /// Whether `row` gives every field and equals the stored claimant `id` by their content
    /// digests; if so, the claimant's state goes to `state`.
    bool same_content(std::int64_t id, const Row& row, State& state) const;
    /// Claimant `id` is changing; its loaded content digest no longer holds.
    void forget(std::int64_t id) {
        if (static_cast<std::uint64_t>(id) < stored_content_.size()) {
            stored_content_[static_cast<std::size_t>(id)] = 0;
        }
    }
    /// Writes the waiting claimants if `id` is one of them, before it is read or referred to.
    void store_pending(std::int64_t id) {
        if (!pending_.empty() && id >= pending_.front().id) flush();
    }
    void move_tally(const std::array<std::string, 4>& from, const std::array<std::string, 4>& to);
    void tally(const Verdict& verdict, std::int64_t birth_day);
    /// Finishes every statement: DDL (dropping an index) fails while one is still running.
    void reset_statements();
    /// Drops the `claimants` indexes or triggers whose names start with `prefix`, for end_bulk().
    void drop_schema(std::string_view type, std::string_view prefix);

    Registry& registry_;
    std::unique_ptr<Statements> st_;
    std::string now_ = now_utc();
    UpdateMode update_mode_ = UpdateMode::ignore;
    DigestKey content_key_{};
    std::int64_t next_id_ = 1;  ///< the id of the next new claimant
    std::int64_t first_id_ = 1; ///< the first claimant this registrar added (or will)
    std::unique_ptr<ErasedKeys> erased_; ///< the digests of erased children
    /// The claimants of pairs decided `same` (schema 8): only these can be linked into another.
    std::unordered_set<std::int64_t> decided_same_;
    /// The check and source of the previous row: an import has one of each.
    std::optional<std::pair<std::pair<const RuleSet*, Date>, std::int64_t>> check_cache_;
    struct SourceCache {
        std::string command, file;
        std::int64_t id;
    };
    std::optional<SourceCache> source_cache_;

    // Bulk mode.
    std::optional<KeyIndex> keys_;
    /// Per claimant id stored when it began, its content digest with the low two bits replaced
    /// by its state (1 active, 2 withdrawn, 3 opted out); 0: unknown.
    std::vector<std::uint64_t> stored_content_;
    std::uint64_t drop_indexes_after_ = 0;
    std::uint64_t inserted_ = 0;
    bool indexes_dropped_ = false;
    std::vector<std::string> dropped_schema_; ///< CREATE statements of what bulk mode dropped
    /// Claimants that moved between `tallies` rows (updates, state changes).
    std::map<std::array<std::string, 4>, std::int64_t> moved_tallies_;
    static constexpr std::size_t band_slots = 4; ///< no age band, or one of three
    static constexpr std::size_t tally_slots = 3 * band_slots;
    /// The new claimants per `tallies` row (all active), by birth date (a day number from
    /// `first_tally_day`) and then verdict and age band (tally_slots of them).
    std::vector<std::uint64_t> new_tallies_;
    std::int64_t first_tally_day_ = 0;
    /// New claimants not yet written, and the statements that write 1 to max_pending of them
    /// at once, prepared when first needed.
    struct Pending {
        const Registration* r;
        const Row* row;
        VerdictKind verdict;
        std::optional<AgeBand> age_band;
        std::int64_t source_id, check_id, id;
        std::uint64_t line;
    };
    static constexpr std::size_t max_pending = 32;
    std::vector<Pending> pending_;
    std::vector<std::unique_ptr<store::RawStatement>> insert_claimants_;
};

/// SQLiteCpp statements for the reads (few a row), SQLite's own for the writes that bind the
/// fields (store::bind_fields).
struct Registrar::Impl::Statements {
    SQLite::Statement find_ref;
    SQLite::Statement find_identity;
    SQLite::Statement load_identity;
    SQLite::Statement find_linked_email;
    store::RawStatement insert_linked;
    SQLite::Statement touch_claimant;
    SQLite::Statement load_claimant;
    SQLite::Statement load_registration;
    /// update_claimant()'s, by the fields they set.
    std::unordered_map<FieldSet, std::unique_ptr<store::RawStatement>> update_claimant_of;
    store::RawStatement update_registration;
    SQLite::Statement insert_audit;
    SQLite::Statement confirm_claimant_ref;
    SQLite::Statement confirm_linked_ref;
    SQLite::Statement load_link;

    explicit Statements(SQLite::Database& db);

    /// load_claimant's and confirm_claimant_ref's columns after the fields: state, verdict,
    /// age band.
    static constexpr int state_column = static_cast<int>(field_count);
    /// load_identity's columns after the identity fields: registrant_email, external_ref.
    static constexpr int email_column = store::count_of(store::identity_fields);
    static constexpr int ref_column = email_column + 1;

    // Finishes every statement: DDL (dropping an index) fails while one is still running.
    void reset_all() {
        for (SQLite::Statement* s :
             {&find_ref, &find_identity, &load_identity, &find_linked_email, &touch_claimant,
              &load_claimant, &load_registration, &insert_audit, &confirm_claimant_ref,
              &confirm_linked_ref, &load_link}) {
            s->reset();
        }
        insert_linked.reset();
        update_registration.reset();
        for (auto& [fields, s] : update_claimant_of) s->reset();
    }

    /// The UPDATE of a claimant whose fields `changed` differ: it sets those columns (the
    /// identity digest with an identity field), the verdict, check, content digest and
    /// changed_at, and leaves the other columns, and the index entries of the unchanged ones,
    /// untouched. Parameters: ?1.. the changed fields (bind_fields' order), ?18 the identity
    /// digest, ?19 verdict, ?20 reasons, ?21 age band, ?22 check id, ?23 changed_at, ?24 the
    /// id, ?25 the content digest.
    store::RawStatement& update_claimant(SQLite::Database& db, FieldSet changed) {
        auto& s = update_claimant_of[changed];
        if (!s) {
            std::string sql =
                "UPDATE claimants SET " + store::column_assignments(changed, 1) + ", ";
            if ((changed & store::identity_fields) != 0) sql += "identity_digest = ?18, ";
            sql += "verdict = ?19, reasons = ?20, age_band = ?21, check_id = ?22, "
                   "changed_at = ?23, content_digest = ?25 WHERE id = ?24";
            s = std::make_unique<store::RawStatement>(db, sql);
        }
        return *s;
    }
};

} // namespace claimreg
