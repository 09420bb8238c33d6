#pragma once
// The SQLite registry file: opening and creating it (mode 0600, WAL), schema migrations,
// write transactions, and storing one registration with duplicate detection. Implemented in
// src/claimreg/store/, which owns the registry's SQL and turns SQLite's failures into
// claimreg errors.

#include <cstdint>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "claimreg/clock.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/record.hpp"

// The database engine's types, declared only: store code (src/claimreg/store/ and the modules
// that run their own SQL) includes their headers, the command line never does.
struct sqlite3_context;
struct sqlite3_value;
namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace claimreg {

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

/// No registry at the path a reading or updating command was given (NotFoundError, 66). The
/// message says what is missing: `no registry at PATH`.
class MissingRegistryError : public NotFoundError {
  public:
    explicit MissingRegistryError(const std::string& path);
};

/// An empty file where a reading or updating command expects a registry (NotFoundError, 66):
/// `no registry in PATH: an empty file`.
class EmptyRegistryError : public NotFoundError {
  public:
    explicit EmptyRegistryError(const std::string& path);
};

/// A registry of an older schema opened where it may not be migrated: read-only, or a dry run
/// (DataError, 65): `registry PATH has schema version N; this claimreg reads version M`.
class OldSchemaError : public DataError {
  public:
    OldSchemaError(const std::string& path, int found);
};

/// Runs `work` and returns its status. A failure of the database engine under the registry
/// that escapes it is thrown as the claimreg error it stands for: BusyError (locked by another
/// process past the busy timeout), DataError (not a database, or a damaged one), IoError (a
/// read or write failed, the disk is full, the file cannot be opened or written), otherwise an
/// internal Error. Their messages name tables and columns, never bound values.
ExitStatus with_store_errors(const std::function<ExitStatus()>& work);

/// The version of the SQLite library the registry is read and written with (`3.40.1`).
std::string_view sqlite_version();

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

    /// The underlying connection (for store code: include <SQLiteCpp/Database.h> to use it).
    SQLite::Database& db() { return *db_; }
    /// A statement of `sql` prepared once on this connection and kept while it is open, reset
    /// and its parameters cleared: for the statements a bulk import runs again for every row it
    /// changes. Reset it once its rows are read (a statement still stepping blocks a schema
    /// change).
    SQLite::Statement& statement(const std::string& sql);
    /// The path it was opened with.
    const std::string& path() const { return path_; }

    Registry(Registry&&) noexcept;
    /// Not assignable: the old connection would close before its statements are finalised.
    Registry& operator=(Registry&&) = delete;
    ~Registry();

  private:
    Registry();
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
    std::unique_ptr<SQLite::Statement> upsert_;
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
    void set_update_mode(UpdateMode mode);
    /// In bulk mode, notes that a claimant moved from one `tallies` row to another (a change
    /// of state or verdict made beside this registrar), for end_bulk() to count.
    void move_tally(const std::array<std::string, 4>& from, const std::array<std::string, 4>& to);
    /// Writes the waiting new claimants up to `id`, before something else reads or changes it
    /// (and, in bulk mode, stops trusting what it loaded of that claimant).
    void settle(std::int64_t id);

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
    /// In bulk mode, starts loading what add() will look up for `row` (call it a few rows
    /// ahead).
    void prefetch(const Row& row) const;
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
    /// Its statements, caches and bulk-mode state (src/claimreg/store/registrar_impl.hpp).
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace claimreg
