#pragma once
// The SQLite registry file: opening and creating it (mode 0600, WAL), schema migrations,
// write transactions, and storing one registration with duplicate detection.

#include <cstdint>
#include <array>
#include <functional>
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
#include "claimreg/eligibility.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"

struct sqlite3_context;
struct sqlite3_value;

namespace claimreg {

class ErasedKeys;

/// How a command opens the registry.
enum class OpenMode {
    read,   ///< read-only: must exist (NotFoundError otherwise); never created, migrated or changed
    update, ///< read-write: must exist (NotFoundError otherwise); migrated unless told not to
    write,  ///< read-write: created (mode 0600) when missing; migrated
};

/// Registry connection settings.
struct RegistryOptions {
    int busy_timeout_ms = 5000; ///< wait this long for another writer, then BusyError
    /// No journal and no fsync: only for a private file that is thrown away unless complete
    /// (a new registry built by a bulk import before it is renamed into place).
    bool unjournaled = false;
    /// Update and write modes: bring an older schema up to date. When false, an older schema
    /// is refused like in read mode (a dry run changes nothing).
    bool migrate = true;
    /// Receives notices worth telling the user (a registry made private, a migration and what
    /// it changed); never personal data.
    std::function<void(const std::string&)> on_notice;
};

/// An open registry file, its schema current.
class Registry {
  public:
    /// The schema version this build writes (`PRAGMA user_version`).
    static constexpr int schema_version = 8;
    /// The page size of a new registry file.
    static constexpr int page_size = 16384;
    /// `PRAGMA application_id` of a claimreg registry ("CLRG").
    static constexpr std::int32_t application_id = 0x434c5247;

    /// Opens (or, in write mode, creates) the registry at `path`. The file is untrusted until
    /// checked: before any other statement its application id, schema version and exact set of
    /// schema objects are compared with what this build's migrations create; anything else is
    /// refused (DataError) without a change to the file. The connection runs with
    /// trusted_schema off and SQLite's defensive mode on. In read mode the connection is
    /// read-only (a registry on read-only media opens too) and an older schema is refused with
    /// a pointer to `claimreg migrate`; in update and write modes it is migrated, and a file
    /// readable by group or others is made 0600 first (a notice) or, when owned by another
    /// user, refused (DataError). Throws NotFoundError (missing or empty file, read and update
    /// modes), CannotCreateError, DataError, BusyError.
    Registry(const std::string& path, OpenMode mode, RegistryOptions options = {});

    /// The schema version of the registry as opened (before any migration it went through).
    int opened_version() const { return opened_version_; }

    /// A private temporary registry (deleted on close), for validating without a registry.
    static Registry scratch();
    /// Switches an unjournaled registry to WAL, as every registry is once in place.
    void enable_wal();

    /// The underlying connection.
    SQLite::Database& db() { return *db_; }
    /// A statement of `sql` prepared once on this connection and kept while it is open, reset
    /// and its parameters cleared: for the statements a bulk import runs again for every row it
    /// changes. Reset it once its rows are read (a statement still stepping blocks a schema
    /// change).
    SQLite::Statement& statement(const std::string& sql);
    /// The path it was opened with.
    const std::string& path() const { return path_; }

    Registry(Registry&&) = default;
    /// Not assignable: the old connection would close before its statements are finalised.
    Registry& operator=(Registry&&) = delete;

