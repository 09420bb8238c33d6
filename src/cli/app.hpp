#pragma once
// The command-line application: global options, subcommand registration, and run().

#include <string>

#include <CLI/CLI.hpp>

#include "claimreg/error.hpp"
#include "claimreg/registry.hpp"

namespace claimreg::cli {

/// Options every subcommand shares (given before or after the subcommand).
struct GlobalOptions {
    std::string db = "claimreg.db";
    bool quiet = false;
    int busy_timeout_ms = 5000;

    /// Registry connection settings from these options; notices go to stderr unless quiet.
    RegistryOptions registry_options() const;
};

/// What a subcommand's callback reports back to run().
struct Outcome {
    ExitStatus status = ExitStatus::ok;
};

// One setup function per subcommand (cmd_<name>.cpp): adds it to `app`; its callback fills `out`.
void setup_add(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_import_csv(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_import_xlsx(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_check_eligibility(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_export(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_stats(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_show(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_update(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_withdraw(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_erase(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_migrate(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_report(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_link(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_distinct(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_unlink(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_resolve(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_signals(CLI::App& app, const GlobalOptions& global, Outcome& out);
void setup_duplicates(CLI::App& app, const GlobalOptions& global, Outcome& out);

/// Parses the command line and runs the chosen subcommand; prints --help and --version. Throws
/// claimreg::Error, CLI11's errors included (as usage errors that never hold a typed value);
/// main() maps them to exit statuses.
ExitStatus run(int argc, char** argv);

} // namespace claimreg::cli
