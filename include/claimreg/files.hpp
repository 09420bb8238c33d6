#pragma once
// Opening input files and creating private (0600) output files.

#include <cstdio>
#include <memory>
#include <string>

namespace claimreg {

/// Closes a FILE* (never stdin/stdout).
struct FileCloser {
    void operator()(std::FILE* f) const;
};
/// An owned FILE*.
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens `path` for reading, or stdin for `-`. Throws NotFoundError for a missing file or a
/// directory, IoError when it cannot be read.
FilePtr open_input(const std::string& path);

/// Creates or truncates `path` with mode 0600 (also when it existed with other bits).
/// Throws CannotCreateError.
FilePtr create_private_file(const std::string& path);

} // namespace claimreg
