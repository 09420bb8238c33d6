// claimreg erase: removes a claimant's personal data for good (GDPR Art. 17), leaving only an
// audit row (id and count) so that the totals stay honest.

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/lifecycle.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct EraseOptions {
    std::int64_t id = 0;
    bool force = false;
};

std::string registrations(std::int64_t n) {
    return fmt::format("{} registration{}", n, n == 1 ? "" : "s");
}

// Asks on the terminal; true for `y` or `yes` (any case).
bool confirmed(std::int64_t id, std::int64_t linked) {
    fmt::print(stderr, "Erase claimant {} and its {} for good? [y/N] ", id, registrations(linked));
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) {
        fmt::print(stderr, "\n");
        return false;
    }
    for (char& c : answer) c = static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
    return answer == "y" || answer == "yes";
}

ExitStatus run_erase(const EraseOptions& opt, const GlobalOptions& global) {
    if (!opt.force && ::isatty(STDIN_FILENO) == 0) {
        throw UsageError("erase removes personal data for good: confirm on a terminal, or give "
                         "--force");
    }
    Registry registry(global.db, OpenMode::update, global.registry_options());
    if (!opt.force && !confirmed(opt.id, linked_registration_count(registry, opt.id))) {
        notice(global.quiet, "nothing erased");
        return ExitStatus::ok;
    }
    const EraseResult r = erase_claimant(registry, opt.id, now_utc());
    if (!r.wal_truncated) {
        throw BusyError(fmt::format(
            "claimant {} erased, but another process is reading the registry: old copies of the "
            "erased pages stay in {}-wal until a checkpoint completes (the next erase, or the last "
            "process to close the registry, does one)",
            opt.id, global.db));
    }
    notice(global.quiet, "claimant {} erased with {} linked {}{}", opt.id, r.linked,
           r.linked == 1 ? "registration" : "registrations",
           r.linked_claimants == 0
               ? std::string()
               : fmt::format(" and {} linked claimant{} (the same child)", r.linked_claimants,
                             r.linked_claimants == 1 ? "" : "s"));
    return ExitStatus::ok;
}

} // namespace

void setup_erase(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<EraseOptions>();
    auto* cmd = app.add_subcommand(
        "erase", "Erase a claimant and its linked registrations for good (GDPR Art. 17)");
    cmd->add_option("ID", opt->id, "The claimant's id")
        ->required()
        ->type_name("")
        ->check(claimant_id_validator())
        ->default_str("");
    cmd->add_flag("-f,--force", opt->force, "Do not ask (required when stdin is not a terminal)");
    cmd->footer(
        "Deletes the claimant and every registration linked to it, with the claimants linked\n"
        "into it ('claimreg link': the same child; a linked claimant alone is erased alone),\n"
        "overwriting the freed space\n"
        "(secure_delete) and emptying the write-ahead log, so no copy of the data stays in the\n"
        "registry files. What remains is an audit row with the id, the number of registrations\n"
        "erased and the time: 'stats' counts it as erased, and the id is never given again.\n"
        "Backups and earlier exports are not touched: erase from them separately.\n"
        "Asks for confirmation on a terminal; without one, --force is required.\n\n"
        "Exit status: 0 ok (also when the question is answered no: nothing erased), 64 usage\n"
        "error (also no terminal and no --force: nothing changed), 66 no such claimant or\n"
        "missing registry, 74 I/O error, 75 registry busy (also: erased, but another process\n"
        "kept the write-ahead log from being emptied).\n\n"
        "Examples:\n"
        "  claimreg erase 42\n"
        "  claimreg erase --force 42");
    cmd->callback([opt, &global, &out] { out.status = run_erase(*opt, global); });
}

} // namespace claimreg::cli
