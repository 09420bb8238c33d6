#include "claimreg/lifecycle.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "claimreg/clock.hpp"
#include "claimreg/erasure.hpp"
#include "claimreg/error.hpp"
#include "claimreg/review.hpp"
#include "lifecycle_links.hpp"
#include "store/audit_log.hpp"
#include "store/claimant_scan.hpp"
#include "store/claimant_store.hpp"
#include "store/snapshot.hpp"

namespace claimreg {

namespace {

using store::ClaimantRow;
using store::Kept;

// What show_claimant reads of the claimant itself.
constexpr store::ColumnSet shown_columns =
    store::field_column_set |
    store::columns_of({}, {Kept::state, Kept::state_changed_at, Kept::verdict, Kept::reasons,
                           Kept::age_band, Kept::rule_set, Kept::checked_at, Kept::source,
                           Kept::source_line, Kept::changed_at});

} // namespace

NotFoundError no_such_claimant(Registry& registry, std::int64_t id) {
    if (const auto at = store::latest_audit_at(registry, to_string(AuditAction::erased), id)) {
        return NotFoundError(fmt::format("no claimant with id {} (erased at {})", id, *at));
    }
    return NotFoundError(fmt::format("no claimant with id {}", id));
}

bool ever_linked(Registry& registry, std::int64_t id) {
    return store::latest_audit_at(registry, to_string(AuditAction::linked), id).has_value();
}

std::string_view to_string(AuditAction action) {
    switch (action) {
    case AuditAction::imported: return "imported";
    case AuditAction::added: return "added";
    case AuditAction::withdrawn: return "withdrawn";
    case AuditAction::opted_out: return "opted-out";
    case AuditAction::erased: return "erased";
    case AuditAction::updated: return "updated";
    case AuditAction::reactivated: return "reactivated";
    case AuditAction::linked: return "linked";
    case AuditAction::unlinked: return "unlinked";
    case AuditAction::distinct: return "distinct";
    }
    return "unknown";
}

void append_audit(Registry& registry, AuditAction action, std::optional<std::int64_t> claimant_id,
                  std::optional<std::int64_t> count, std::string_view detail, std::string_view at) {
    store::insert_audit(registry, to_string(action), claimant_id, count, detail, at);
}

ClaimantRecord show_claimant(Registry& registry, std::int64_t id) {
    store::ReadSnapshot snapshot(registry); // three reads, one state
    ClaimantRecord rec;
    rec.id = id;
    const bool found = store::read_claimant(registry, id, shown_columns, [&rec](const ClaimantRow& row) {
        for (const FieldColumn& f : field_columns) {
            rec.fields[static_cast<std::size_t>(f.field)] = store::record_text(row, f.field);
        }
        rec.state = row.text(Kept::state);
        rec.state_changed_at = row.text(Kept::state_changed_at);
        rec.verdict = row.text(Kept::verdict);
        rec.reasons = row.text(Kept::reasons);
        rec.age_band = row.text(Kept::age_band);
        rec.rule_set = row.text(Kept::rule_set);
        rec.checked_at = row.text(Kept::checked_at);
        rec.source = row.text(Kept::source);
        if (!row.is_null(Kept::source_line)) rec.source += fmt::format(":{}", row.integer(Kept::source_line));
        rec.changed_at = row.text(Kept::changed_at);
    });
    if (!found) throw no_such_claimant(registry, id);
    if (rec.state == to_string(State::linked)) rec.linked_to = linked_into(registry, id);
    if (ever_linked(registry, id)) rec.linked_claimants = claimants_linked_into(registry, id);
    rec.registrations = store::registrations_of(registry, id);
    rec.audit = store::audit_of_claimant(registry, id);
    snapshot.commit();
    return rec;
}

AddResult add_registration(Registry& registry, const Registration& r, const StoredVerdict& verdict,
                           const Source& source) {
    WriteTransaction tx(registry);
    AddResult result;
    {
        Registrar registrar(registry);
        result = registrar.add(r, verdict, source);
    }
    if (result.linked_to != 0) result.id = result.linked_to; // the child's claimant
    if (result.outcome == AddOutcome::added || result.outcome == AddOutcome::linked) {
        append_audit(registry, AuditAction::added, result.id, 1,
                     result.outcome == AddOutcome::added ? "new claimant" : "linked registration",
                     now_utc());
    }
    tx.commit();
    return result;
}

FieldSet update_claimant(Registry& registry, std::int64_t id, const RawRecord& values,
                         FieldSet given, Date today, const std::string& now) {
    WriteTransaction tx(registry);
    if (const auto keep = linked_into(registry, id)) throw linked_claimant_error(id, *keep);
    std::array<std::string, field_count> stored;
    const bool found = store::read_claimant(
        registry, id, store::field_column_set, [&stored](const ClaimantRow& row) {
            for (const FieldColumn& f : field_columns) {
                stored[static_cast<std::size_t>(f.field)] = store::record_text(row, f.field);
            }
        });
    if (!found) throw no_such_claimant(registry, id);
    RawRecord raw;
    for (std::size_t f = 0; f < field_count; ++f) {
        raw[f] = (given & field_bit(static_cast<Field>(f))) != 0 ? values[f] : stored[f];
    }
    const Registration r = parse_registration(raw, today, now);
    const RuleSet& rules = default_rule_set();
    AddResult result;
    {
        Registrar registrar(registry);
        registrar.set_update_mode(UpdateMode::apply);
        result = registrar.correct(id, r, StoredVerdict{evaluate(eligibility_input(r), rules, today),
                                                        &rules, today});
    }
    if (result.outcome == AddOutcome::identity_conflict) {
        throw DataError(fmt::format("claimant {}: the update ({}) would make it the same child as "
                                    "claimant {}: not applied",
                                    id, field_names(result.changed, ", "), result.other_id));
    }
    if (result.outcome != AddOutcome::updated) return 0; // nothing written: rolled back
    tx.commit();
    return result.changed;
}

} // namespace claimreg
