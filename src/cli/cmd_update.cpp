// claimreg update: corrects a registered claimant by hand.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"
#include "output.hpp"
#include "render.hpp"
#include "record_options.hpp"

namespace claimreg::cli {

namespace {

struct UpdateOptions {
    std::int64_t id = 0;
    RecordOptionValues values;
    bool consent = false;
    bool no_consent = false;
};

ExitStatus run_update(const UpdateOptions& opt, const CLI::App& cmd, const GlobalOptions& global) {
    RecordOptionValues values = opt.values;
    FieldSet given = 0;
    for (std::size_t f = 0; f < field_count; ++f) {
        const Field field = static_cast<Field>(f);
        if (field == Field::consent) continue;
        if (cmd.get_option(option_name(field_name(field)))->count() > 0) given |= field_bit(field);
    }
    if (opt.consent || opt.no_consent) {
        values[static_cast<std::size_t>(Field::consent)] = opt.consent ? "yes" : "no";
        given |= field_bit(Field::consent);
    }
    Registry registry(global.db, OpenMode::update, global.registry_options());
    FieldSet changed = 0;
    try {
        changed = update_claimant(registry, opt.id, raw_record(values), given, today(), now_utc());
    } catch (const FieldError& e) {
        rethrow_as_option_error(e);
    }
    if (changed == 0) {
        notice(global.quiet, "claimant {} already holds these values; nothing changed", opt.id);
        return ExitStatus::ok;
    }
    write_stdout(field_names(changed, "\n") + "\n");
    return ExitStatus::ok;
}

} // namespace

void setup_update(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<UpdateOptions>();
    auto* cmd = app.add_subcommand("update",
                                   "Correct a claimant's fields; prints the names of those changed");
    cmd->add_option("ID", opt->id, "The claimant's id")
        ->required()
        ->type_name("")
        ->check(claimant_id_validator())
        ->default_str("");
    using F = Field;
    add_record_options(*cmd, opt->values,
                       {F::child_first_name, F::child_name_prefix, F::child_last_name,
                        F::child_birth_date},
                       {}, "Child");
    add_record_options(*cmd, opt->values, {F::country, F::postcode, F::house_number}, {},
                       "Residence");
    add_record_options(*cmd, opt->values, {F::platform, F::first_use, F::last_use}, {}, "Use");
    add_record_options(*cmd, opt->values,
                       {F::registrant_name, F::registrant_email, F::registrant_phone,
                        F::registrant_relation},
                       {}, "Registrant");
    auto* consent =
        cmd->add_flag("--consent", opt->consent, "The registrant confirms they may act for the child")
            ->group("Registrant");
    cmd->add_flag("--no-consent", opt->no_consent, "Consent is withdrawn or was never given")
        ->group("Registrant")
        ->excludes(consent);
    add_record_options(*cmd, opt->values, {F::registered_at, F::external_ref}, {}, "Registration");
    cmd->footer("The options of 'claimreg add'; only those given change, and the whole record must "
                "pass its rules.\nThe verdict is evaluated again; the audit records the names of "
                "the changed fields\n(never their values) and export --since carries the "
                "claimant.\n\nExit status: 0 updated or nothing to change (said on stderr), 64 "
                "usage, 65 a field breaks\na rule or the child would be the same as another "
                "claimant (its id named), 66 no such\nclaimant or missing registry, 75 registry "
                "busy.\n\nExample:\n  claimreg update 42 --postcode '1012 AB' --house-number 7");
    cmd->callback([opt, cmd, &global, &out] { out.status = run_update(*opt, *cmd, global); });
}

} // namespace claimreg::cli
