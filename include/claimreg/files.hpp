#pragma once
// Opening input files and creating private (0600) output files.

#include <array>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "claimreg/error.hpp"
#include "claimreg/remove_on_signal.hpp"

namespace claimreg {

/// The directory part of `path` as written, with its last slash (`out/a.csv` -> `out/`,
/// `/a.csv` -> `/`), or empty for a name alone (`a.csv`).
std::string_view directory_part(std::string_view path);
/// What follows the last slash of `path` (`out/a.csv` -> `a.csv`); all of it without a slash.
std::string_view name_part(std::string_view path);

/// Creates an empty file at `path`, mode 0600, unless something is there already (left as it
/// is): files made with its mode (SQLite's -wal and -shm) are private too. Throws
/// CannotCreateError (`cannot create SHOWN: reason`; `shown` names the file for people, by
/// default its path).
void create_private_file(const std::string& path, std::string_view shown = {});

/// Closes a FILE* (never stdin/stdout).
struct FileCloser {
    void operator()(std::FILE* f) const;
};
/// An owned FILE*.
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Opens `path` for reading, or stdin for `-`. Throws NotFoundError for a missing file or a
/// directory, IoError when it cannot be read.
FilePtr open_input(const std::string& path);

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

/// The files an output must never be written over: the registry (by name, so also before it
/// exists; with its `-wal`, `-shm` and `-journal` files) and the command's input (an open
/// descriptor, so also standard input).
struct OutputGuard {
    std::string registry; ///< the registry's path, or empty
    int input_fd = -1;    ///< the input's descriptor, or -1
};

/// An output path that is one of the files an output must never be written over. file() says
/// which: `the input file`, `the registry itself`, `a file of the registry (its -wal)`; the
/// message is `the output is FILE`, and the command line names its option instead.
class GuardedFileError : public ValueError {
  public:
    explicit GuardedFileError(std::string file);
    const std::string& file() const noexcept { return file_; }

  private:
    std::string file_;
};

/// A file claimreg writes for the user (an export, a rejects file, a report). The path is
/// resolved first, following symlinks (a chain, or a dangling link whose target is created),
/// and refused when it is one of the guarded files, before anything is written anywhere.
/// Then:
/// - a regular file or a new path is written to a private (0600) temporary file in the
///   target's directory, which commit() makes durable and renames over the target: until then
///   the target is untouched, and an output never committed (a failed or refused run, a
///   signal) leaves no file behind;
/// - a FIFO, a character device and an open descriptor (`/dev/stdout`, `/dev/fd/N`,
///   `/proc/self/fd/N`) are written to directly: never renamed over, unlinked or chmod-ed.
class OutputFile {
  public:
    /// Opens the output `path`. Throws GuardedFileError when it is one of `guard`'s files, and
    /// CannotCreateError when it cannot be written: a missing directory, a directory, a
    /// symlink loop, a socket, an existing file the user may not write.
    OutputFile(const std::string& path, const OutputGuard& guard);
    /// Not committed: removes the temporary file (a direct output is just closed).
    ~OutputFile();
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    /// The stream to write to (owned; valid until commit()).
    std::FILE* get() const { return file_; }
    /// Whether the output goes straight to its target (a FIFO, a device, a descriptor).
    bool direct() const { return direct_; }
    /// The directory of the resolved target (where the temporary file is).
    const std::string& directory() const { return dir_; }
    /// Ends the output. A temporary file is flushed, fsynced, closed, renamed over the target
    /// and its directory fsynced; a direct output is flushed and closed. Throws IoError (a
    /// write or sync failure: the target untouched, the temporary file removed) or
    /// CannotCreateError (the rename failed).
    void commit();

  private:
    void discard() noexcept;
    std::string shown_;  ///< the path as the user gave it (for messages)
    std::string target_; ///< the resolved file that commit() replaces
    std::string dir_;    ///< the resolved directory of target_
    std::unique_ptr<LockedTempFile> temp_;
    std::unique_ptr<RemoveOnSignal> remove_on_signal_;
    std::FILE* file_ = nullptr;
    bool direct_ = false;
    bool committed_ = false;
};

} // namespace claimreg
