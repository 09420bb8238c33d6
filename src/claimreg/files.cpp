#include "claimreg/files.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/text.hpp"

namespace claimreg {

std::string_view directory_part(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash + 1);
}

std::string_view name_part(std::string_view path) {
    return path.substr(directory_part(path).size());
}

void create_private_file(const std::string& path, std::string_view shown) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST) return;
        throw CannotCreateError(fmt::format("cannot create {}: {}",
                                            shown.empty() ? std::string_view(path) : shown,
                                            errno_text(errno)));
    }
    ::close(fd);
}

GuardedFileError::GuardedFileError(std::string file)
    : ValueError("the output is " + file), file_(std::move(file)) {}

void FileCloser::operator()(std::FILE* f) const {
    if (f != nullptr && f != stdin && f != stdout) std::fclose(f);
}

FilePtr open_input(const std::string& path) {
    if (path == "-") return FilePtr(stdin);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) throw NotFoundError(fmt::format("{}: no such file", path));
        throw IoError(fmt::format("{}: {}", path, errno_text(errno)));
    }
    if (S_ISDIR(st.st_mode)) throw NotFoundError(fmt::format("{}: is a directory, not a file", path));
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) throw IoError(fmt::format("{}: {}", path, errno_text(errno)));
    return FilePtr(f);
}

namespace {

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Removes `dir/name` and its SQLite companions when no process holds its lock: the process
// that wrote it was killed before it could clean up.
void remove_if_abandoned(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return;
    struct stat opened {};
    struct stat named {};
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::fstat(fd, &opened) == 0 &&
        S_ISREG(opened.st_mode) && ::lstat(path.c_str(), &named) == 0 && same_file(opened, named)) {
        for (const char* suffix : {"-wal", "-shm", "-journal"}) ::unlink((path + suffix).c_str());
        ::unlink(path.c_str());
    }
    ::close(fd);
}

} // namespace

LockedTempFile::LockedTempFile(const std::string& target, const std::string& tag) {
    const std::string dir(directory_part(target));
    const std::string prefix = "." + std::string(name_part(target)) + "." + tag + "-";
    if (DIR* d = ::opendir(dir.empty() ? "." : dir.c_str())) {
        std::vector<std::string> leftovers;
        while (const dirent* e = ::readdir(d)) {
            const std::string_view name(e->d_name);
            if (name.size() == prefix.size() + 6 && name.substr(0, prefix.size()) == prefix) {
                leftovers.push_back(dir + std::string(name));
            }
        }
        ::closedir(d);
        for (const auto& leftover : leftovers) remove_if_abandoned(leftover);
    }
    // A cleaner may lock and remove a file between its creation and our lock: then again.
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string path = dir + prefix + "XXXXXX";
        const int fd = ::mkostemp(path.data(), O_CLOEXEC); // mode 0600
        if (fd < 0) {
            throw CannotCreateError(fmt::format("cannot create {}: {}", target, errno_text(errno)));
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno != EWOULDBLOCK) {
            // No locks here (ENOLCK...): not worth a file left behind on every attempt.
            const int saved = errno;
            ::unlink(path.c_str());
            ::close(fd);
            throw CannotCreateError(
                fmt::format("cannot lock a temporary file for {}: {}", target, errno_text(saved)));
        }
        struct stat opened {};
        struct stat named {};
        if (::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &named) == 0 &&
            same_file(opened, named)) {
            path_ = std::move(path);
            fd_ = fd;
            return;
        }
        ::close(fd); // a cleaner took it for a leftover and removed it
    }
    throw CannotCreateError(fmt::format("cannot create {}: temporary files keep disappearing", target));
}

LockedTempFile::~LockedTempFile() {
    if (fd_ >= 0) ::close(fd_);
}

