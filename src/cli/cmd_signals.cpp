// claimreg signals: patterns that point at bulk or fraudulent registration, for review; ids
// only, never the e-mail, phone or address the claimants share.

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/signals.hpp"
#include "output.hpp"

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
    // Line by line: many signals (a large registry) are never held as one text.
    std::string line;
    const auto write = [&] {
        if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) {
            throw IoError(fmt::format("cannot write to standard output: {}", errno_text(errno)));
        }
    };
    for (const Signal& s : signals) {
        line = opt.json ? fmt::format("{{\"kind\":\"{}\",\"count\":{},\"ids\":[", to_string(s.kind),
                                      s.count())
                        : fmt::format("{}\t{}\t", to_string(s.kind), s.count());
        for (std::size_t i = 0; i < s.ids.size(); ++i) {
            fmt::format_to(std::back_inserter(line), "{}{}", i == 0 ? "" : ",", s.ids[i]);
        }
        line += opt.json ? "]}\n" : "\n";
        write();
    }
    if (std::fflush(stdout) != 0) {
        throw IoError(fmt::format("cannot write to standard output: {}", errno_text(errno)));
    }
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
