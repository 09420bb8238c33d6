// claimreg's entry point: runs the command line and is the one place that turns errors into
// exit statuses (see claimreg/error.hpp).

#include <exception>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/error.hpp"
#include "claimreg/registry.hpp"

namespace {

int report(claimreg::ExitStatus status, const char* message) {
    fmt::print(stderr, "claimreg: {}\n", message);
    return static_cast<int>(status);
}

} // namespace

int main(int argc, char** argv) {
    using claimreg::ExitStatus;
    try {
        return static_cast<int>(
            claimreg::with_store_errors([&] { return claimreg::cli::run(argc, argv); }));
    } catch (const claimreg::MissingRegistryError& e) {
        return report(e.status(),
                      fmt::format("{} (create one with 'claimreg add' or 'claimreg import-csv', "
                                  "or point --db / CLAIMREG_DB at an existing one)",
                                  e.what())
                          .c_str());
    } catch (const claimreg::Error& e) {
        return report(e.status(), e.what());
    } catch (const std::bad_alloc&) {
        return report(ExitStatus::internal, "out of memory");
    } catch (const std::exception& e) {
        return report(ExitStatus::internal, fmt::format("internal error: {}", e.what()).c_str());
    }
}