namespace {

// What an output path names once its symlinks are followed.
struct ResolvedOutput {
    enum class Kind {
        missing,    ///< nothing there yet: created
        regular,    ///< a regular file: replaced
        direct,     ///< a FIFO or a character device: written to
        descriptor, ///< one of this process's descriptors (/dev/stdout...): written to
    };
    Kind kind = Kind::missing;
    std::string path;    ///< absolute, without symlinks (not for a descriptor)
    std::string dir;     ///< the directory of `path`
    int descriptor = -1; ///< Kind::descriptor: which one
    struct stat st {};   ///< Kind::regular and Kind::direct: the file's lstat
};

constexpr int max_symlinks = 40; // the kernel's own limit

// A process, thread or descriptor number: 1 to 9 digits.
bool is_small_number(std::string_view text) {
    return text.size() < 10 && all_ascii_digits(text);
}

// Whether `dir` (resolved) lists this process's descriptors: /proc/PID/fd (where /dev/fd and
// /proc/self/fd lead) or /proc/PID/task/TID/fd (/proc/thread-self/fd).
bool is_own_descriptor_dir(std::string_view dir) {
    const std::string own = fmt::format("/proc/{}/", ::getpid());
    if (dir.substr(0, own.size()) != own) return false;
    std::string_view rest = dir.substr(own.size());
    if (rest == "fd") return true;
    if (rest.substr(0, 5) != "task/") return false;
    rest.remove_prefix(5);
    const std::size_t slash = rest.find('/');
    return slash != std::string_view::npos && is_small_number(rest.substr(0, slash)) &&
           rest.substr(slash) == "/fd";
}

// A symlink the kernel would not follow either (fs.protected_symlinks): in a sticky,
// world-writable directory such as /tmp, owned by neither this user nor the directory's owner.
bool is_untrusted_link(const struct stat& link, const std::string& dir) {
    struct stat d {};
    if (::stat(dir.c_str(), &d) != 0) return false;
    return (d.st_mode & S_ISVTX) != 0 && (d.st_mode & S_IWOTH) != 0 &&
           link.st_uid != ::geteuid() && link.st_uid != d.st_uid;
}

CannotCreateError cannot_create(const std::string& shown, int errnum) {
    return CannotCreateError(fmt::format("cannot create {}: {}", shown, errno_text(errnum)));
}

// Follows `given`'s symlinks one at a time (relative ones from their own directory), so that
// a dangling link resolves to the file it would create and /dev/stdout to a descriptor.
ResolvedOutput resolve_output(const std::string& given, const std::string& shown) {
    std::string path = given;
    for (int links = 0; links <= max_symlinks; ++links) {
        const std::string base(name_part(path));
        const std::string_view dir = directory_part(path);
        const std::string parent = dir.empty() ? "." : std::string(dir);
        if (base.empty() || base == "." || base == "..") throw cannot_create(shown, EISDIR);
        char* real = ::realpath(parent.c_str(), nullptr);
        if (real == nullptr) throw cannot_create(shown, errno);
        ResolvedOutput r;
        r.dir = real;
        std::free(real);
        if (is_own_descriptor_dir(r.dir) && is_small_number(base)) {
            r.kind = ResolvedOutput::Kind::descriptor;
            r.descriptor = std::stoi(base);
            return r;
        }
        r.path = (r.dir == "/" ? "" : r.dir) + "/" + base;
        if (::lstat(r.path.c_str(), &r.st) != 0) {
            if (errno != ENOENT) throw cannot_create(shown, errno);
            r.kind = ResolvedOutput::Kind::missing;
            return r;
        }
        if (S_ISLNK(r.st.st_mode)) {
            if (is_untrusted_link(r.st, r.dir)) throw cannot_create(shown, EACCES);
            std::string target(PATH_MAX, '\0');
            const ssize_t n = ::readlink(r.path.c_str(), target.data(), target.size());
            if (n < 0) throw cannot_create(shown, errno);
            if (n == 0 || static_cast<std::size_t>(n) >= target.size()) {
                throw cannot_create(shown, ENAMETOOLONG);
            }
            target.resize(static_cast<std::size_t>(n));
            path = target.front() == '/' ? target : r.dir + "/" + target;
            continue;
        }
        if (S_ISREG(r.st.st_mode)) {
            r.kind = ResolvedOutput::Kind::regular;
        } else if (S_ISFIFO(r.st.st_mode) || S_ISCHR(r.st.st_mode)) {
            r.kind = ResolvedOutput::Kind::direct;
        } else if (S_ISDIR(r.st.st_mode)) {
            throw cannot_create(shown, EISDIR);
        } else {
            throw CannotCreateError(fmt::format(
                "cannot create {}: not a regular file, FIFO or character device", shown));
        }
        return r;
    }
    throw cannot_create(shown, ELOOP);
}

// Throws GuardedFileError when `out` is one of the files `guard` protects: the same file
// (device and inode), or the same resolved path for a file not there yet.
void refuse_guarded(const ResolvedOutput& out, const OutputGuard& guard) {
    using Kind = ResolvedOutput::Kind;
    struct stat target {};
    bool target_exists = false;
    if (out.kind == Kind::descriptor) {
        target_exists = ::fstat(out.descriptor, &target) == 0;
    } else if (out.kind != Kind::missing) {
        target = out.st;
        target_exists = true;
    }
    const auto is_target = [&](const struct stat& other) {
        return target_exists && same_file(target, other);
    };
    struct stat input {};
    if (guard.input_fd >= 0 && ::fstat(guard.input_fd, &input) == 0 && is_target(input)) {
        throw GuardedFileError("the input file");
    }
    if (guard.registry.empty()) return;
    std::vector<std::string> names = {guard.registry};
    try {
        const ResolvedOutput registry = resolve_output(guard.registry, guard.registry);
        if (registry.kind != Kind::descriptor) names.push_back(registry.path);
    } catch (const Error&) {
        // A registry that cannot be reached is no file the output can be.
    }
    for (const std::string_view suffix : {"", "-wal", "-shm", "-journal"}) {
        for (const std::string& name : names) {
            const std::string file = name + std::string(suffix);
            struct stat st {};
            bool same = ::stat(file.c_str(), &st) == 0 && is_target(st);
            if (!same && out.kind != Kind::descriptor) {
                try {
                    const ResolvedOutput resolved = resolve_output(file, file);
                    same = resolved.kind != Kind::descriptor && resolved.path == out.path;
                } catch (const Error&) {
                }
            }
            if (!same) continue;
            if (suffix.empty()) throw GuardedFileError("the registry itself");
            throw GuardedFileError(fmt::format("a file of the registry (its {})", suffix));
        }
    }
}

} // namespace

