// claimreg add: registers one child.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/json.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"
#include "output.hpp"
#include "render.hpp"
#include "record_options.hpp"

namespace claimreg::cli {

namespace {

struct AddOptions {
    RecordOptionValues values;
    bool consent = false;
    bool json = false;
};

void run_add(const AddOptions& opt, const GlobalOptions& global) {
    RecordOptionValues values = opt.values;
    values[static_cast<std::size_t>(Field::consent)] = opt.consent ? "yes" : "no";
    const Date as_of = today();
    Registration reg;
    try {
        reg = parse_registration(raw_record(values), as_of, now_utc());
    } catch (const FieldError& e) {
        rethrow_as_option_error(e);
    }
    const RuleSet& rules = default_rule_set();
    const StoredVerdict verdict{evaluate(eligibility_input(reg), rules, as_of), &rules, as_of};

    Registry registry(global.db, OpenMode::write, global.registry_options());
    const AddResult result = add_registration(registry, reg, verdict, Source{"add", "", 0});
    if (result.outcome == AddOutcome::erased) {
        if (opt.json) {
            std::string out;
            JsonWriter(out).begin_object().key("id").null().key("duplicate").boolean(false)
                .key("erased").boolean(true).end_object();
            write_stdout(out + '\n');
        }
        notice(global.quiet, "this child was erased from the registry before: not registered "
                             "again; nothing stored");
        return;
    }

    std::string out;
    if (opt.json) {
        JsonWriter(out).begin_object().key("id").integer(result.id).key("duplicate")
            .boolean(result.duplicate()).end_object();
    } else {
        out = std::to_string(result.id);
    }
    write_stdout(out + '\n');
    if (result.outcome == AddOutcome::same_submission) {
        notice(global.quiet, "duplicate: already registered as claimant {}; nothing stored",
               result.id);
    } else if (result.outcome == AddOutcome::linked) {
        notice(global.quiet,
               "duplicate: claimant {} was registered by someone else; this registration is "
               "linked to it",
               result.id);
    }
}

} // namespace

void setup_add(CLI::App& app, const GlobalOptions& global, Outcome&) {
    auto opt = std::make_shared<AddOptions>();
    auto* cmd = app.add_subcommand("add", "Register one child; prints the claimant id");
    using F = Field;
    add_record_options(*cmd, opt->values,
                       {F::child_first_name, F::child_name_prefix, F::child_last_name,
                        F::child_birth_date},
                       {F::child_first_name, F::child_last_name, F::child_birth_date}, "Child");
    add_record_options(*cmd, opt->values, {F::country, F::postcode, F::house_number}, {},
                       "Residence");
    add_record_options(*cmd, opt->values, {F::platform, F::first_use, F::last_use},
                       {F::platform, F::first_use}, "Use");
    add_record_options(*cmd, opt->values,
                       {F::registrant_name, F::registrant_email, F::registrant_phone,
                        F::registrant_relation},
                       {F::registrant_name, F::registrant_email, F::registrant_relation},
                       "Registrant");
    cmd->add_flag("--consent", opt->consent, "The registrant confirms they may act for the child")
        ->group("Registrant");
    add_record_options(*cmd, opt->values, {F::registered_at, F::external_ref}, {}, "Registration");
    cmd->add_flag("--json", opt->json, R"(Print {"id":N,"duplicate":true|false})")
        ->group("Output");
    cmd->footer("A duplicate of a registered child prints the existing id, says so on stderr and "
                "exits 0.\n\nExit status: 0 stored or duplicate, 64 usage (a required option "
                "missing), 65 a field breaks\na rule (named on stderr), 73 cannot create the "
                "registry, 75 registry busy.\n\nExample:\n  claimreg add --child-first-name Zoë "
                "--child-name-prefix 'van der' --child-last-name Berg \\\n"
                "    --child-birth-date 14-03-2011 --postcode '1012 AB' --platform tiktok "
                "--first-use 2019-06-01 \\\n"
                "    --registrant-name 'Anna van der Berg' --registrant-email anna@example.nl "
                "--registrant-relation ouder --consent");
    cmd->callback([opt, &global] { run_add(*opt, global); });
}

} // namespace claimreg::cli
