// claimreg migrate: brings an existing registry to this build's schema version.

#include <fmt/format.h>

#include "app.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

ExitStatus run_migrate(const GlobalOptions& global) {
    const Registry registry(global.db, OpenMode::update, global.registry_options());
    if (registry.opened_version() == Registry::schema_version) {
        notice(global.quiet, "registry {} is at schema version {}: nothing to do", global.db,
               Registry::schema_version);
    }
    return ExitStatus::ok;
}

} // namespace

void setup_migrate(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto* cmd = app.add_subcommand(
        "migrate", "Bring an existing registry to this claimreg's schema version");
    cmd->footer(
        "Reading commands (export, stats, show) and dry runs never change a registry: one\n"
        "written by an older claimreg must be migrated first, by this command or by any\n"
        "writing command. Each step is one transaction; what a step changed is reported on\n"
        "stderr (schema 6: claimants whose names differed only by invisible characters become\n"
        "registrations linked to the older claimant). Never creates a registry.\n\n"
        "Exit status: 0 ok (also when already current), 65 not a claimreg registry or a newer\n"
        "schema, 66 missing registry, 74 I/O error, 75 registry busy.\n\n"
        "Example:\n"
        "  claimreg --db restored.db migrate");
    cmd->callback([&global, &out] { out.status = run_migrate(global); });
}

} // namespace claimreg::cli