OutputFile::OutputFile(const std::string& path, const OutputGuard& guard)
    : shown_(path) {
    using Kind = ResolvedOutput::Kind;
    const ResolvedOutput out = resolve_output(path, shown_);
    refuse_guarded(out, guard);
    int fd = -1;
    if (out.kind == Kind::descriptor) {
        fd = ::fcntl(out.descriptor, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) throw cannot_create(shown_, errno);
        direct_ = true;
    } else if (out.kind == Kind::direct) {
        fd = ::open(out.path.c_str(), O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) throw cannot_create(shown_, errno);
        struct stat opened {};
        if (::fstat(fd, &opened) != 0 || !same_file(opened, out.st)) {
            ::close(fd);
            throw CannotCreateError(fmt::format("cannot create {}: replaced while opened", shown_));
        }
        direct_ = true;
    } else {
        // An existing file the user may not write is not replaced behind its owner's back.
        if (out.kind == Kind::regular &&
            ::faccessat(AT_FDCWD, out.path.c_str(), W_OK, AT_EACCESS) != 0) {
            throw cannot_create(shown_, errno);
        }
        target_ = out.path;
        dir_ = out.dir;
        temp_ = std::make_unique<LockedTempFile>(target_, "tmp");
        remove_on_signal_ = std::make_unique<RemoveOnSignal>(temp_->path());
        if (::fchmod(temp_->fd(), 0600) != 0) {
            const int saved = errno;
            discard();
            throw cannot_create(shown_, saved);
        }
        fd = temp_->release();
    }
    file_ = ::fdopen(fd, "wb");
    if (file_ == nullptr) {
        const int saved = errno;
        ::close(fd);
        discard();
        throw cannot_create(shown_, saved);
    }
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() noexcept {
    // Removed while still open (and locked): no other process can have taken its name.
    if (!committed_ && temp_) ::unlink(temp_->path().c_str());
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
    remove_on_signal_.reset();
    temp_.reset();
}

void OutputFile::commit() {
    if (committed_ || file_ == nullptr) throw IoError(fmt::format("{}: already written", shown_));
    const auto fail = [this](const char* what, int errnum) {
        discard();
        return IoError(fmt::format("cannot {} {}: {}", what, shown_, errno_text(errnum)));
    };
    if (std::fflush(file_) != 0 || std::ferror(file_)) throw fail("write", errno);
    if (direct_) {
        committed_ = true;
        const int closed = std::fclose(file_);
        file_ = nullptr;
        if (closed != 0) throw fail("write", errno);
        return;
    }
    if (::fsync(::fileno(file_)) != 0) throw fail("sync", errno);
    // Renamed while still open: its lock keeps other processes from taking it for a leftover.
    if (std::rename(temp_->path().c_str(), target_.c_str()) != 0) {
        const int saved = errno;
        discard();
        throw cannot_create(shown_, saved);
    }
    committed_ = true;
    // Flushed and synced before the rename: closing cannot lose any of it.
    std::fclose(file_);
    file_ = nullptr;
    remove_on_signal_.reset();
    // Make the rename itself durable.
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return; // a directory we may write but not read: nothing more we can do
    const int synced = ::fsync(dfd);
    const int saved = errno;
    ::close(dfd);
    if (synced != 0 && saved != EINVAL) {
        throw IoError(
            fmt::format("cannot sync the directory of {}: {}", shown_, errno_text(saved)));
    }
}

} // namespace claimreg
