#include "app.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "claimreg/version.hpp"

namespace claimreg::cli {

namespace {

constexpr const char* exit_status_footer = R"(Exit status:
  0   ok (check-eligibility of one claimant: eligible)
  1   check-eligibility: ineligible
  2   check-eligibility: review
  64  usage error
  65  bad input data (rows or fields rejected)
  66  missing input file, registry or claimant id
  70  internal error
  73  cannot create output file
  74  I/O error
  75  registry busy: retry later)";

} // namespace

RegistryOptions GlobalOptions::registry_options() const {
    RegistryOptions options;
    options.busy_timeout_ms = busy_timeout_ms;
    if (!quiet) {
        options.on_notice = [](const std::string& text) { fmt::print(stderr, "claimreg: {}\n", text); };
    }
    return options;
}

ExitStatus run(int argc, char** argv) {
    CLI::App app{"claimreg: the claimant registry of the TikTok mass claim for children in the "
                 "Netherlands",
                 "claimreg"};
    GlobalOptions global;
    Outcome outcome;

    app.set_version_flag("--version",
                         fmt::format("claimreg {} (SQLite {})", version, sqlite3_libversion()));
    app.footer(exit_status_footer);
    app.require_subcommand(0, 1);
    app.fallthrough();
    app.option_defaults()->always_capture_default()->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);

    app.add_option("--db", global.db, "Registry file (env CLAIMREG_DB)")
        ->envname("CLAIMREG_DB")
        ->type_name("PATH");
    app.add_flag("-q,--quiet", global.quiet, "Print nothing on stderr but errors");
    app.add_option("--busy-timeout", global.busy_timeout_ms,
                   "Wait this long for another writer, then exit 75")
        ->type_name("MS")
        ->check(CLI::NonNegativeNumber);

    setup_add(app, global, outcome);
    setup_import_csv(app, global, outcome);
    setup_check_eligibility(app, global, outcome);
    setup_export(app, global, outcome);
    setup_stats(app, global, outcome);
    setup_show(app, global, outcome);
    setup_withdraw(app, global, outcome);
    setup_erase(app, global, outcome);
    setup_migrate(app, global, outcome);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            app.exit(e); // prints --help or --version
            return ExitStatus::ok;
        }
        throw UsageError(fmt::format("{} (see 'claimreg --help')", e.what()));
    }
    if (app.get_subcommands().empty()) {
        fmt::print(stderr, "{}", app.help());
        throw UsageError("no command given");
    }
    return outcome.status;
}

} // namespace claimreg::cli
