#include <string>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/review.hpp"
#include "store/claimant_scan.hpp"
#include "store/claimant_store.hpp"

namespace claimreg {

using store::ClaimantRow;
using store::Kept;

WithdrawResult change_state(Registry& registry, std::int64_t id, State target, Date as_of,
                            const std::string& now) {
    WithdrawResult result;
    std::string rule_set;
    std::string country;
    EligibilityInput in;
    constexpr store::ColumnSet columns =
        store::eligibility_columns |
        store::columns_of({}, {Kept::state, Kept::state_changed_at, Kept::rule_set, Kept::verdict,
                               Kept::reasons, Kept::age_band});
    const bool found = store::read_claimant(registry, id, columns, [&](const ClaimantRow& row) {
        result.previous = parse_state(row.text(Kept::state));
        if (result.previous == State::linked) return;
        result.state = result.previous;
        result.state_changed_at = row.text(Kept::state_changed_at);
        rule_set = row.text(Kept::rule_set);
        result.verdict = row.text(Kept::verdict);
        result.reasons = row.text(Kept::reasons);
        result.verdict_before = result.verdict;
        result.age_band_before = row.text(Kept::age_band);
        result.age_band = result.age_band_before;
        result.birth_date = row.text(Field::child_birth_date);
        country = row.text(Field::country);
        try {
            // Read without the state: the target state is set below.
            in = store::eligibility_input(row, store::eligibility_columns);
            in.country = country;
        } catch (const RuleError&) {
            throw DataError(fmt::format("stored claimant {} fails validation", id));
        }
    });
    if (!found) throw no_such_claimant(registry, id);
    if (result.previous == State::linked) {
        throw linked_claimant_error(id, linked_into(registry, id).value_or(0));
    }
    // Already there, or opted out (a withdrawal does not undo the formal opt-out): unchanged.
    if (result.previous == target ||
        (target == State::withdrawn && result.previous == State::opted_out)) {
        return result;
    }
    if (target == State::active && result.previous == State::opted_out) {
        result.refused = true; // the formal opt-out is final
        return result;
    }
    // The verdict follows the new state at once (reason withdrawn / opted_out), under the
    // claimant's rule set (the default if this build does not know it).
    const RuleSet* rules = &default_rule_set();
    for (const RuleSet& r : rule_sets()) {
        if (r.name == rule_set) rules = &r;
    }
    in.state = target;
    const Verdict verdict = evaluate(in, *rules, as_of);
    result.verdict = std::string(to_string(verdict.verdict));
    result.reasons = join_reasons(verdict.reasons);
    result.age_band = verdict.age_band ? std::string(to_string(*verdict.age_band)) : std::string();
    store::set_state(registry, id,
                     {to_string(target), now, result.verdict, result.reasons, result.age_band,
                      record_check(registry, *rules, as_of, CheckScope::rows)});
    const AuditAction action = target == State::opted_out ? AuditAction::opted_out
                               : target == State::withdrawn ? AuditAction::withdrawn
                                                            : AuditAction::reactivated;
    append_audit(registry, action, id, std::nullopt,
                 fmt::format("from {}", to_string(result.previous)), now);
    result.state = target;
    result.changed = true;
    result.state_changed_at = now;
    return result;
}

WithdrawResult withdraw_claimant(Registry& registry, std::int64_t id, State target, Date as_of,
                                 const std::string& now) {
    if (target == State::active) {
        throw ValueError("a claimant cannot be withdrawn into state 'active'");
    }
    WriteTransaction tx(registry);
    WithdrawResult result = change_state(registry, id, target, as_of, now);
    if (result.changed) tx.commit(); // else nothing was written
    return result;
}

} // namespace claimreg
