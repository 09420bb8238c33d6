#include "claimreg/verdicts.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "claimreg/clock.hpp"
#include "claimreg/error.hpp"

namespace claimreg {

namespace {

// The arguments of the SQL function below, in order.
constexpr const char* eval_arguments =
    "id, child_birth_date, country, platform, first_use, last_use, registrant_relation, consent, "
    "registered_at, state";

// Evaluation context shared with SQLite for one statement.
// The last row's result is cached: SQLite may evaluate the function once per reference.
struct EvalContext {
    const RuleSet* rules;
    Date as_of;
    VerdictCounts counts{};
    std::int64_t last_id = 0;
    Verdict last;
};

std::string_view text_arg(sqlite3_value* v) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v))) : std::string_view();
}

// Packs a verdict into one integer: verdict (2 bits) | band+1 (2 bits) | reasons << 4.
std::int64_t pack(const Verdict& v) {
    const std::int64_t band = v.age_band ? static_cast<std::int64_t>(*v.age_band) + 1 : 0;
    return static_cast<std::int64_t>(v.verdict) | (band << 2) |
           (static_cast<std::int64_t>(v.reasons.bits()) << 4);
}

Verdict unpack(std::int64_t packed) {
    Verdict v;
    v.verdict = static_cast<VerdictKind>(packed & 3);
    const auto band = (packed >> 2) & 3;
    if (band != 0) v.age_band = static_cast<AgeBand>(band - 1);
    for (std::size_t r = 0; r < reason_count; ++r) {
        if ((packed >> (4 + r)) & 1) v.reasons.add(static_cast<Reason>(r));
    }
    return v;
}

// claimreg_evaluate(<eval_arguments>) -> packed verdict.
void sql_evaluate(sqlite3_context* ctx, int, sqlite3_value** argv) {
    auto* context = static_cast<EvalContext*>(sqlite3_user_data(ctx));
    const std::int64_t id = sqlite3_value_int64(argv[0]);
    if (id == context->last_id) {
        sqlite3_result_int64(ctx, pack(context->last));
        return;
    }
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
        context->last = evaluate(in, *context->rules, context->as_of);
        context->last_id = id;
        ++context->counts[static_cast<std::size_t>(context->last.verdict)];
        sqlite3_result_int64(ctx, pack(context->last));
    } catch (const std::exception&) {
        sqlite3_result_error(ctx, "stored claimant fails validation", -1);
    }
}

