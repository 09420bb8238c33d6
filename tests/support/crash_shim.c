/*
 * Test-only LD_PRELOAD library for the crash tests: counts the write, sync and rename calls a
 * process makes and kills it with SIGKILL at a chosen one, so that a test can stop claimreg at an
 * exact point of a commit instead of at a moment in time.
 *
 * Interposed: write, pwrite, pwrite64 (SQLite writes with pwrite64), fsync, fdatasync (SQLite
 * syncs with fdatasync, claimreg's own syncs use fsync), rename, renameat, renameat2 (claimreg
 * puts a new registry in place with renameat2). Each forwards to the next definition
 * (dlsym(RTLD_NEXT)): the C library's, or a sanitizer runtime's interceptor.
 *
 * Settings, from the environment:
 *   CRASH_SHIM_SUFFIX=S   count only calls on files whose path ends with S: for writes and syncs
 *                         the descriptor's path (/proc/self/fd), for renames the new name.
 *                         Unset or empty: every call.
 *   CRASH_SHIM_OPS=LIST   which calls count: a comma list of write, sync, rename (default: all).
 *   CRASH_SHIM_AT=N       kill the process at the Nth counted call (1-based) ...
 *   CRASH_SHIM_WHEN=W     ... before the call reaches the kernel (before, the default) or right
 *                         after it returned (after).
 *   CRASH_SHIM_TRACE=FILE at exit, write the counted calls to FILE in order, one letter each
 *                         (w write, s sync, r rename), then a newline; "overflow" if there were
 *                         more than the buffer holds.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

enum { op_write = 1u, op_sync = 2u, op_rename = 4u };

static int initialised;
static const char *suffix;
static size_t suffix_len;
static unsigned ops = op_write | op_sync | op_rename;
static unsigned long kill_at;
static int kill_after;
static const char *trace_path;

static unsigned long counted;
static char trace[1 << 22];
static int trace_overflowed;

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void *, size_t, off64_t);
typedef int (*sync_fn)(int);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat_fn)(int, const char *, int, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned int);

static void fatal(const char *what) {
    static const char prefix[] = "crash_shim: ";
    struct iovec parts[3] = {{(void *)prefix, sizeof prefix - 1},
                             {(void *)what, strlen(what)},
                             {(void *)"\n", 1}};
    (void)!writev(STDERR_FILENO, parts, 3);
    _exit(127);
}

/* The next definition of `name`, as an untyped pointer to copy into a function pointer. */
static void *next_symbol(const char *name) {
    void *symbol = dlsym(RTLD_NEXT, name);
    if (!symbol) fatal(name);
    return symbol;
}

