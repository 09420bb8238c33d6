// claimreg's entry point: runs the command line and is the one place that turns errors into
// exit statuses (see claimreg/error.hpp).

#include <exception>

#include <SQLiteCpp/Exception.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include "app.hpp"
#include "claimreg/error.hpp"

namespace {

int report(claimreg::ExitStatus status, const char* message) {
    fmt::print(stderr, "claimreg: {}\n", message);
    return static_cast<int>(status);
}

} // namespace

int main(int argc, char** argv) {
    using claimreg::ExitStatus;
    try {
        return static_cast<int>(claimreg::cli::run(argc, argv));
    } catch (const claimreg::Error& e) {
        return report(e.status(), e.what());
    } catch (const SQLite::Exception& e) {
        // SQLite's messages name tables and columns, never bound values.
        switch (e.getErrorCode()) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return report(ExitStatus::busy, "registry busy (locked by another process), retry later");
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
            return report(ExitStatus::data, fmt::format("registry unreadable: {}", e.what()).c_str());
        case SQLITE_IOERR:
        case SQLITE_FULL:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
            return report(ExitStatus::io, fmt::format("registry I/O error: {}", e.what()).c_str());
        default:
            return report(ExitStatus::internal, fmt::format("internal error: {}", e.what()).c_str());
        }
    } catch (const std::bad_alloc&) {
        return report(ExitStatus::internal, "out of memory");
    } catch (const std::exception& e) {
        return report(ExitStatus::internal, fmt::format("internal error: {}", e.what()).c_str());
    }
}
