#pragma once
// Leaving nothing behind when a signal ends a write: temporary files removed, write signals
// turned into I/O errors.

#include <string>

namespace claimreg {

/// While alive, SIGINT, SIGTERM and SIGHUP first remove the file at `path` (a temporary
/// file in progress) and then end the process as usual. A signal that was ignored when the
/// first guard was set up (`nohup`, `trap '' HUP`) stays ignored. Guards nest (up to four
/// files at a time; a path longer than PATH_MAX or a fifth file is not guarded); the last one
/// to go restores the previous handlers.
class RemoveOnSignal {
  public:
    /// Guards `path` until destroyed.
    explicit RemoveOnSignal(const std::string& path);
    ~RemoveOnSignal();
    RemoveOnSignal(const RemoveOnSignal&) = delete;
    RemoveOnSignal& operator=(const RemoveOnSignal&) = delete;

  private:
    int slot_ = -1; ///< which guarded path is this one's, or -1: not guarded
};

/// Makes SIGPIPE and SIGXFSZ ignored, so that a write into a closed pipe or past a file-size
/// limit fails with an I/O error (and its cleanup) instead of killing the process.
void ignore_write_signals();

} // namespace claimreg