  private:
    Registry() = default;
    std::string path_;
    std::unique_ptr<SQLite::Database> db_;
    int opened_version_ = 0;
    /// statement()'s, destroyed before the connection they belong to.
    std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

/// Which checks are recorded in the `checks` table (schema 4): a check of some rows, or of all.
enum class CheckScope { rows, all };

/// Records an evaluation under `rules` as of `as_of` in `checks` and returns its id, inside the
/// caller's transaction. A check of some rows reuses the newest check when that is the same
/// (so a day's `add`s share one); a check of all rows is always new. A claimant's rule set and
/// as-of date are those of the newer of its own check (`claimants.check_id`) and the newest
/// check of all rows: `--all` then needs to write only the rows whose verdict changed.
std::int64_t record_check(Registry& registry, const RuleSet& rules, Date as_of, CheckScope scope);

/// SQL over a claimant aliased `c`: the id of the check that evaluated it last (see
/// record_check), for joining `checks`.
inline constexpr const char* effective_check_sql =
    "max(c.check_id, (SELECT coalesce(max(id), 0) FROM checks WHERE scope = 'all'))";

/// Returns the id of `name` (`add`, `import-csv:FILE`) in `sources`, adding it when new, inside
/// the caller's transaction.
std::int64_t source_id(Registry& registry, std::string_view name);

/// Drops the indexes or triggers (`type`: `index` or `trigger`) on `claimants` whose names
/// start with `prefix` (empty: all of them), inside the caller's transaction, and returns their
/// CREATE statements to restore them by exec. The statements are this build's own (never SQL
/// text read back from the file).
std::vector<std::string> drop_claimants_schema(Registry& registry, std::string_view type,
                                               std::string_view prefix);

/// An SQL function of this connection while alive, which only top-level SQL may call (never a
/// trigger, view or index of the file: SQLITE_DIRECTONLY); `context` is its user data.
class DirectFunction {
  public:
    using Impl = void (*)(sqlite3_context*, int, sqlite3_value**);
    /// Registers it; throws Error (internal) when SQLite refuses.
    DirectFunction(Registry& registry, const char* name, int arguments, void* context, Impl impl);
    /// Removes it.
    ~DirectFunction();
    DirectFunction(const DirectFunction&) = delete;
    DirectFunction& operator=(const DirectFunction&) = delete;

  private:
    Registry& registry_;
    const char* name_;
    int arguments_;
};

/// Adds counts to `tallies` (schema 5) directly, for code that changes many claimants with the
/// `tallies_*` triggers dropped (bulk import, check-eligibility --all). Rows that reach 0 are
/// removed by finish() (or the destructor).
class TallyWriter {
  public:
    explicit TallyWriter(Registry& registry);
    ~TallyWriter();
    TallyWriter(const TallyWriter&) = delete;
    TallyWriter& operator=(const TallyWriter&) = delete;
    /// Adds `n` (negative: takes away) to the claimants counted under these values.
    void add(std::string_view state, std::string_view verdict, std::string_view age_band,
             std::string_view birth, std::int64_t n);
    void finish();

  private:
    Registry& registry_;
    SQLite::Statement upsert_;
    bool removed_ = false;
};

/// Deletes a registry file and its -wal/-shm companions (for undoing a creation).
void remove_registry_files(const std::string& path);

/// A write transaction (`BEGIN IMMEDIATE`): rolled back unless commit() is called.
class WriteTransaction {
  public:
    explicit WriteTransaction(Registry& registry);
    ~WriteTransaction();
    WriteTransaction(const WriteTransaction&) = delete;
    WriteTransaction& operator=(const WriteTransaction&) = delete;
    /// Commits; throws BusyError or IoError on failure.
    void commit();

