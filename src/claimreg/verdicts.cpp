#include "claimreg/verdicts.hpp"

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "claimreg/clock.hpp"
#include "claimreg/error.hpp"
#include "claimreg/review.hpp"
#include "store/verdict_store.hpp"
#include "store/visited_row.hpp"

namespace claimreg {

namespace {

using store::Kept;

// What one evaluation scan adds up.
struct EvalContext {
    const RuleSet* rules;
    Date as_of;
    VerdictCounts counts{};
    Verdict last;                             ///< the last row's verdict
    std::vector<store::VerdictChange> changed; ///< rows whose stored verdict differs
};

// The stored columns a verdict depends on, then the stored verdict.
constexpr store::ColumnSet scan_columns =
    store::eligibility_columns |
    store::columns_of({}, {Kept::id, Kept::state, Kept::verdict, Kept::reasons, Kept::age_band});

// Evaluates the row, counts its verdict and notes it when it differs from the stored one.
void evaluate_row(void* eval, const store::VisitedRow& row) {
    EvalContext& context = *static_cast<EvalContext*>(eval);
    const Verdict v = evaluate(store::eligibility_input(row, scan_columns), *context.rules,
                               context.as_of);
    context.last = v;
    ++context.counts[static_cast<std::size_t>(v.verdict)];
    const std::string_view band = v.age_band ? to_string(*v.age_band) : std::string_view();
    if (row.text(Kept::verdict) != to_string(v.verdict) ||
        !is_joined_reasons(row.text(Kept::reasons), v.reasons) ||
        row.text(Kept::age_band) != band) {
        context.changed.push_back({row.integer(Kept::id), v, std::string(row.text(Kept::state)),
                                   std::string(row.text(Kept::verdict)),
                                   std::string(row.text(Kept::age_band)),
                                   std::string(row.text(Field::child_birth_date))});
    }
}

// Evaluates the rows `filter` selects in one read-only scan, then stores the verdict only on
// the rows whose verdict changed: those alone get a new changed_at. Which check evaluated a
// row is the caller's to record (registry.hpp, record_check).
void evaluate_and_store(Registry& registry, EvalContext& context, const store::ClaimantFilter& filter) {
    const std::string now = now_utc();
    store::visit_claimants(registry, scan_columns, filter, evaluate_row, &context);
    store::store_verdicts(registry, context.changed, now);
    context.changed.clear();
}

} // namespace

std::vector<ClaimantVerdict> check_claimants(Registry& registry, std::span<const std::int64_t> ids,
                                             const RuleSet& rules, Date as_of) {
    WriteTransaction tx(registry);
    const std::int64_t check = record_check(registry, rules, as_of, CheckScope::rows);
    std::vector<ClaimantVerdict> results;
    for (const std::int64_t id : ids) {
        const std::optional<std::string> state = store::claimant_state(registry, id);
        if (!state) throw NotFoundError(fmt::format("no claimant with id {}", id));
        if (*state == to_string(State::linked)) {
            throw linked_claimant_error(id, linked_into(registry, id).value_or(0));
        }
        EvalContext context{&rules, as_of, {}, {}, {}};
        store::ClaimantFilter filter;
        filter.states = store::ClaimantFilter::States::any;
        filter.id = id;
        evaluate_and_store(registry, context, filter);
        store::set_claimant_check(registry, id, check);
        results.push_back({id, context.last});
    }
    tx.commit();
    return results;
}

VerdictCounts check_all_claimants(Registry& registry, const RuleSet& rules, Date as_of) {
    EvalContext context{&rules, as_of, {}, {}, {}};
    WriteTransaction tx(registry);
    // One `checks` row stands for every claimant's rule set and as-of date.
    record_check(registry, rules, as_of, CheckScope::all);
    // Claimants linked into another (review.hpp) are no claimants of their own.
    store::ClaimantFilter filter;
    filter.states = store::ClaimantFilter::States::not_linked;
    evaluate_and_store(registry, context, filter);
    tx.commit();
    return context.counts;
}

} // namespace claimreg
