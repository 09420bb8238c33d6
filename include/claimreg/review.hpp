#pragma once
// A person's decisions on near-duplicates (schema 8): `link KEEP OTHER` makes OTHER a
// registration linked to KEEP (OTHER keeps its row and data, state `linked`, linked_to = KEEP,
// so that `unlink` restores it under its own id), `distinct A B` records two different
// children, and `resolve` applies a reviewed CSV of such decisions in one transaction. Every
// decided pair is in `pair_decisions` (lower id first) and never proposed again; every decision
// is in the audit trail with ids only.

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "claimreg/csv.hpp"
#include "claimreg/registry.hpp"

namespace claimreg {

/// The claimant that `id` is linked into, following links (a claimant linked into one that was
/// linked in turn), or nullopt when `id` is not linked. Throws NotFoundError for an unknown id.
std::optional<std::int64_t> linked_into(Registry& registry, std::int64_t id);

/// Claimant `id` given where only a claimant of its own will do (withdrawing, updating or
/// checking it), but linked into `keep` (DataError, 65): `claimant ID is linked into claimant
/// KEEP (the same child)`.
class LinkedClaimantError : public DataError {
  public:
    LinkedClaimantError(std::int64_t id, std::int64_t keep);
    std::int64_t id() const noexcept { return id_; }
    std::int64_t keep() const noexcept { return keep_; }

  private:
    std::int64_t id_, keep_;
};

/// The LinkedClaimantError of claimant `id`, linked into `keep`.
LinkedClaimantError linked_claimant_error(std::int64_t id, std::int64_t keep);

/// The claimants linked directly into `id`, ascending (inside the caller's transaction).
std::vector<std::int64_t> claimants_linked_into(Registry& registry, std::int64_t id);

/// Links `other` into `keep` in one transaction: `other` becomes state `linked` with linked_to
/// = `keep` (its data, registrations and verdict kept), both get changed_at = `now`, the pair
/// is recorded `same` (replacing a `distinct`), and each gets a `linked` audit row (detail
/// `keep=K other=O`). Throws NotFoundError (unknown id), DataError (the same id twice, either
/// not active, `other` already linked).
void link_claimants(Registry& registry, std::int64_t keep, std::int64_t other,
                    const std::string& now);

/// Records that `a` and `b` are different children (`distinct`), in one transaction, with a
/// `distinct` audit row for each (detail `a=A b=B`, lower id first). Idempotent. Throws
/// NotFoundError (unknown id), DataError (the same id twice; one is linked into the other).
void mark_distinct(Registry& registry, std::int64_t a, std::int64_t b, const std::string& now);

/// Undoes the link of `id` in one transaction: it is an active claimant again with its own
/// data and verdict, linked_to cleared, the `same` decision of the pair deleted, changed_at of
/// both set to `now`, and an `unlinked` audit row for each. Returns the claimant it was linked
/// to. Throws NotFoundError (unknown id), DataError (not linked, or a correction from the
/// source made its identity key that of the claimant it is linked to: one child for good).
std::int64_t unlink_claimant(Registry& registry, std::int64_t id, const std::string& now);

/// A row of a reviewed file that cannot be applied: its 1-based line, the column (`a`, `b`,
/// `decision`, or empty for the row as a whole) and why; never a cell's value.
struct ResolveError {
    std::uint64_t line = 0;
    std::string column;
    std::string reason;
};

/// What resolve_decisions() did, or would have done.
struct ResolveReport {
    std::uint64_t rows = 0;           ///< data rows read
    std::uint64_t linked = 0;         ///< `same`: claimants linked into another
    std::uint64_t distinct = 0;       ///< `distinct`: pairs recorded
    std::uint64_t skipped = 0;        ///< empty decision: not reviewed yet
    std::uint64_t already = 0;        ///< decided that way before: nothing to do
    std::vector<ResolveError> errors; ///< when not empty, nothing was applied
};

/// Applies a reviewed CSV (`duplicates --format csv` with its `decision` column filled in):
/// columns `a`, `b` and `decision` found by header name (any case; other columns ignored),
/// decisions `same|distinct` or Dutch `zelfde|verschillend` in any case, an empty one skipped.
/// `same` links the pair's claimants (each followed through its links) into the lower id;
/// `distinct` records them as different children. One transaction: when any row is bad (an
/// unknown or non-active id, a bad value, a pair that contradicts another row or a decision
/// stored before) nothing is applied and every bad row is in `errors`; else the audit rows say
/// `by=resolve`. Throws DataError for a missing column or an unreadable header.
ResolveReport resolve_decisions(Registry& registry, std::FILE* in, const CsvReadOptions& csv,
                                const std::string& now);

} // namespace claimreg
