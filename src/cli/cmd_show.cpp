// claimreg show: everything the registry holds on one claimant, for people or as JSON.
// It prints personal data on stdout by design (that is its purpose); errors never do.

#include "app.hpp"
#include "claimreg/columns.hpp"
#include "claimreg/json.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimant_text.hpp"
#include "output.hpp"
#include "render.hpp"

namespace claimreg::cli {

namespace {

struct ShowOptions {
    std::int64_t id = 0;
    bool json = false;
};

std::string json(const ClaimantRecord& c) {
    std::string out;
    JsonWriter json(out);
    json.begin_object().key("id").integer(c.id);
    for (const FieldColumn& column : field_columns) {
        json.key(column.name);
        write_value(json, column.kind, c.fields[static_cast<std::size_t>(column.field)]);
    }
    json.key("state").string(c.state);
    json.key("linked_to");
    if (c.linked_to) {
        json.integer(*c.linked_to);
    } else {
        json.null();
    }
    json.key("state_changed_at").nullable_string(c.state_changed_at);
    json.key("verdict").string(c.verdict);
    json.key("reasons").codes(c.reasons);
    json.key("age_band").nullable_string(c.age_band);
    json.key("rule_set").string(c.rule_set);
    json.key("checked_at").string(c.checked_at);
    json.key("source").string(c.source);
    json.key("changed_at").string(c.changed_at);
    json.key("registrations").begin_array();
    for (const LinkedRegistration& r : c.registrations) {
        json.begin_object();
        json.key("external_ref").nullable_string(r.external_ref);
        json.key("registrant_name").string(r.registrant_name);
        json.key("registrant_email").string(r.registrant_email);
        json.key("registrant_phone").nullable_string(r.registrant_phone);
        json.key("registrant_relation").string(r.registrant_relation);
        json.key("consent").boolean(r.consent);
        json.key("registered_at").string(r.registered_at);
        json.key("source").string(r.source);
        json.key("added_at").string(r.added_at);
        json.end_object();
    }
    json.end_array();
    json.key("linked_claimants").begin_array();
    for (const std::int64_t id : c.linked_claimants) json.integer(id);
    json.end_array();
    json.key("audit").begin_array();
    for (const AuditEvent& e : c.audit) {
        json.begin_object();
        json.key("at").string(e.at);
        json.key("action").string(e.action);
        json.key("count");
        if (e.count) {
            json.integer(*e.count);
        } else {
            json.null();
        }
        json.key("detail").nullable_string(e.detail);
        json.end_object();
    }
    json.end_array().end_object();
    out += '\n';
    return out;
}

ExitStatus run_show(const ShowOptions& opt, const GlobalOptions& global) {
    Registry registry(global.db, OpenMode::read, global.registry_options());
    const ClaimantRecord record = show_claimant(registry, opt.id);
    write_stdout(opt.json ? json(record) : claimant_text(record));
    return ExitStatus::ok;
}

} // namespace

void setup_show(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ShowOptions>();
    auto* cmd = app.add_subcommand(
        "show", "Print one claimant's record, state, verdict, linked registrations and audit events");
    cmd->add_option("ID", opt->id, "The claimant's id")
        ->required()
        ->type_name("")
        ->check(claimant_id_validator())
        ->default_str("");
    cmd->add_flag("--json", opt->json, "Print one JSON object (keys as in export, plus "
                                       "linked_to, state_changed_at, changed_at, registrations, linked_claimants, audit)");
    cmd->footer(
        "Prints `field: value` lines: the canonical record fields, then state (and when it\n"
        "changed), verdict, reasons, age band, rule set, checked_at, source and changed_at;\n"
        "then the further registrations of the same child (registrant, e-mail, relation,\n"
        "registered_at, source:line), the claimants linked into it ('claimreg link'), and the\n"
        "claimant's audit events (what happened when, links and decisions included). A\n"
        "claimant linked into another shows state linked and linked_to.\n"
        "This is personal data: mind where the output goes.\n\n"
        "Exit status: 0 ok, 64 usage error, 66 no such claimant or missing registry (none is\n"
        "created), 74 I/O error, 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg show 42\n"
        "  claimreg show 42 --json | jq .registrations");
    cmd->callback([opt, &global, &out] { out.status = run_show(*opt, global); });
}

} // namespace claimreg::cli
