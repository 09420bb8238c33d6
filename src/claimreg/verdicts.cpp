#include "claimreg/verdicts.hpp"

#include <sqlite3.h>

#include <array>
#include <map>
#include <string>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/clock.hpp"
#include "claimreg/error.hpp"
#include "claimreg/review.hpp"

namespace claimreg {

namespace {

// A row whose stored verdict differs from its evaluation: the new verdict, and what its
// `tallies` row was (state, verdict, age band, birth date).
struct ChangedRow {
    std::int64_t id;
    Verdict verdict;
    std::string state, old_verdict, old_age_band, birth;
};

// Evaluation context shared with SQLite for one scan.
struct EvalContext {
    const RuleSet* rules;
    Date as_of;
    VerdictCounts counts{};
    Verdict last;                    ///< the last row's verdict
    std::vector<ChangedRow> changed; ///< rows whose stored verdict differs
};

std::string_view text_arg(sqlite3_value* v) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v))) : std::string_view();
}

// The stored columns a verdict depends on, then the stored verdict, then a flag.
constexpr const char* scan_arguments =
    "id, child_birth_date, country, platform, first_use, last_use, registrant_relation, consent, "
    "registered_at, state, verdict, reasons, age_band";

// claimreg_scan(<scan_arguments>, flag) -> flag. Evaluates the row, counts its verdict and
// notes it when it differs from the stored one. Returning its last argument makes SQLite
// evaluate it for every row it considers.
void sql_scan(sqlite3_context* ctx, int, sqlite3_value** argv) {
    auto* context = static_cast<EvalContext*>(sqlite3_user_data(ctx));
    try {
        EligibilityInput in;
        in.child_birth_date = parse_date(text_arg(argv[1]));
        in.country = text_arg(argv[2]);
        in.platform = parse_platform(text_arg(argv[3]));
        in.first_use = parse_date(text_arg(argv[4]));
        if (sqlite3_value_type(argv[5]) != SQLITE_NULL) in.last_use = parse_date(text_arg(argv[5]));
        in.registrant_relation = parse_relation(text_arg(argv[6]));
        in.consent = sqlite3_value_int(argv[7]) != 0;
        in.registered_on = registered_on(text_arg(argv[8]));
        in.state = parse_state(text_arg(argv[9]));
        const Verdict v = evaluate(in, *context->rules, context->as_of);
        context->last = v;
        ++context->counts[static_cast<std::size_t>(v.verdict)];
        const std::string_view band = v.age_band ? to_string(*v.age_band) : std::string_view();
        if (text_arg(argv[10]) != to_string(v.verdict) || text_arg(argv[11]) != join_reasons(v.reasons) ||
            text_arg(argv[12]) != band) {
            context->changed.push_back({sqlite3_value_int64(argv[0]), v,
                                        std::string(text_arg(argv[9])), std::string(text_arg(argv[10])),
                                        std::string(text_arg(argv[12])), std::string(text_arg(argv[1]))});
        }
        sqlite3_result_value(ctx, argv[13]);
    } catch (const std::exception&) {
        sqlite3_result_error(ctx, "stored claimant fails validation", -1);
    }
}


// Evaluates the rows `where` selects (`?1` may be bound by `bind_extra`) in one read-only scan,
// then stores the verdict only on the rows whose verdict changed: those alone get a new
// changed_at. Which check evaluated a row is the caller's to record (registry.hpp,
// record_check). Many changed rows (a new rule set) move their `tallies` counts here in one
// pass instead of through a trigger each.
template <typename BindExtra>
void evaluate_and_store(Registry& registry, EvalContext& context, std::string_view where,
                        BindExtra bind_extra) {
    const std::string now = now_utc();
    {
        const DirectFunction function(registry, "claimreg_scan", 14, &context, sql_scan);
        SQLite::Statement scan(registry.db(), fmt::format("SELECT count(*) FROM claimants WHERE "
                                                          "{} AND claimreg_scan({}, 0)",
                                                          where, scan_arguments));
        bind_extra(scan);
        scan.executeStep();
    }
    constexpr std::size_t tally_by_hand_from = 1000;
    const bool by_hand = context.changed.size() >= tally_by_hand_from;
    const std::vector<std::string> triggers =
        by_hand ? drop_claimants_schema(registry, "trigger", "tallies_") : std::vector<std::string>();
    {
        SQLite::Statement store(registry.db(),
                                "UPDATE claimants SET verdict = ?1, reasons = ?2, age_band = ?3, "
                                "changed_at = ?4 WHERE id = ?5");
        std::map<std::array<std::string, 4>, std::int64_t> moved; // tallies key -> change
        for (const ChangedRow& c : context.changed) {
            const std::string verdict(to_string(c.verdict.verdict));
            const std::string band = c.verdict.age_band ? std::string(to_string(*c.verdict.age_band))
                                                        : std::string();
            store.reset();
            store.bind(1, verdict);
            store.bind(2, join_reasons(c.verdict.reasons));
            store.bind(3, band);
            store.bind(4, now);
            store.bind(5, c.id);
            store.exec();
            if (by_hand) {
                --moved[{c.state, c.old_verdict, c.old_age_band, c.birth}];
                ++moved[{c.state, verdict, band, c.birth}];
            }
        }
        store.reset();
        TallyWriter tallies(registry);
        for (const auto& [key, n] : moved) {
            if (n != 0) tallies.add(key[0], key[1], key[2], key[3], n);
        }
        tallies.finish();
    }
    for (const std::string& definition : triggers) registry.db().exec(definition);
    context.changed.clear();
}

} // namespace

std::vector<ClaimantVerdict> check_claimants(Registry& registry, std::span<const std::int64_t> ids,
                                             const RuleSet& rules, Date as_of) {
    WriteTransaction tx(registry);
    SQLite::Statement exists(registry.db(), "SELECT state FROM claimants WHERE id = ?");
    SQLite::Statement record(registry.db(), "UPDATE claimants SET check_id = ?1 WHERE id = ?2");
    const std::int64_t check = record_check(registry, rules, as_of, CheckScope::rows);
    std::vector<ClaimantVerdict> results;
    for (const std::int64_t id : ids) {
        exists.reset();
        exists.bind(1, id);
        if (!exists.executeStep()) throw NotFoundError(fmt::format("no claimant with id {}", id));
        const bool linked = exists.getColumn(0).getString() == to_string(State::linked);
        exists.reset();
        if (linked) throw linked_claimant_error(id, linked_into(registry, id).value_or(0));
        EvalContext context{&rules, as_of, {}, {}, {}};
        evaluate_and_store(registry, context, "id = ?1", [id](SQLite::Statement& st) { st.bind(1, id); });
        record.reset();
        record.bind(1, check);
        record.bind(2, id);
        record.exec();
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
    evaluate_and_store(registry, context, "state != 'linked'", [](SQLite::Statement&) {});
    tx.commit();
    return context.counts;
}

} // namespace claimreg
