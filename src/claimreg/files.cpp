#include "claimreg/files.hpp"

#include <cerrno>
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

} // namespace claimreg