#define REAL(type, name)                                                                           \
    static type real_##name;                                                                       \
    if (!real_##name) {                                                                            \
        void *symbol = next_symbol(#name);                                                         \
        memcpy(&real_##name, &symbol, sizeof real_##name);                                         \
    }

static void initialise(void) {
    if (initialised) return;
    initialised = 1;
    suffix = getenv("CRASH_SHIM_SUFFIX");
    suffix_len = suffix ? strlen(suffix) : 0;
    const char *list = getenv("CRASH_SHIM_OPS");
    if (list && *list) {
        ops = 0;
        if (strstr(list, "write")) ops |= op_write;
        if (strstr(list, "sync")) ops |= op_sync;
        if (strstr(list, "rename")) ops |= op_rename;
        if (!ops) fatal("CRASH_SHIM_OPS names none of write, sync, rename");
    }
    const char *at = getenv("CRASH_SHIM_AT");
    if (at && *at) {
        char *end = NULL;
        kill_at = strtoul(at, &end, 10);
        if (*end != '\0' || kill_at == 0) fatal("CRASH_SHIM_AT is not a positive number");
    }
    const char *when = getenv("CRASH_SHIM_WHEN");
    if (when && *when) {
        if (strcmp(when, "after") == 0) kill_after = 1;
        else if (strcmp(when, "before") != 0) fatal("CRASH_SHIM_WHEN is neither before nor after");
    }
    trace_path = getenv("CRASH_SHIM_TRACE");
}

static int ends_with_suffix(const char *path, size_t length) {
    return length >= suffix_len && memcmp(path + length - suffix_len, suffix, suffix_len) == 0;
}

static int fd_matches(int fd) {
    if (suffix_len == 0) return 1;
    char link[40];
    char path[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const int saved = errno;
    const ssize_t length = readlink(link, path, sizeof path);
    errno = saved;
    if (length < 0 || (size_t)length >= sizeof path) return 0;
    return ends_with_suffix(path, (size_t)length);
}

static int path_matches(const char *path) {
    return suffix_len == 0 || ends_with_suffix(path, strlen(path));
}

static void die(void) {
    kill(getpid(), SIGKILL);
    for (;;) pause();
}

/* Counts one call of kind `op` on a matching file; returns whether it is the chosen one. */
static int count(unsigned op) {
    ++counted;
    if (trace_path) {
        if (counted <= sizeof trace) trace[counted - 1] = op == op_write ? 'w' : op == op_sync ? 's' : 'r';
        else trace_overflowed = 1;
    }
    return counted == kill_at;
}

/* Whether a call of kind `op` on descriptor `fd` (or new name `path`) is the chosen one; kills
 * the process first if it is to die before the call. */
static int before_call(unsigned op, int fd, const char *path) {
    initialise();
    if (!(ops & op)) return 0;
    if (!(path ? path_matches(path) : fd_matches(fd))) return 0;
    const int chosen = count(op);
    if (chosen && !kill_after) die();
    return chosen;
}

static void after_call(int chosen) {
    if (chosen) die();
}

ssize_t write(int fd, const void *buf, size_t n) {
    REAL(write_fn, write)
    const int chosen = before_call(op_write, fd, NULL);
    const ssize_t result = real_write(fd, buf, n);
    after_call(chosen);
    return result;
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset) {
    REAL(pwrite_fn, pwrite)
    const int chosen = before_call(op_write, fd, NULL);
    const ssize_t result = real_pwrite(fd, buf, n, offset);
    after_call(chosen);
    return result;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t offset) {
    REAL(pwrite64_fn, pwrite64)
    const int chosen = before_call(op_write, fd, NULL);
    const ssize_t result = real_pwrite64(fd, buf, n, offset);
    after_call(chosen);
    return result;
}

int fsync(int fd) {
    REAL(sync_fn, fsync)
    const int chosen = before_call(op_sync, fd, NULL);
    const int result = real_fsync(fd);
    after_call(chosen);
    return result;
}

int fdatasync(int fd) {
    REAL(sync_fn, fdatasync)
    const int chosen = before_call(op_sync, fd, NULL);
    const int result = real_fdatasync(fd);
    after_call(chosen);
    return result;
}

int rename(const char *old_path, const char *new_path) {
    REAL(rename_fn, rename)
    const int chosen = before_call(op_rename, -1, new_path);
    const int result = real_rename(old_path, new_path);
    after_call(chosen);
    return result;
}

int renameat(int old_dir, const char *old_path, int new_dir, const char *new_path) {
    REAL(renameat_fn, renameat)
    const int chosen = before_call(op_rename, -1, new_path);
    const int result = real_renameat(old_dir, old_path, new_dir, new_path);
    after_call(chosen);
    return result;
}

int renameat2(int old_dir, const char *old_path, int new_dir, const char *new_path,
              unsigned int flags) {
    REAL(renameat2_fn, renameat2)
    const int chosen = before_call(op_rename, -1, new_path);
    const int result = real_renameat2(old_dir, old_path, new_dir, new_path, flags);
    after_call(chosen);
    return result;
}

__attribute__((destructor)) static void write_trace(void) {
    initialise();
    if (!trace_path) return;
    REAL(write_fn, write)
    const int fd = open(trace_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) fatal("cannot create the CRASH_SHIM_TRACE file");
    const char *text = trace_overflowed ? "overflow" : trace;
    size_t left = trace_overflowed ? strlen(text) : counted;
    while (left > 0) {
        const ssize_t written = real_write(fd, text, left);
        if (written <= 0) fatal("cannot write the CRASH_SHIM_TRACE file");
        text += written;
        left -= (size_t)written;
    }
    if (real_write(fd, "\n", 1) != 1 || close(fd) != 0) fatal("cannot write the CRASH_SHIM_TRACE file");
}
