#include "claimreg/files.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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


AtomicFile::AtomicFile(const std::string& path) : path_(path) {
    const std::size_t slash = path.rfind('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    struct stat st {};
    if (base.empty() || base == "." || base == ".." ||
        (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))) {
        throw CannotCreateError(fmt::format("cannot create {}: is a directory", path));
    }
    temp_ = (slash == std::string::npos ? std::string() : path.substr(0, slash + 1)) + "." + base +
            ".tmp-XXXXXX";
    const int fd = ::mkostemp(temp_.data(), O_CLOEXEC);
    if (fd < 0) {
        const int saved = errno;
        temp_.clear();
        throw CannotCreateError(fmt::format("cannot create {}: {}", path, errno_text(saved)));
    }
    if (::fchmod(fd, 0600) != 0 || (file_ = ::fdopen(fd, "wb")) == nullptr) {
        const int saved = errno;
        ::close(fd);
        ::unlink(temp_.c_str());
        temp_.clear();
        throw CannotCreateError(fmt::format("cannot create {}: {}", path, errno_text(saved)));
    }
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() noexcept {
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
    if (!committed_ && !temp_.empty()) {
        ::unlink(temp_.c_str());
        temp_.clear();
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
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0) throw fail("write", errno);
    if (std::rename(temp_.c_str(), path_.c_str()) != 0) {
        const int saved = errno;
        discard();
        throw CannotCreateError(fmt::format("cannot create {}: {}", path_, errno_text(saved)));
    }
    committed_ = true;
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
