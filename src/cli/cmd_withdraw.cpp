// claimreg withdraw: a claimant withdraws (or, with --opt-out, formally opts out of the WAMCA
// collective action); the verdict follows at once and the claimant leaves counts and exports.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/lifecycle.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct WithdrawOptions {
    std::int64_t id = 0;
    bool opt_out = false;
};

// ` (since 2024-06-01T10:00:00Z)`, or nothing when the time is unknown.
std::string since(const std::string& at) {
    return at.empty() ? std::string() : fmt::format(" (since {})", at);
}

ExitStatus run_withdraw(const WithdrawOptions& opt, const GlobalOptions& global) {
    const State target = opt.opt_out ? State::opted_out : State::withdrawn;
    Registry registry(global.db, OpenMode::update, global.registry_options());
    const WithdrawResult r = withdraw_claimant(registry, opt.id, target, today(), now_utc());
    if (r.changed) {
        notice(global.quiet, "claimant {} {}; verdict {} ({})", opt.id,
               target == State::opted_out ? "opted out" : "withdrawn", r.verdict, r.reasons);
    } else if (r.state == target) {
        notice(global.quiet, "claimant {} is already {}{}; nothing changed", opt.id,
               to_string(r.state), since(r.state_changed_at));
    } else {
        notice(global.quiet,
               "claimant {} has opted out{}, which a withdrawal does not undo; nothing changed",
               opt.id, since(r.state_changed_at));
    }
    return ExitStatus::ok;
}

} // namespace

void setup_withdraw(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<WithdrawOptions>();
    auto* cmd = app.add_subcommand(
        "withdraw", "Withdraw a claimant, or record its formal opt-out (--opt-out)");
    cmd->add_option("ID", opt->id, "The claimant's id")
        ->required()
        ->type_name("")
        ->check(claimant_id_validator())
        ->default_str("");
    cmd->add_flag("--opt-out", opt->opt_out,
                  "The formal WAMCA opt-out (state opted-out) instead of a withdrawal");
    cmd->footer(
        "Sets the state (withdrawn, or opted-out with --opt-out) and the time it changed, and\n"
        "stores the verdict again at once under the claimant's rule set: ineligible, reason\n"
        "withdrawn or opted_out. The claimant then leaves stats counts (but --by state) and\n"
        "exports (but --include-withdrawn); its data stays (see 'claimreg erase').\n"
        "Idempotent: a claimant already in that state is left alone (a note on stderr, exit 0).\n"
        "An opted-out claimant stays opted out when withdrawn (the opt-out is the formal,\n"
        "stronger statement); a withdrawn one can still opt out. Only a source's state column\n"
        "(import-csv) makes a withdrawn claimant active again, never an opted-out one.\n\n"
        "Exit status: 0 ok (also when nothing changed), 64 usage error, 66 no such claimant or\n"
        "missing registry, 74 I/O error, 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg withdraw 42\n"
        "  claimreg withdraw --opt-out 42");
    cmd->callback([opt, &global, &out] { out.status = run_withdraw(*opt, global); });
}

} // namespace claimreg::cli
