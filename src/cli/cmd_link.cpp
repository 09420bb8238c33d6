// claimreg link, distinct and unlink: a person's decision on a pair of claimants that may be
// one child (see 'claimreg duplicates'), one transaction each, in the audit trail.

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/review.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct PairOptions {
    std::int64_t first = 0;
    std::int64_t second = 0;
};

constexpr const char* decision_exit_status =
    "Exit status: 0 ok, 64 usage error, 65 refused (the same id twice, a claimant not active,\n"
    "already linked, or not linked), 66 no such claimant or missing registry, 74 I/O error,\n"
    "75 registry busy.";

void add_id(CLI::App& cmd, const char* name, std::int64_t& id, const char* description) {
    cmd.add_option(name, id, description)
        ->required()
        ->type_name("")
        ->check(claimant_id_validator())
        ->default_str("");
}

} // namespace

void setup_link(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<PairOptions>();
    auto* cmd = app.add_subcommand(
        "link", "Decide that two claimants are one child: OTHER becomes a registration of KEEP");
    add_id(*cmd, "KEEP", opt->first, "The claimant that stays");
    add_id(*cmd, "OTHER", opt->second, "The claimant linked into KEEP");
    cmd->footer(fmt::format(
        "OTHER stops being a claimant: it leaves counts (stats, report), exports and\n"
        "check-eligibility --all, and show OTHER says it is linked to KEEP. Its data, linked\n"
        "registrations and verdict stay in its row (state linked), so 'claimreg unlink OTHER'\n"
        "restores it under its own id. A re-import of OTHER's submission does not make it a\n"
        "claimant again; a new registration of OTHER's child is linked to KEEP. Both must be\n"
        "active claimants. The pair is not proposed by 'claimreg duplicates' again. One\n"
        "transaction; the audit of both names the two ids.\n\n{}\n\n"
        "Example:\n"
        "  claimreg link 12 873",
        decision_exit_status));
    cmd->callback([opt, &global, &out] {
        Registry registry(global.db, OpenMode::update, global.registry_options());
        link_claimants(registry, opt->first, opt->second, now_utc());
        notice(global.quiet, "claimant {} linked into claimant {}", opt->second, opt->first);
        out.status = ExitStatus::ok;
    });
}

void setup_distinct(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<PairOptions>();
    auto* cmd = app.add_subcommand(
        "distinct", "Decide that two claimants are different children (never proposed again)");
    add_id(*cmd, "A", opt->first, "A claimant");
    add_id(*cmd, "B", opt->second, "Another claimant");
    cmd->footer(fmt::format(
        "Records the pair as two children (twins, siblings): 'claimreg duplicates' never\n"
        "proposes it again, and 'resolve' refuses to link it. Nothing else changes. Idempotent.\n"
        "One transaction; the audit of both names the two ids.\n\n{}\n\n"
        "Example:\n"
        "  claimreg distinct 12 873",
        decision_exit_status));
    cmd->callback([opt, &global, &out] {
        Registry registry(global.db, OpenMode::update, global.registry_options());
        mark_distinct(registry, opt->first, opt->second, now_utc());
        notice(global.quiet, "claimants {} and {} recorded as different children",
               std::min(opt->first, opt->second), std::max(opt->first, opt->second));
        out.status = ExitStatus::ok;
    });
}

void setup_unlink(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<PairOptions>();
    auto* cmd = app.add_subcommand(
        "unlink", "Undo a link: the claimant is active again with its own data and verdict");
    add_id(*cmd, "ID", opt->first, "The linked claimant");
    cmd->footer(fmt::format(
        "ID is an active claimant again, under its own id, with the data, registrations and\n"
        "verdict it had; counts go up by one, and the pair may be proposed again. One\n"
        "transaction; the audit of both names the two ids.\n\n{}\n\n"
        "Example:\n"
        "  claimreg unlink 873",
        decision_exit_status));
    cmd->callback([opt, &global, &out] {
        Registry registry(global.db, OpenMode::update, global.registry_options());
        const std::int64_t keep = unlink_claimant(registry, opt->first, now_utc());
        notice(global.quiet, "claimant {} unlinked from claimant {}: a claimant again", opt->first,
               keep);
        out.status = ExitStatus::ok;
    });
}

} // namespace claimreg::cli
