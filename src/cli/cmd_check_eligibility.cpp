// claimreg check-eligibility: verdicts for stored claimants, or ad hoc from options.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/json.hpp"
#include "claimreg/verdicts.hpp"
#include "output.hpp"
#include "render.hpp"
#include "record_options.hpp"

namespace claimreg::cli {

namespace {

struct CheckOptions {
    std::vector<std::int64_t> ids;
    bool all = false;
    std::string rules = std::string(default_rule_set().name);
    std::string as_of;
    bool json = false;
    RecordOptionValues values; // ad hoc mode
    bool no_consent = false;
};

ExitStatus status_of(VerdictKind v) {
    switch (v) {
    case VerdictKind::eligible: return ExitStatus::ok;
    case VerdictKind::ineligible: return ExitStatus::ineligible;
    case VerdictKind::review: return ExitStatus::review;
    }
    return ExitStatus::internal;
}

// `"verdict":...,"reasons":[...],"age_band":...` into the object `json` is writing.
void write_verdict(JsonWriter& json, const Verdict& v) {
    json.key("verdict").string(to_string(v.verdict));
    json.key("reasons").codes(join_reasons(v.reasons));
    json.key("age_band").nullable_string(v.age_band ? to_string(*v.age_band) : std::string_view());
}

// Ad hoc: evaluates the options' facts; the registry is not touched.
ExitStatus run_ad_hoc(const CheckOptions& opt, const RuleSet& rules, Date as_of) {
    RecordOptionValues values = opt.values;
    // A --country that is no country is refused first, by its rule alone.
    if (const std::string& country = values[static_cast<std::size_t>(Field::country)];
        !country.empty()) {
        parse_country(country);
    }
    values[static_cast<std::size_t>(Field::consent)] = opt.no_consent ? "no" : "yes";
    std::string country;
    EligibilityInput in;
    try {
        in = parse_eligibility_input(raw_record(values), today(), as_of, country);
    } catch (const FieldError& e) {
        rethrow_as_option_error(e);
    }
    const Verdict v = evaluate(in, rules, as_of);
    std::string out;
    if (opt.json) {
        JsonWriter json(out);
        json.begin_object();
        write_verdict(json, v);
        json.end_object();
        out += '\n';
    } else {
        out += fmt::format("{}\n", to_string(v.verdict));
        for (std::size_t r = 0; r < reason_count; ++r) {
            const auto reason = static_cast<Reason>(r);
            if (v.reasons.has(reason)) out += fmt::format("{}: {}\n", to_string(reason), explain(reason));
        }
    }
    write_stdout(out);
    return status_of(v.verdict);
}

ExitStatus run_check(const CheckOptions& opt, const GlobalOptions& global, bool ad_hoc) {
    const RuleSet& rules = parse_option("--rules", opt.rules, find_rule_set);
    const Date as_of = opt.as_of.empty() ? today() : [&] {
        try {
            return parse_date(opt.as_of);
        } catch (const RuleError& e) {
            throw UsageError(fmt::format("--as-of: {}", e.what()));
        }
    }();
    const bool registry_mode = opt.all || !opt.ids.empty();
    if (ad_hoc && registry_mode) {
        throw UsageError("give claimant ids or --all, or the ad-hoc facts (--child-birth-date, "
                         "--first-use ...), not both");
    }
    if (ad_hoc) return run_ad_hoc(opt, rules, as_of);
    if (!registry_mode) {
        throw UsageError("give claimant ids, --all, or --child-birth-date and --first-use");
    }
    if (opt.all && !opt.ids.empty()) throw UsageError("give claimant ids or --all, not both");

    Registry registry(global.db, OpenMode::update, global.registry_options());
    if (opt.all) {
        const VerdictCounts counts = check_all_claimants(registry, rules, as_of);
        // A JSON object of the counts, or `verdict<TAB>count` lines.
        Table table;
        table.headed = false;
        for (const VerdictKind v :
             {VerdictKind::eligible, VerdictKind::ineligible, VerdictKind::review}) {
            table.rows.push_back({std::string(to_string(v)),
                                  std::to_string(counts[static_cast<std::size_t>(v)])});
        }
        std::string out;
        if (opt.json) {
            JsonWriter json(out);
            json.begin_object();
            for (const auto& row : table.rows) json.key(row[0]).number(row[1]);
            json.end_object();
            out += '\n';
        } else {
            table.add_column("verdict", false);
            table.add_column("count", true);
            out = render(table, TableFormat::tsv);
        }
        write_stdout(out);
        return ExitStatus::ok;
    }
    const auto results = check_claimants(registry, opt.ids, rules, as_of);
    std::string out;
    if (opt.json) {
        JsonWriter json(out);
        for (const auto& r : results) {
            json.begin_object().key("id").integer(r.id);
            write_verdict(json, r.verdict);
            json.end_object();
            out += '\n';
        }
    } else {
        // `ID<TAB>verdict<TAB>reasons`, always three fields: `-` when no reason applies (no
        // empty last field).
        Table table;
        table.headed = false;
        table.add_column("id", true);
        table.add_column("verdict", false);
        table.add_column("reasons", false, "-");
        for (const auto& r : results) {
            table.rows.push_back({std::to_string(r.id), std::string(to_string(r.verdict.verdict)),
                                  join_reasons(r.verdict.reasons)});
        }
        out = render(table, TableFormat::tsv);
    }
    write_stdout(out);
    return results.size() == 1 ? status_of(results.front().verdict.verdict) : ExitStatus::ok;
}

std::string rule_set_names() {
    std::string names;
    for (const RuleSet& r : rule_sets()) names += (names.empty() ? "" : "|") + std::string(r.name);
    return names;
}

} // namespace

void setup_check_eligibility(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<CheckOptions>();
    auto* cmd = app.add_subcommand(
        "check-eligibility", "Evaluate eligibility: stored claimants (IDs or --all) or ad hoc facts");
    cmd->add_option("ID", opt->ids, "Claimant ids to evaluate and store verdicts for")
        ->type_name("")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->check(claimant_id_validator())
        ->default_str("");
    cmd->add_flag("--all", opt->all, "Evaluate every claimant; print counts by verdict");
    cmd->add_option("--rules", opt->rules, "Rule set: " + rule_set_names())
        ->type_name("RULES");
    cmd->add_option("--as-of", opt->as_of, "Evaluate as of this date (default: today)")
        ->type_name("DATE");
    cmd->add_flag("--json", opt->json, "Print JSON");
    using F = Field;
    add_record_options(*cmd, opt->values,
                       {F::child_birth_date, F::first_use, F::last_use, F::country, F::postcode,
                        F::platform, F::registrant_relation, F::registered_at},
                       {}, "Ad hoc (no registry)");
    cmd->add_flag("--no-consent", opt->no_consent, "Consent not given")
        ->group("Ad hoc (no registry)");
    cmd->footer(
        "IDs: one line each, ID<TAB>verdict<TAB>reasons (comma-separated reason codes, - for\n"
        "none). Ad hoc: the verdict, then one `code: explanation` line per reason.\n\n"
        "Exit status: 0 eligible, 1 ineligible, 2 review (ad hoc or one id); 0 once several\n"
        "ids or --all were evaluated; 64 usage error; 65 an ad hoc fact breaks a rule (the\n"
        "option is named); 66 unknown id or missing registry.\n\n"
        "Examples:\n"
        "  claimreg check-eligibility --all --rules as-filed\n"
        "  claimreg check-eligibility 42\n"
        "  claimreg check-eligibility --child-birth-date 2009-02-28 --first-use 2019-03-01");
    cmd->callback([opt, &global, &out, cmd] {
        const bool ad_hoc =
            cmd->count("--child-birth-date") > 0 || cmd->count("--first-use") > 0;
        out.status = run_check(*opt, global, ad_hoc);
    });
}

} // namespace claimreg::cli