  private:
    Registry& registry_;
    bool open_ = true;
};

/// Where a registration came from.
struct Source {
    std::string_view command;  ///< `add`, `import-csv`
    std::string_view file;     ///< input file name, empty for `add`
    std::uint64_t line = 0;    ///< 1-based line in the file, 0 when none
};

/// The eligibility verdict to store with a claimant.
struct StoredVerdict {
    Verdict verdict;
    const RuleSet* rules = nullptr;
    Date as_of;
};

/// What storing a registration did.
enum class AddOutcome {
    added,             ///< a new claimant
    same_submission,   ///< seen before (same external reference, or same child and e-mail) and
                       ///< equal to what is stored (or updates are ignored): nothing stored
    linked,            ///< the same child registered by someone else: kept as a linked registration
    updated,           ///< the same submission with corrected fields: the stored one took them
    differs,           ///< the same submission with other values, kept as stored (updates reported)
    identity_conflict, ///< an update would make the child the same as another claimant (not one
                       ///< it is linked with, review.hpp): not applied
    erased,            ///< a child erased before (same reference or identity key): not stored again
};

/// A set of fields (bit `1 << Field`), such as the fields an update changed.
using FieldSet = std::uint32_t;
/// Every canonical field.
inline constexpr FieldSet all_fields = (FieldSet{1} << field_count) - 1;
/// The set holding only `f`.
constexpr FieldSet field_bit(Field f) { return FieldSet{1} << static_cast<std::size_t>(f); }
/// The names of the fields in `fields`, in Field order, separated by `separator`.
std::string field_names(FieldSet fields, std::string_view separator);

/// The result of Registrar::add().
struct AddResult {
    std::int64_t id = 0; ///< the claimant's id (new or existing)
    AddOutcome outcome = AddOutcome::added;
    FieldSet changed = 0;      ///< updated, differs: the fields that differ from what is stored
    std::int64_t other_id = 0; ///< identity_conflict: the claimant the update would duplicate
    /// The claimant's state, when add() read it (a same submission compared with its stored
    /// claimant) or knows it (a new claimant: active).
    std::optional<State> state = std::nullopt;
    /// The id of the linked registration the row was the same submission of (0: the
    /// claimant's own registration, or none).
    std::int64_t registration = 0;
    /// The claimant matched (`id`) is linked into this one (review.hpp: the same child); 0 when
    /// it is a claimant of its own.
    std::int64_t linked_to = 0;
    /// Whether the row was a registration of a claimant already stored (same submission,
    /// linked, updated or not).
    bool duplicate() const { return outcome != AddOutcome::added; }
};

/// What a Registrar does with a same submission whose values differ from the stored ones.
enum class UpdateMode {
    ignore, ///< nothing: it counts as the same submission (`add`)
    report, ///< nothing stored; the result names the differing fields (`import-csv --no-update`)
    apply,  ///< the stored registration takes the new values (`import-csv`)
};

/// Stores registrations with duplicate detection (SPEC.md "Identity and duplicates").
/// Construct and use inside a WriteTransaction; statements are prepared once and reused.
/// New claimants get ids above every id ever given, erased ones included (see lifecycle.hpp):
/// an id is never reused.
class Registrar {
  public:
    explicit Registrar(Registry& registry);
    ~Registrar();
    Registrar(const Registrar&) = delete;
    Registrar& operator=(const Registrar&) = delete;

    /// Bulk mode for imports: duplicate candidates come from an in-memory KeyIndex of every
    /// stored identity digest and external reference (a compact key per row) instead of a
    /// query per row. Once many new claimants have come in, the lookup indexes are dropped,
    /// to be rebuilt once by end_bulk(). `expected_rows` (an estimate) sizes the key index.
    void begin_bulk(std::uint64_t expected_rows);
    /// Ends bulk mode, rebuilding any dropped index (inside the caller's transaction).
    void end_bulk();
    /// Sets what add() does with a same submission that differs from what is stored (default
    /// ignore).
    void set_update_mode(UpdateMode mode) { update_mode_ = mode; }
    /// In bulk mode, notes that a claimant moved from one `tallies` row to another (a change
    /// of state or verdict made beside this registrar), for end_bulk() to count.
    void move_tally(const std::array<std::string, 4>& from, const std::array<std::string, 4>& to);
    /// Writes the waiting new claimants up to `id`, before something else reads or changes it
    /// (and, in bulk mode, stops trusting what it loaded of that claimant).
    void settle(std::int64_t id) {
        store_pending(id);
        forget(id);
    }

