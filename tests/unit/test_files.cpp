#include <doctest/doctest.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "claimreg/error.hpp"
#include "claimreg/files.hpp"

namespace test_files {

using namespace claimreg;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// Names in `dir` other than . and ..
std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

struct TempDir {
    std::string path;
    TempDir() {
        char tmpl[] = "/tmp/claimreg-files-XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        for (const auto& name : entries(path)) ::unlink((path + "/" + name).c_str());
        ::rmdir(path.c_str());
    }
};

using Handler = void (*)(int);

Handler handler_of(int sig) {
    struct sigaction now {};
    REQUIRE(::sigaction(sig, nullptr, &now) == 0);
    return now.sa_handler;
}

void set_handler(int sig, Handler handler) {
    struct sigaction action {};
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    REQUIRE(::sigaction(sig, &action, nullptr) == 0);
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

TEST_CASE("files: RemoveOnSignal keeps ignored signals ignored and restores the others") {
    set_handler(SIGHUP, SIG_IGN);
    set_handler(SIGTERM, SIG_DFL);
    set_handler(SIGINT, SIG_DFL);
    {
        const RemoveOnSignal guard("/nonexistent/claimreg-test");
        CHECK((handler_of(SIGHUP) == SIG_IGN));
        CHECK((handler_of(SIGTERM) != SIG_DFL));
        CHECK((handler_of(SIGTERM) != SIG_IGN));
        CHECK((handler_of(SIGINT) == handler_of(SIGTERM)));
        {
            const RemoveOnSignal nested("/nonexistent/claimreg-test-2");
            CHECK((handler_of(SIGHUP) == SIG_IGN));
        }
        CHECK((handler_of(SIGTERM) != SIG_DFL)); // the outer guard still holds
    }
    CHECK((handler_of(SIGHUP) == SIG_IGN));
    CHECK((handler_of(SIGTERM) == SIG_DFL));
    CHECK((handler_of(SIGINT) == SIG_DFL));
    set_handler(SIGHUP, SIG_DFL);
}

TEST_CASE("files: RemoveOnSignal removes every guarded file, then the signal ends the process") {
    TempDir dir;
    const std::string first = dir.path + "/first";
    const std::string second = dir.path + "/second";
    write_file(first, "1");
    write_file(second, "2");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        const RemoveOnSignal guard_first(first);
        const RemoveOnSignal guard_second(second);
        ::raise(SIGTERM);
        ::_exit(0); // not reached
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGTERM);
    CHECK(!exists(first));
    CHECK(!exists(second));
}

TEST_CASE("files: OutputFile replaces a regular file on commit, mode 0600, nothing left") {
    TempDir dir;
    const std::string target = dir.path + "/out.csv";
    write_file(target, "old contents");
    ::chmod(target.c_str(), 0644);
    {
        OutputFile file(target, {});
        CHECK(!file.direct());
        std::fputs("new contents", file.get());
        CHECK(read_file(target) == "old contents"); // untouched until commit
        CHECK(entries(dir.path).size() == 2);
        file.commit();
    }
    CHECK(read_file(target) == "new contents");
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(entries(dir.path) == std::vector<std::string>{"out.csv"});
}

TEST_CASE("files: OutputFile not committed leaves the old file and no temporary file") {
    TempDir dir;
    const std::string target = dir.path + "/out.csv";
    write_file(target, "old contents");
    {
        OutputFile file(target, {});
        std::fputs("half written", file.get());
    }
    CHECK(read_file(target) == "old contents");
    { const OutputFile never_written(dir.path + "/new.csv", {}); }
    CHECK(entries(dir.path) == std::vector<std::string>{"out.csv"});
}

TEST_CASE("files: OutputFile replaces a symlink's target and keeps the link") {
    TempDir dir;
    write_file(dir.path + "/target.csv", "old");
    REQUIRE(::symlink("target.csv", (dir.path + "/link.csv").c_str()) == 0);
    REQUIRE(::symlink("link.csv", (dir.path + "/chain.csv").c_str()) == 0);
    REQUIRE(::symlink("made.csv", (dir.path + "/dangling.csv").c_str()) == 0);
    for (const char* name : {"/chain.csv", "/dangling.csv"}) {
        OutputFile file(dir.path + name, {});
        std::fputs("new", file.get());
        file.commit();
    }
    CHECK(read_file(dir.path + "/target.csv") == "new");
    CHECK(read_file(dir.path + "/made.csv") == "new");
    struct stat st {};
    REQUIRE(::lstat((dir.path + "/link.csv").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    REQUIRE(::lstat((dir.path + "/dangling.csv").c_str(), &st) == 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK(entries(dir.path) == std::vector<std::string>{"chain.csv", "dangling.csv", "link.csv",
                                                        "made.csv", "target.csv"});
}

TEST_CASE("files: OutputFile writes to a FIFO, a character device or a descriptor directly") {
    TempDir dir;
    const std::string fifo = dir.path + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
    REQUIRE(reader >= 0);
    {
        OutputFile file(fifo, {});
        CHECK(file.direct());
        std::fputs("through", file.get());
        file.commit();
    }
    std::array<char, 16> got{};
    CHECK(::read(reader, got.data(), got.size()) == 7);
    CHECK(std::string(got.data()) == "through");
    ::close(reader);
    struct stat st {};
    REQUIRE(::lstat(fifo.c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
    // (Not /dev/null or /dev/stdout themselves: a broken build running as root would replace them.)
    for (const char* name : {"/dev/fd/1", "/proc/self/fd/1"}) {
        OutputFile file(name, {});
        CHECK(file.direct());
        file.commit();
    }
    const std::string device = dir.path + "/null";
    if (::mknod(device.c_str(), S_IFCHR | 0600, ::makedev(1, 3)) == 0 &&
        ::chmod(device.c_str(), 0666) == 0) { // as root
        {
            OutputFile file(device, {});
            CHECK(file.direct());
            std::fputs("discarded", file.get());
            file.commit();
        }
        REQUIRE(::lstat(device.c_str(), &st) == 0);
        CHECK(S_ISCHR(st.st_mode));
        CHECK((st.st_mode & 07777) == 0666);
        ::unlink(device.c_str());
    }
    CHECK(entries(dir.path) == std::vector<std::string>{"fifo"});
}

TEST_CASE("files: OutputFile refuses the registry, its companions and the input by name") {
    TempDir dir;
    const std::string registry = dir.path + "/reg.db";
    const std::string input = dir.path + "/in.csv";
    write_file(input, "input");
    const int input_fd = ::open(input.c_str(), O_RDONLY);
    REQUIRE(input_fd >= 0);
    const OutputGuard guard{registry, input_fd};
    // The registry does not exist yet: refused by its resolved path.
    CHECK_THROWS_WITH_AS(OutputFile(registry, guard), "the output is the registry itself",
                         GuardedFileError);
    CHECK_THROWS_WITH_AS(OutputFile(dir.path + "/./reg.db-wal", guard),
                         "the output is a file of the registry (its -wal)", GuardedFileError);
    CHECK_THROWS_WITH_AS(OutputFile(input, guard), "the output is the input file",
                         GuardedFileError);
    try {
        const OutputFile refused(dir.path + "/reg.db-shm", guard);
        FAIL("not refused");
    } catch (const GuardedFileError& e) {
        CHECK(e.file() == "a file of the registry (its -shm)");
        CHECK(e.status() == ExitStatus::usage);
    }
    write_file(registry, "registry");
    REQUIRE(::link(registry.c_str(), (dir.path + "/hard.db").c_str()) == 0);
    CHECK_THROWS_WITH_AS(OutputFile(dir.path + "/hard.db", guard),
                         "the output is the registry itself", GuardedFileError);
    ::close(input_fd);
    CHECK(read_file(registry) == "registry");
    CHECK(read_file(input) == "input");
    CHECK(entries(dir.path) == std::vector<std::string>{"hard.db", "in.csv", "reg.db"});
}

TEST_CASE("files: OutputFile cannot create in a missing directory, over a directory, in a loop") {
    TempDir dir;
    REQUIRE(::symlink("loop", (dir.path + "/loop").c_str()) == 0);
    CHECK_THROWS_AS(OutputFile(dir.path + "/missing/out.csv", {}), CannotCreateError);
    CHECK_THROWS_AS(OutputFile(dir.path, {}), CannotCreateError);
    CHECK_THROWS_AS(OutputFile(dir.path + "/", {}), CannotCreateError);
    CHECK_THROWS_AS(OutputFile(dir.path + "/loop", {}), CannotCreateError);
    CHECK_THROWS_AS(OutputFile("/dev/fd/200", {}), CannotCreateError);
    CHECK(entries(dir.path) == std::vector<std::string>{"loop"});
}

TEST_CASE("files: a path's directory and name, as written") {
    CHECK(directory_part("out/a.csv") == "out/");
    CHECK(name_part("out/a.csv") == "a.csv");
    CHECK(directory_part("/a.csv") == "/");
    CHECK(name_part("/a.csv") == "a.csv");
    CHECK(directory_part("a.csv").empty());
    CHECK(name_part("a.csv") == "a.csv");
    CHECK(directory_part("a/b/") == "a/b/");
    CHECK(name_part("a/b/").empty());
}

TEST_CASE("files: create_private_file makes an empty 0600 file and leaves one that is there") {
    TempDir dir;
    const std::string path = dir.path + "/reg.db";
    create_private_file(path);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK(st.st_size == 0);
    write_file(path, "kept");
    create_private_file(path);
    CHECK(read_file(path) == "kept");
    CHECK_THROWS_WITH_AS(create_private_file(dir.path + "/missing/reg.db", "registry r.db"),
                         "cannot create registry r.db: No such file or directory",
                         CannotCreateError);
    const std::string by_path = "cannot create " + dir.path + "/missing/x: No such file or directory";
    CHECK_THROWS_WITH_AS(create_private_file(dir.path + "/missing/x"), by_path.c_str(),
                         CannotCreateError);
}

} // namespace test_files
