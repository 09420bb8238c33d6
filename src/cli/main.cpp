// claimreg's entry point: runs the command line and is the one place that turns errors into
// exit statuses (see claimreg/error.hpp).

#include <exception>
#include <string>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/error.hpp"
#include "claimreg/registry.hpp"
#include "claimreg/review.hpp"

namespace {

int report(claimreg::ExitStatus status, const char* message) {
    fmt::print(stderr, "claimreg: {}\n", message);
    return static_cast<int>(status);
}

// What to run about an error, in the command line's words (the library names no command or
// option); empty when there is nothing to add.
std::string hint(const claimreg::Error& e) {
    using namespace claimreg;
    if (dynamic_cast<const MissingRegistryError*>(&e)) {
        return " (create one with 'claimreg add' or 'claimreg import-csv', or point --db / "
               "CLAIMREG_DB at an existing one)";
    }
    if (dynamic_cast<const EmptyRegistryError*>(&e)) {
        return " (a writing command such as 'claimreg import-csv' makes one there)";
    }
    if (dynamic_cast<const OldSchemaError*>(&e)) {
        return ": run 'claimreg migrate' to upgrade it (reading commands and dry runs never "
               "change a registry)";
    }
    if (const auto* linked = dynamic_cast<const LinkedClaimantError*>(&e)) {
        return fmt::format(": use {}, or 'claimreg unlink {}' first", linked->keep(), linked->id());
    }
    return {};
}

} // namespace

int main(int argc, char** argv) {
    using claimreg::ExitStatus;
    try {
        return static_cast<int>(
            claimreg::with_store_errors([&] { return claimreg::cli::run(argc, argv); }));
    } catch (const claimreg::Error& e) {
        return report(e.status(), (e.what() + hint(e)).c_str());
    } catch (const std::bad_alloc&) {
        return report(ExitStatus::internal, "out of memory");
    } catch (const std::exception& e) {
        return report(ExitStatus::internal, fmt::format("internal error: {}", e.what()).c_str());
    }
}