    /// What add() stores besides the registration itself, worked out once per row and with no
    /// I/O (an import does it in its reading thread): the duplicate keys and the stored text of
    /// the dates and the reasons.
    struct Row {
        std::string identity;        ///< identity_key()
        std::int64_t digest = 0;     ///< its digest
        std::int64_t ref_digest = 0; ///< digest of the external reference (0 when none)
        std::string birth_date, first_use, last_use, reasons;
        std::int64_t birth_day = 0; ///< the birth date as a day number (for the tallies)
        /// The fields the source gave (a column in the file, and for registered_at a value):
        /// only these are compared with, and update, a stored registration.
        FieldSet given = all_fields;
        /// The content digest (see digest_content); 0: not computed yet.
        std::int64_t content = 0;
    };
    /// The row of `r` with eligibility `verdict` (its content digest not yet computed).
    static Row prepare(const Registration& r, const Verdict& verdict);
    /// The text of field `f` of `r` as a registry column stores it (consent `1` or `0`, an
    /// absent value empty), with the dates of `row`.
    static std::string_view stored_text(const Registration& r, const Row& row, Field f);
    /// Sets `row.content` to the content digest of `r`: a keyed 64-bit digest (SipHash-2-4
    /// under a key derived from the registry's secret) of every field as a claimant stores it,
    /// kept in `claimants.content_digest`. In bulk mode a same submission whose digest equals
    /// the stored one, with every field given, is unchanged without reading its row. Never 0.
    /// Only reads the key: safe from another thread while this registrar works.
    void digest_content(const Registration& r, Row& row) const;

    /// Stores `r`: a new claimant with `verdict`, a linked registration, or nothing.
    AddResult add(const Registration& r, const StoredVerdict& verdict, const Source& source);
    /// In bulk mode, starts loading what find_duplicate() will look up for `row` (call it a
    /// few rows ahead).
    [[gnu::always_inline]] void prefetch(const Row& row) const { // see KeyIndex::prefetch
        if (!keys_) return;
        keys_->prefetch(row.digest);
        if (row.ref_digest != 0) keys_->prefetch(row.ref_digest);
        const auto day = static_cast<std::uint64_t>(row.birth_day - first_tally_day_);
        const std::uint64_t offset = day * tally_slots;
        if (offset < new_tallies_.size()) __builtin_prefetch(&new_tallies_[offset], 1);
    }
    /// The same, with `row` = prepare(r, verdict.verdict) computed beforehand. In bulk mode a
    /// new claimant may wait to be written with the next ones (one statement for many rows is
    /// much cheaper than one each): `r` and `row` must then stay alive and unchanged until
    /// flush() or end_bulk().
    AddResult add(const Registration& r, const Row& row, const StoredVerdict& verdict,
                  const Source& source);
    /// Writes the new claimants still waiting (bulk mode).
    void flush();
    /// Corrects claimant `id` to the values of `r` (`update`), with `verdict`'s rules and date:
    /// updated (with the changed fields), same_submission when nothing differs, or
    /// identity_conflict naming the other claimant. The update mode must be apply.
    AddResult correct(std::int64_t id, const Registration& r, const StoredVerdict& verdict);

