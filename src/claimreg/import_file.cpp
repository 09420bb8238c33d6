// Importing into a registry file: an existing one in one write transaction, a new one built
// in a private temporary file and renamed into place when complete.

#include "claimreg/importer.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/files.hpp"

namespace claimreg {

namespace {

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

void fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw IoError(fmt::format("cannot open {}: {}", path, errno_text(errno)));
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) throw IoError(fmt::format("cannot sync {}: {}", path, errno_text(saved)));
}

// Builds a new registry at `path` from `in`: a temporary file, renamed into place when complete.
ImportReport import_into_new_registry(RecordSource& in, const std::string& path,
                                      const RegistryOptions& registry_options,
                                      const ImportOptions& options) {
    const std::string_view written = directory_part(path);
    const std::string dir = written.empty() ? std::string(".") : std::string(written);
    // Locked until this function returns: a kill -9 leaves it for the next import to remove.
    const LockedTempFile locked(path, "import");
    const std::string& temp = locked.path();
    const RemoveOnSignal remove_on_signal(temp); // Ctrl-C leaves nothing behind
    try {
        ImportReport report;
        {
            RegistryOptions unjournaled = registry_options;
            unjournaled.unjournaled = true;
            Registry registry(temp, OpenMode::write, unjournaled);
            report = import_records(in, registry, options);
            if (options.strict && report.rejected > 0) {
                remove_registry_files(temp);
                return report;
            }
            registry.enable_wal();
        }
        fsync_path(temp, O_RDONLY);
        if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
            if (errno == EEXIST) {
                throw BusyError(fmt::format("registry {} was created by another process during "
                                            "the import; nothing imported, retry",
                                            path));
            }
            throw CannotCreateError(fmt::format("cannot create registry {}: {}", path, errno_text(errno)));
        }
        fsync_path(dir, O_RDONLY | O_DIRECTORY);
        return report;
    } catch (...) {
        remove_registry_files(temp);
        throw;
    }
}

} // namespace

ImportReport import_csv_file(std::FILE* in, const std::string& registry_path,
                             const RegistryOptions& registry_options, const ImportOptions& options) {
    CsvSource source(in, options.csv);
    return import_records_file(source, registry_path, registry_options, options);
}

ImportReport import_records_file(RecordSource& in, const std::string& registry_path,
                                 const RegistryOptions& registry_options,
                                 const ImportOptions& options) {
    if (!path_exists(registry_path)) {
        if (options.dry_run) {
            Registry scratch = Registry::scratch();
            return import_records(in, scratch, options);
        }
        return import_into_new_registry(in, registry_path, registry_options, options);
    }
    // A dry run writes nothing for good (its transaction rolls back) and never migrates.
    RegistryOptions opening = registry_options;
    opening.migrate = !options.dry_run;
    Registry registry(registry_path, options.dry_run ? OpenMode::update : OpenMode::write, opening);
    return import_records(in, registry, options);
}

} // namespace claimreg
