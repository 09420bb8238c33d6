#include "claimreg/remove_on_signal.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstring>

namespace claimreg {

void ignore_write_signals() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, nullptr);
    ::sigaction(SIGXFSZ, &ignore, nullptr);
}

namespace {

constexpr std::array<int, 3> cleanup_signals = {SIGINT, SIGTERM, SIGHUP};

// The paths RemoveOnSignal guards; read by the signal handler, so plain arrays and a flag that
// is set only once the path is complete.
struct GuardedPath {
    std::array<char, 4096> path{};
    volatile std::sig_atomic_t armed = 0;
    bool taken = false; // by a RemoveOnSignal (main thread only)
};
std::array<GuardedPath, 4> guarded_paths{};
std::size_t guards_alive = 0;
// The dispositions found when the first guard was set up, restored after the last one.
std::array<struct sigaction, cleanup_signals.size()> previous_actions{};
std::array<bool, cleanup_signals.size()> handler_installed{};

extern "C" void remove_guarded_and_reraise(int sig) {
    for (const GuardedPath& guarded : guarded_paths) {
        if (guarded.armed != 0) ::unlink(guarded.path.data());
    }
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    ::sigaction(sig, &default_action, nullptr);
    // Blocked while this handler runs: delivered, with the default action, when it returns.
    ::raise(sig);
}

void install_cleanup_handlers() {
    struct sigaction cleanup {};
    cleanup.sa_handler = remove_guarded_and_reraise;
    sigemptyset(&cleanup.sa_mask);
    for (const int sig : cleanup_signals) sigaddset(&cleanup.sa_mask, sig);
    for (std::size_t i = 0; i < cleanup_signals.size(); ++i) {
        handler_installed[i] = false;
        struct sigaction current {};
        if (::sigaction(cleanup_signals[i], nullptr, &current) != 0) continue;
        // Ignored when claimreg started (nohup, trap '' HUP): it stays ignored.
        if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;
        handler_installed[i] = ::sigaction(cleanup_signals[i], &cleanup, &previous_actions[i]) == 0;
    }
}

void restore_previous_handlers() {
    for (std::size_t i = 0; i < cleanup_signals.size(); ++i) {
        if (handler_installed[i]) ::sigaction(cleanup_signals[i], &previous_actions[i], nullptr);
        handler_installed[i] = false;
    }
}

} // namespace

RemoveOnSignal::RemoveOnSignal(const std::string& path) {
    if (path.size() >= guarded_paths[0].path.size()) return;
    const auto free_slot = std::find_if(guarded_paths.begin(), guarded_paths.end(),
                                        [](const GuardedPath& g) { return !g.taken; });
    if (free_slot == guarded_paths.end()) return;
    if (guards_alive == 0) install_cleanup_handlers();
    ++guards_alive;
    free_slot->taken = true;
    std::memcpy(free_slot->path.data(), path.c_str(), path.size() + 1);
    free_slot->armed = 1;
    slot_ = static_cast<int>(free_slot - guarded_paths.begin());
}

RemoveOnSignal::~RemoveOnSignal() {
    if (slot_ < 0) return;
    GuardedPath& guarded = guarded_paths[static_cast<std::size_t>(slot_)];
    guarded.armed = 0;
    guarded.path[0] = '\0';
    guarded.taken = false;
    if (--guards_alive == 0) restore_previous_handlers();
}

} // namespace claimreg