  private:
    struct Statements;
    /// A stored registration that `r` duplicates.
    struct Match {
        AddOutcome outcome;            ///< same_submission or linked
        std::int64_t claimant = 0;     ///< its claimant
        std::int64_t registration = 0; ///< same_submission of a linked registration: its id
        bool comparable = true;        ///< false: another submission (another reference)
        bool loaded = false; ///< the claimant's row is in the confirming statement, for update()
        /// Set: equal to the stored claimant (its content digest), whose state this is.
        std::optional<State> unchanged = std::nullopt;
    };
    /// Bulk mode: whether `row` gives every field and equals the stored claimant `id` by their
    /// content digests; if so, the claimant's state goes to `state`.
    bool same_content(std::int64_t id, const Row& row, State& state) const;
    /// Bulk mode: claimant `id` is changing; its loaded content digest no longer holds.
    void forget(std::int64_t id) {
        if (static_cast<std::uint64_t>(id) < stored_content_.size()) {
            stored_content_[static_cast<std::size_t>(id)] = 0;
        }
    }
    /// The claimant that matched claimant `id` stands for: the one it is linked into
    /// (following links), or 0 when it is a claimant of its own.
    std::int64_t linked_into(std::int64_t id);
    /// Finds the claimant that `r` duplicates, if any (read only, but writes waiting rows).
    std::optional<Match> find_duplicate(const Registration& r, const Row& row);
    /// The same submission again: compares it with what is stored and, as update_mode_ says,
    /// updates it.
    AddResult update(const Match& match, const Registration& r, const Row& row,
                     const StoredVerdict& verdict);
    AddResult update_linked(const Match& match, const Registration& r, const Row& row);
    /// Another claimant than `id` whose identity key is `key`, if any.
    std::optional<std::int64_t> other_with_identity(std::int64_t id, const std::string& key,
                                                    std::int64_t digest);
    void add_linked(std::int64_t claimant_id, const Registration& r, const Source& source,
                    const Row& row);
    /// Writes the waiting claimants if `id` is one of them, before it is read or referred to.
    void store_pending(std::int64_t id) {
        if (!pending_.empty() && id >= pending_.front().id) flush();
    }
    std::int64_t check_id(const StoredVerdict& verdict);
    /// Finishes every statement: DDL (dropping an index) fails while one is still running.
    void reset_statements();
    /// Drops the `claimants` indexes or triggers whose names start with `prefix`, for end_bulk().
    void drop_schema(std::string_view type, std::string_view prefix);
    std::int64_t source_id_of(const Source& source);

    Registry& registry_;
    std::unique_ptr<Statements> st_;
    std::string now_ = now_utc();
    std::optional<KeyIndex> keys_;
    DigestKey content_key_{};
    /// Bulk mode: per claimant id stored when it began, its content digest with the low two
    /// bits replaced by its state (1 active, 2 withdrawn, 3 opted out); 0: unknown.
    std::vector<std::uint64_t> stored_content_;
    std::uint64_t drop_indexes_after_ = 0;
    std::uint64_t inserted_ = 0;
    std::int64_t next_id_ = 1;  ///< the id of the next new claimant
    std::int64_t first_id_ = 1; ///< the first claimant this registrar added (or will)
    bool indexes_dropped_ = false;
    std::vector<std::string> dropped_schema_; ///< CREATE statements of what bulk mode dropped
    UpdateMode update_mode_ = UpdateMode::ignore;
    std::unique_ptr<ErasedKeys> erased_; ///< the digests of erased children
    /// The claimants of pairs decided `same` (schema 8): only these can be linked into another.
    std::unordered_set<std::int64_t> decided_same_;
    /// Bulk mode: claimants that moved between `tallies` rows (updates, state changes).
    std::map<std::array<std::string, 4>, std::int64_t> moved_tallies_;
    static constexpr std::size_t band_slots = 4; ///< no age band, or one of three
    static constexpr std::size_t tally_slots = 3 * band_slots;
    /// Bulk mode: the new claimants per `tallies` row (all active), by birth date (a day
    /// number from `first_tally_day_`) and then verdict and age band (tally_slots of them).
    std::vector<std::uint64_t> new_tallies_;
    std::int64_t first_tally_day_ = 0;
    void tally(const Verdict& verdict, std::int64_t birth_day);
    /// The check and source of the previous row: an import has one of each.
    std::optional<std::pair<std::pair<const RuleSet*, Date>, std::int64_t>> check_cache_;
    struct SourceCache {
        std::string command, file;
        std::int64_t id;
    };
    std::optional<SourceCache> source_cache_;
    /// New claimants not yet written (bulk mode), and the statements that write 1 to
    /// max_pending of them at once, prepared when first needed.
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
    std::vector<std::unique_ptr<SQLite::Statement>> insert_claimants_;
};

} // namespace claimreg
