// claimreg signals: patterns that point at bulk or fraudulent registration, for review; ids
// only, never the e-mail, phone or address the claimants share.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/json.hpp"
#include "claimreg/signals.hpp"
#include "output.hpp"
#include "render.hpp"

namespace claimreg::cli {

namespace {

struct SignalsOptions {
    bool json = false;
    std::uint64_t max_children = SignalThresholds{}.max_children_per_address;
    std::uint64_t burst = SignalThresholds{}.burst_registrations;
};

ExitStatus run_signals(const SignalsOptions& opt, const GlobalOptions& global) {
    Registry registry(global.db, OpenMode::read, global.registry_options());
    SignalThresholds thresholds;
    thresholds.max_children_per_address = opt.max_children;
    thresholds.burst_registrations = opt.burst;
    const std::vector<Signal> signals = find_signals(registry, thresholds);
    // In pieces: many signals (a large registry) are never held as one text.
    std::string out;
    for (const Signal& s : signals) {
        if (opt.json) {
            JsonWriter json(out);
            json.begin_object().key("kind").string(to_string(s.kind)).key("count").integer(s.count());
            json.key("ids").begin_array();
            for (const std::int64_t id : s.ids) json.integer(id);
            json.end_array().end_object();
        } else {
            fmt::format_to(std::back_inserter(out), "{}\t{}\t", to_string(s.kind), s.count());
            for (std::size_t i = 0; i < s.ids.size(); ++i) {
                fmt::format_to(std::back_inserter(out), "{}{}", i == 0 ? "" : ",", s.ids[i]);
            }
        }
        out += '\n';
        write_stdout_when_full(out);
    }
    write_stdout(out);
    return ExitStatus::ok;
}

} // namespace

void setup_signals(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<SignalsOptions>();
    auto* cmd = app.add_subcommand(
        "signals",
        "List patterns among active claimants that point at bulk or fraudulent registration");
    cmd->add_flag("--json", opt->json,
                  "One JSON object per line: {\"kind\":...,\"count\":N,\"ids\":[...]}");
    cmd->add_option("--max-children", opt->max_children,
                    "crowded_address: more active children than this at one address (default 6)")
        ->type_name("N")
        ->check(count_validator())
        ->default_str("");
    cmd->add_option("--burst", opt->burst,
                    "burst: this many registrations of one source within a minute (default 20)")
        ->type_name("N")
        ->check(count_validator())
        ->default_str("");
    cmd->footer(
        "One line per signal: kind<TAB>count<TAB>ids (comma-separated, ascending), sorted by\n"
        "kind, then count (largest first). Kinds:\n"
        "  burst            registrations of one source (a file, or add) whose registered_at\n"
        "                   lie within one minute, at least --burst of them (a bare date has no\n"
        "                   minute and is left out; rows imported without registered_at all\n"
        "                   carry the import's time and show as one burst)\n"
        "  crowded_address  more than --max-children active children at one postcode and house\n"
        "                   number\n"
        "  shared_contact   one registrant e-mail (any case) or phone, of a claimant's own or a\n"
        "                   linked registration, behind children of several families: at least\n"
        "                   two family names and two addresses\n"
        "Never prints the shared e-mail, phone or address: ids only ('claimreg show ID').\n\n"
        "Exit status: 0 ok (also when signals are found), 64 usage error, 66 missing registry,\n"
        "74 I/O error, 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg signals\n"
        "  claimreg signals --json | jq 'select(.kind == \"shared_contact\")'");
    cmd->callback([opt, &global, &out] { out.status = run_signals(*opt, global); });
}

} // namespace claimreg::cli
