#pragma once
// A claimant's life after registration: showing the record, withdrawal and opt-out, erasure
// (GDPR Art. 17), and the append-only audit trail that records what happened when.
//
// The audit trail (table `audit`, schema 3) holds actions, times, claimant ids and counts,
// never personal data; triggers refuse UPDATE and DELETE on it. It outlives an erased
// claimant, keeps the totals honest (`stats`: erased) and keeps the erased id from reuse.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/eligibility.hpp"
#include "claimreg/record.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// What an audit row records.
enum class AuditAction {
    imported,  ///< one import-csv run that stored something (count: claimants imported)
    added,     ///< `add` stored a new claimant or a linked registration
    withdrawn, ///< a claimant was withdrawn
    opted_out, ///< a claimant opted out (the formal WAMCA opt-out)
    erased,    ///< a claimant and its linked registrations were erased (count: rows erased,
               ///< detail `linked=N`)
    updated,   ///< a stored registration took corrected values (detail: `fields=` and their
               ///< names, `registration=N` first for a linked one; never the values)
    reactivated, ///< a withdrawn claimant became active again (a source's `state` column)
    linked,      ///< review.hpp: a claimant linked into another (one row for each; detail
                 ///< `keep=K other=O`)
    unlinked,    ///< review.hpp: a link undone (one row for each; detail `keep=K other=O`)
    distinct,    ///< review.hpp: two claimants recorded as different children (detail `a=A b=B`)
};

/// Stored spellings: `imported`, `added`, `withdrawn`, `opted-out`, `erased`, `updated`,
/// `reactivated`, `linked`, `unlinked`, `distinct`.
std::string_view to_string(AuditAction action);

/// One audit row.
struct AuditEvent {
    std::int64_t id = 0;
    std::string at;                         ///< UTC `YYYY-MM-DDTHH:MM:SSZ`
    std::string action;                     ///< an AuditAction spelling
    std::optional<std::int64_t> claimant_id;
    std::optional<std::int64_t> count;
    std::string detail;                     ///< counts and codes only; empty when none
};

/// Appends an audit row at `at` (UTC). Call inside the WriteTransaction of the change it
/// records. `detail` must carry no personal data (counts, codes, a file name).
void append_audit(Registry& registry, AuditAction action, std::optional<std::int64_t> claimant_id,
                  std::optional<std::int64_t> count, std::string_view detail, std::string_view at);

/// A further registration of the same child (by someone else), as stored.
struct LinkedRegistration {
    std::int64_t id = 0;
    std::string external_ref;
    std::string registrant_name;
    std::string registrant_email;
    std::string registrant_phone;
    std::string registrant_relation;
    bool consent = false;
    std::string registered_at;
    std::string source; ///< `add`, `import-csv:FILE`, plus `:LINE` when there is one
    std::string added_at;
};

/// Everything the registry holds on one claimant (`show`).
struct ClaimantRecord {
    std::int64_t id = 0;
    /// The canonical record fields as stored (Field order); consent is `yes` or `no`, absent
    /// optional values are empty.
    std::array<std::string, field_count> fields;
    std::string state;            ///< `active`, `withdrawn`, `opted-out`, `linked`
    /// State `linked`: the claimant it is linked into (following links).
    std::optional<std::int64_t> linked_to;
    /// The claimants linked into this one (review.hpp), ascending.
    std::vector<std::int64_t> linked_claimants;
    std::string state_changed_at; ///< empty while never changed
    std::string verdict;
    std::string reasons;          ///< comma-separated codes, empty when none
    std::string age_band;         ///< empty for 18 and over
    std::string rule_set;
    std::string checked_at;       ///< the as-of date of the verdict
    std::string source;           ///< as LinkedRegistration::source
    std::string changed_at;       ///< last change in the registry (UTC), for `export --since`
    std::vector<LinkedRegistration> registrations; ///< in the order they were stored
    std::vector<AuditEvent> audit;                 ///< this claimant's audit rows, oldest first

    const std::string& field(Field f) const { return fields[static_cast<std::size_t>(f)]; }
};

/// The NotFoundError for an unknown claimant `id`, saying so when it was erased.
NotFoundError no_such_claimant(Registry& registry, std::int64_t id);

