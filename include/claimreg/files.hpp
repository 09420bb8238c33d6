#pragma once
// Opening input files and creating private (0600) output files.

#include <array>
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

/// A private (0600) temporary file beside a target: `DIR/.NAME.TAG-XXXXXX`, locked (flock) for
/// as long as it is open, so that a later process can tell a killed writer's leftover (which
/// holds children's data) from a file still being written.
class LockedTempFile {
  public:
    /// Removes unlocked leftovers of `target`'s TAG files, then creates and locks a new one.
    /// Throws CannotCreateError.
    LockedTempFile(const std::string& target, const std::string& tag);
    /// Closes (unlocks) the file; it is not removed.
    ~LockedTempFile();
    LockedTempFile(const LockedTempFile&) = delete;
    LockedTempFile& operator=(const LockedTempFile&) = delete;

    const std::string& path() const { return path_; }
    int fd() const { return fd_; }
    /// Hands the descriptor over (to a FILE*, which then closes it).
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    std::string path_;
    int fd_ = -1;
};

/// An output file replaced atomically: written to a private (0600) temporary file in the same
/// directory, which commit() makes durable and renames over the target. Until then the target
/// (if any) is untouched; a writer that fails, is killed or is interrupted never leaves a half
/// file under the target's name. Not committed: the destructor removes the temporary file.
class AtomicFile {
  public:
    /// Creates the temporary file next to `path`. Throws CannotCreateError (a missing
    /// directory, no permission, `path` is a directory).
    explicit AtomicFile(const std::string& path);
    ~AtomicFile();
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    /// The stream to write to (owned; valid until commit()).
    std::FILE* get() const { return file_; }
    /// The temporary file's path (for cleanup after a signal).
    const std::string& temp_path() const { return temp_; }
    /// Flushes, fsyncs and closes the file, renames it over the target and fsyncs the
    /// directory. Throws IoError (a write or sync failure: the target is untouched and the
    /// temporary file removed) or CannotCreateError (the rename failed).
    void commit();

  private:
    void discard() noexcept;
    std::string path_;
    std::string temp_;
    std::unique_ptr<LockedTempFile> lock_;
    std::string dir_;
    std::FILE* file_ = nullptr;
    bool committed_ = false;
};

/// While alive, SIGINT, SIGTERM and SIGHUP first remove the file at `path` (a temporary
/// file in progress) and then end the process as usual. One at a time.
class RemoveOnSignal {
  public:
    explicit RemoveOnSignal(const std::string& path);
    ~RemoveOnSignal();
    RemoveOnSignal(const RemoveOnSignal&) = delete;
    RemoveOnSignal& operator=(const RemoveOnSignal&) = delete;

  private:
    std::array<void (*)(int), 3> previous_{};
    bool armed_ = false;
};

} // namespace claimreg