void sql_verdict(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto text = to_string(unpack(sqlite3_value_int64(argv[0])).verdict);
    sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

void sql_reasons(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const std::string text = join_reasons(unpack(sqlite3_value_int64(argv[0])).reasons);
    sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
}

void sql_band(sqlite3_context* ctx, int, sqlite3_value** argv) {
    const auto band = unpack(sqlite3_value_int64(argv[0])).age_band;
    const std::string_view text = band ? to_string(*band) : std::string_view(""); // never NULL
    sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
}

// Registers the functions for the lifetime of one evaluation.
class EvalFunctions {
  public:
    EvalFunctions(Registry& registry, EvalContext& context) : db_(registry.db().getHandle()) {
        const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC;
        sqlite3_create_function(db_, "claimreg_evaluate", 10, SQLITE_UTF8, &context, sql_evaluate,
                                nullptr, nullptr);
        sqlite3_create_function(db_, "claimreg_verdict", 1, flags, nullptr, sql_verdict, nullptr, nullptr);
        sqlite3_create_function(db_, "claimreg_reasons", 1, flags, nullptr, sql_reasons, nullptr, nullptr);
        sqlite3_create_function(db_, "claimreg_band", 1, flags, nullptr, sql_band, nullptr, nullptr);
    }
    ~EvalFunctions() {
        for (const char* name : {"claimreg_verdict", "claimreg_reasons", "claimreg_band"}) {
            sqlite3_create_function(db_, name, 1, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr);
        }
        sqlite3_create_function(db_, "claimreg_evaluate", 10, SQLITE_UTF8, nullptr, nullptr, nullptr, nullptr);
    }
    EvalFunctions(const EvalFunctions&) = delete;
    EvalFunctions& operator=(const EvalFunctions&) = delete;

  private:
    sqlite3* db_;
};

// One evaluation per row (claimreg_evaluate caches it for the row's other references).
std::string evaluated(std::string_view what) {
    return fmt::format("(SELECT {} FROM (SELECT claimreg_evaluate({}) AS p))", what, eval_arguments);
}

// Stores the verdict where it changed (only those rows touch the indexes that hold verdict
// and age band); `where` selects the rows.
std::string update_changed_sql(std::string_view where) {
    return fmt::format(
        "UPDATE claimants SET (verdict, reasons, age_band, rule_set, checked_at, changed_at) = "
        "{} WHERE {} AND {}",
        evaluated("claimreg_verdict(p), claimreg_reasons(p), claimreg_band(p), ?1, ?2, ?3"),
        where,
        evaluated("claimreg_verdict(p) IS NOT verdict OR claimreg_reasons(p) IS NOT reasons "
                  "OR claimreg_band(p) IS NOT age_band"));
}

// Records the rule set and as-of date on the rows whose verdict stayed the same.
std::string update_checked_sql(std::string_view where) {
    return fmt::format("UPDATE claimants SET rule_set = ?1, checked_at = ?2 WHERE {} AND "
                       "(rule_set IS NOT ?1 OR checked_at IS NOT ?2)",
                       where);
}

// Runs both updates over the rows `where` selects (`?4` may be bound by `bind_extra`).
template <typename BindExtra>
void run_verdict_updates(SQLite::Statement& changed, SQLite::Statement& checked,
                         const RuleSet& rules, Date as_of, const std::string& now,
                         BindExtra bind_extra) {
    const std::string rule_set(rules.name);
    const std::string as_of_text = format_date(as_of);
    changed.reset();
    changed.bind(1, rule_set);
    changed.bind(2, as_of_text);
    changed.bind(3, now);
    bind_extra(changed);
    changed.exec();
    checked.reset();
    checked.bind(1, rule_set);
    checked.bind(2, as_of_text);
    bind_extra(checked);
    checked.exec();
}

} // namespace

std::vector<ClaimantVerdict> check_claimants(Registry& registry, std::span<const std::int64_t> ids,
                                             const RuleSet& rules, Date as_of) {
    EvalContext context{&rules, as_of, {}, 0, {}};
    EvalFunctions functions(registry, context);
    WriteTransaction tx(registry);
    SQLite::Statement exists(registry.db(), "SELECT 1 FROM claimants WHERE id = ?");
    SQLite::Statement evaluate_one(registry.db(),
                                   "SELECT claimreg_evaluate(" + std::string(eval_arguments) +
                                       ") FROM claimants WHERE id = ?");
    SQLite::Statement changed(registry.db(), update_changed_sql("id = ?4"));
    SQLite::Statement checked(registry.db(), update_checked_sql("id = ?4"));
    const std::string now = now_utc();
    std::vector<ClaimantVerdict> results;
    for (const std::int64_t id : ids) {
        exists.reset();
        exists.bind(1, id);
        if (!exists.executeStep()) throw NotFoundError(fmt::format("no claimant with id {}", id));
        context.last_id = 0; // evaluate afresh
        evaluate_one.reset();
        evaluate_one.bind(1, id);
        evaluate_one.executeStep();
        evaluate_one.reset();
        run_verdict_updates(changed, checked, rules, as_of, now,
                       [id](SQLite::Statement& st) { st.bind(4, id); });
        results.push_back({id, context.last});
    }
    tx.commit();
    return results;
}

VerdictCounts check_all_claimants(Registry& registry, const RuleSet& rules, Date as_of) {
    EvalContext context{&rules, as_of, {}, 0, {}};
    EvalFunctions functions(registry, context);
    WriteTransaction tx(registry);
    // Keep the rewritten index pages in memory for the length of the run.
    registry.db().exec("PRAGMA cache_size = -65536");
    SQLite::Statement changed(registry.db(), update_changed_sql("1"));
    SQLite::Statement checked(registry.db(), update_checked_sql("1"));
    run_verdict_updates(changed, checked, rules, as_of, now_utc(), [](SQLite::Statement&) {});
    tx.commit();
    registry.db().exec("PRAGMA cache_size = -2000");
    return context.counts;
}

} // namespace claimreg