/// Reads claimant `id` with its linked registrations and audit events, in one snapshot.
/// Throws NotFoundError when there is no such claimant (saying so when it was erased).
ClaimantRecord show_claimant(Registry& registry, std::int64_t id);

/// Stores one registration (`add`): a new claimant with `verdict`, a registration linked to
/// the same child's claimant, or nothing (the same submission again), with an `added` audit
/// row when something was stored; one transaction. The same child as a claimant linked into
/// another gives the one it is linked into.
AddResult add_registration(Registry& registry, const Registration& r, const StoredVerdict& verdict,
                           const Source& source);

/// Corrects claimant `id` by hand (`update`): the fields in `given` take the values of
/// `values` (the others keep theirs), the whole record passes the rules of `add` (dates up to
/// `today`), the verdict is re-evaluated under the default rules as of `today`, changed_at set
/// and an `updated` audit row written with the changed field names, in one transaction.
/// Returns the changed fields (none: nothing written). Throws NotFoundError (no such
/// claimant), FieldError (a value breaks a rule) and DataError (the child would be the same as
/// another claimant, whose id it names; a claimant linked into another, naming it).
FieldSet update_claimant(Registry& registry, std::int64_t id, const RawRecord& values,
                         FieldSet given, Date today, const std::string& now);

/// What withdraw_claimant() did.
struct WithdrawResult {
    State previous = State::active;
    State state = State::active;  ///< the state now
    bool changed = false;         ///< false: it was already in that state, or opted out
    std::string state_changed_at; ///< when the current state began (empty if never changed)
    std::string verdict;          ///< the stored verdict (re-evaluated when changed)
    std::string reasons;          ///< its comma-separated reason codes
    bool refused = false;         ///< back to active from opted-out: refused (the opt-out is final)
    std::string verdict_before;   ///< the verdict before the change
    std::string age_band_before;  ///< the age band before the change
    std::string age_band;         ///< the age band now
    std::string birth_date;       ///< the child's birth date as stored (for the tallies)
};

/// The state change of withdraw_claimant() inside the caller's transaction, for a source's
/// `state` column too: `target` active makes a withdrawn claimant active again, and is refused
/// (`refused`, nothing written) for an opted-out one. Throws NotFoundError, and DataError for
/// a claimant linked into another (naming it).
WithdrawResult change_state(Registry& registry, std::int64_t id, State target, Date as_of,
                            const std::string& now);

/// Withdraws claimant `id` (`target` withdrawn) or records its opt-out (`target` opted_out):
/// sets the state, state_changed_at and changed_at to `now`, re-evaluates and stores the
/// verdict under the claimant's stored rule set (the default if unknown) as of `as_of`, and
/// appends an audit row, in one transaction. Idempotent: a claimant already in `target` is
/// left alone. An opted-out claimant stays opted out when withdrawn (the opt-out is the
/// stronger, formal statement); a withdrawn one may still opt out. Throws NotFoundError.
WithdrawResult withdraw_claimant(Registry& registry, std::int64_t id, State target, Date as_of,
                                 const std::string& now);

/// The number of registrations linked to claimant `id` (besides its own). Throws
/// NotFoundError when there is no such claimant.
std::int64_t linked_registration_count(Registry& registry, std::int64_t id);

/// What erase_claimant() did.
struct EraseResult {
    std::int64_t linked = 0;   ///< linked registrations erased with the claimant
    /// Claimants linked into it (review.hpp: the same child) erased with it, with theirs.
    std::int64_t linked_claimants = 0;
    bool wal_truncated = true; ///< false: another process kept old pages in the WAL
};

/// Erases claimant `id` and its linked registrations for good, with the claimants linked into
/// it (the same child) and theirs; claimants linked into a linked `id` are linked on to the one
/// it was linked into. Deleted with secure_delete (freed space zeroed) plus an `erased` audit
/// row (ids and counts only: detail `linked=N`, and `claimants=ID,...`) in one transaction,
/// then `PRAGMA wal_checkpoint(TRUNCATE)` so no old copy stays in the write-ahead log.
/// Throws NotFoundError.
EraseResult erase_claimant(Registry& registry, std::int64_t id, const std::string& now);

/// The number of claimants erased so far (the audit trail's `erased` rows).
std::uint64_t erased_count(Registry& registry);

} // namespace claimreg
