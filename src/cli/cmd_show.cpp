// claimreg show: everything the registry holds on one claimant, for people or as JSON.
// It prints personal data on stdout by design (that is its purpose); errors never do.

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/json.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimant_text.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ShowOptions {
    std::int64_t id = 0;
    bool json = false;
};

void write_stdout(std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
        throw IoError(fmt::format("cannot write to standard output: {}", errno_text(errno)));
    }
}

// JSON text: a string, or null when empty.
std::string nullable(std::string_view text) {
    return text.empty() ? std::string("null") : json_string(text);
}

std::string json_list(std::string_view codes) {
    std::string out = "[";
    while (!codes.empty()) {
        const std::size_t comma = codes.find(',');
        if (out.size() > 1) out += ',';
        append_json_string(out, codes.substr(0, comma));
        codes = comma == std::string_view::npos ? std::string_view() : codes.substr(comma + 1);
    }
    return out + "]";
}

std::string json(const ClaimantRecord& c) {
    std::string out = fmt::format("{{\"id\":{}", c.id);
    const auto key = [&](std::string_view name) {
        out += ',';
        append_json_string(out, name);
        out += ':';
    };
    for (std::size_t f = 0; f < field_count; ++f) {
        const auto field = static_cast<Field>(f);
        key(field_name(field));
        const std::string& value = c.fields[f];
        switch (field) {
        case Field::external_ref:
        case Field::last_use:
        case Field::registrant_phone: out += nullable(value); break;
        case Field::consent: out += value == "yes" ? "true" : "false"; break;
        default: append_json_string(out, value);
        }
    }
    key("state");
    append_json_string(out, c.state);
    key("linked_to");
    out += c.linked_to ? std::to_string(*c.linked_to) : std::string("null");
    key("state_changed_at");
    out += nullable(c.state_changed_at);
    key("verdict");
    append_json_string(out, c.verdict);
    key("reasons");
    out += json_list(c.reasons);
    key("age_band");
    out += nullable(c.age_band);
    key("rule_set");
    append_json_string(out, c.rule_set);
    key("checked_at");
    append_json_string(out, c.checked_at);
    key("source");
    append_json_string(out, c.source);
    key("changed_at");
    append_json_string(out, c.changed_at);
    key("registrations");
    out += '[';
    for (std::size_t i = 0; i < c.registrations.size(); ++i) {
        const LinkedRegistration& r = c.registrations[i];
        out += fmt::format("{}{{\"external_ref\":{},\"registrant_name\":{},\"registrant_email\":{},"
                           "\"registrant_phone\":{},\"registrant_relation\":{},\"consent\":{},"
                           "\"registered_at\":{},\"source\":{},\"added_at\":{}}}",
                           i == 0 ? "" : ",", nullable(r.external_ref), json_string(r.registrant_name),
                           json_string(r.registrant_email), nullable(r.registrant_phone),
                           json_string(r.registrant_relation), r.consent,
                           json_string(r.registered_at), json_string(r.source),
                           json_string(r.added_at));
    }
    out += ']';
    key("linked_claimants");
    out += '[';
    for (std::size_t i = 0; i < c.linked_claimants.size(); ++i) {
        out += fmt::format("{}{}", i == 0 ? "" : ",", c.linked_claimants[i]);
    }
    out += ']';
    key("audit");
    out += '[';
    for (std::size_t i = 0; i < c.audit.size(); ++i) {
        const AuditEvent& e = c.audit[i];
        out += fmt::format("{}{{\"at\":{},\"action\":{},\"count\":{},\"detail\":{}}}",
                           i == 0 ? "" : ",", json_string(e.at), json_string(e.action),
                           e.count ? std::to_string(*e.count) : "null", nullable(e.detail));
    }
    out += "]}\n";
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
