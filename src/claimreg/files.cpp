#include "claimreg/files.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "claimreg/error.hpp"

namespace claimreg {

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

FilePtr create_private_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw CannotCreateError(fmt::format("cannot create {}: {}", path, errno_text(errno)));
    if (::fchmod(fd, 0600) != 0) {
        const int saved = errno;
        ::close(fd);
        throw CannotCreateError(fmt::format("cannot make {} private: {}", path, errno_text(saved)));
    }
    std::FILE* f = ::fdopen(fd, "wb");
    if (f == nullptr) {
        ::close(fd);
        throw CannotCreateError(fmt::format("cannot open {}: {}", path, errno_text(errno)));
    }
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
    const std::size_t slash = target.rfind('/');
    const std::string dir = slash == std::string::npos ? std::string() : target.substr(0, slash + 1);
    const std::string prefix = "." + (slash == std::string::npos ? target : target.substr(slash + 1)) +
                               "." + tag + "-";
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

AtomicFile::AtomicFile(const std::string& path) : path_(path) {
    const std::size_t slash = path.rfind('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st {};
    if (base.empty() || base == "." || base == ".." ||
        (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
        throw CannotCreateError(fmt::format("cannot create {}: is a directory", path));
    }
    lock_ = std::make_unique<LockedTempFile>(path, "tmp");
    temp_ = lock_->path();
    if (::fchmod(lock_->fd(), 0600) != 0 || (file_ = ::fdopen(lock_->fd(), "wb")) == nullptr) {
        const int saved = errno;
        ::unlink(temp_.c_str());
        temp_.clear();
        lock_.reset();
        throw CannotCreateError(fmt::format("cannot create {}: {}", path, errno_text(saved)));
    }
    lock_->release(); // file_ closes it
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
    // Removed while still open (and locked): no other process can have taken its name.
    if (!committed_ && !temp_.empty()) {
        ::unlink(temp_.c_str());
        temp_.clear();
    }
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
}

void AtomicFile::commit() {
    if (committed_ || file_ == nullptr) throw IoError(fmt::format("{}: already written", path_));
    const auto fail = [this](const char* what, int errnum) {
        discard();
        return IoError(fmt::format("cannot {} {}: {}", what, path_, errno_text(errnum)));
    };
    if (std::fflush(file_) != 0 || std::ferror(file_)) throw fail("write", errno);
    if (::fsync(::fileno(file_)) != 0) throw fail("sync", errno);
    // Renamed while still open: its lock keeps other processes from taking it for a leftover.
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
        const int saved = errno;
        discard();
        throw CannotCreateError(fmt::format("cannot create {}: {}", path_, errno_text(saved)));
    }
    committed_ = true;
    // Flushed and synced before the rename: closing cannot lose any of it.
    std::fclose(file_);
    file_ = nullptr;
    // Make the rename itself durable.
    const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return; // a directory we may write but not read: nothing more we can do
    const int synced = ::fsync(dfd);
    const int saved = errno;
    ::close(dfd);
    if (synced != 0 && saved != EINVAL) {
        throw IoError(fmt::format("cannot sync the directory of {}: {}", path_, errno_text(saved)));
    }
}

namespace {

constexpr std::array<int, 3> cleanup_signals = {SIGINT, SIGTERM, SIGHUP};
// The path RemoveOnSignal guards; read by the signal handler, so a plain array.
std::array<char, 4096> pending_removal{};

extern "C" void remove_pending_and_reraise(int sig) {
    if (pending_removal[0] != '\0') ::unlink(pending_removal.data());
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

} // namespace

RemoveOnSignal::RemoveOnSignal(const std::string& path) {
    if (path.size() >= pending_removal.size()) return;
    std::memcpy(pending_removal.data(), path.c_str(), path.size() + 1);
    for (std::size_t i = 0; i < cleanup_signals.size(); ++i) {
        previous_[i] = std::signal(cleanup_signals[i], remove_pending_and_reraise);
    }
    armed_ = true;
}

RemoveOnSignal::~RemoveOnSignal() {
    if (!armed_) return;
    for (std::size_t i = 0; i < cleanup_signals.size(); ++i) {
        if (previous_[i] != SIG_ERR) std::signal(cleanup_signals[i], previous_[i]);
    }
    pending_removal[0] = '\0';
}

} // namespace claimreg
