// claimreg export: claimants to CSV, JSON, NDJSON or an xlsx workbook, on stdout or atomically
// into a file, optionally encrypted with OpenPGP.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <memory>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/encryption.hpp"
#include "claimreg/exporter.hpp"
#include "claimreg/files.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ExportCliOptions {
    std::string format = "csv";
    std::string output;
    std::string delimiter;
    bool bom = false;
    std::vector<std::string> verdicts;
    std::string since;
    bool include_withdrawn = false;
    bool pseudonymize = false;
    std::vector<std::string> encrypt_to;
    std::vector<std::string> trust_keys;
    bool armor = false;
};

// `1st`, `2nd`, `3rd`, `4th` ... `11th`, `21st`.
std::string ordinal(std::size_t n) {
    const std::size_t tens = n % 100;
    const char* suffix = "th";
    if (tens < 11 || tens > 13) {
        switch (n % 10) {
        case 1: suffix = "st"; break;
        case 2: suffix = "nd"; break;
        case 3: suffix = "rd"; break;
        default: break;
        }
    }
    return fmt::format("{}{}", n, suffix);
}

// The recipients' keys, checked before anything else; a key's problem named by its option and
// position (`--encrypt-to (2nd): ...`), never by a user id.
std::unique_ptr<Recipients> check_recipients(const ExportCliOptions& opt) {
    if (opt.encrypt_to.empty()) return nullptr;
    EncryptionOptions options;
    options.recipients = opt.encrypt_to;
    options.trusted = opt.trust_keys;
    options.armor = opt.armor;
    try {
        return std::make_unique<Recipients>(options);
    } catch (const KeyError& e) {
        const bool recipient = e.entry() == KeyError::Entry::recipient;
        std::string text = fmt::format("{} ({}): ", recipient ? "--encrypt-to" : "--trust-key",
                                       ordinal(e.index() + 1));
        text += e.what();
        if (!e.pinnable_fingerprint().empty()) {
            text += "; to accept it, pin it with --trust-key " + e.pinnable_fingerprint();
        }
        throw UsageError(text);
    }
}

// Binary OpenPGP on a terminal is noise that can upset it (gpg refuses it too).
void refuse_binary_terminal(const ExportCliOptions& opt, int fd) {
    if (!opt.encrypt_to.empty() && !opt.armor && ::isatty(fd) == 1) {
        throw UsageError("--encrypt-to: binary ciphertext is not written to a terminal; use "
                         "--armor, --output FILE or a pipe");
    }
}

ExportOptions library_options(const ExportCliOptions& opt) {
    ExportOptions options;
    options.format = parse_option("--format", opt.format, parse_export_format);
    if (options.format != ExportFormat::csv && (!opt.delimiter.empty() || opt.bom)) {
        throw UsageError("--delimiter and --bom apply to --format csv only");
    }
    if (!opt.delimiter.empty()) options.delimiter = parse_delimiter(opt.delimiter);
    options.bom = opt.bom;
    for (const std::string& v : opt.verdicts) {
        options.verdicts.push_back(parse_option("--verdict", v, parse_verdict));
    }
    if (!opt.since.empty()) options.since = parse_option("--since", opt.since, parse_since);
    options.include_withdrawn = opt.include_withdrawn;
    options.pseudonymize = opt.pseudonymize;
    return options;
}

// A workbook is binary: on a terminal it is noise that can upset it.
void refuse_workbook_terminal(int fd) {
    if (::isatty(fd) == 1) {
        throw UsageError("--format xlsx: a workbook is binary and not written to a terminal; use "
                         "--output FILE or a pipe");
    }
}

// An unnamed (O_TMPFILE) private file in `dir`: it has no name to find and vanishes with the
// process, however it ends.
int unnamed_temp_file(const std::string& dir) {
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw CannotCreateError(fmt::format("cannot create a temporary file in {}: {}", dir,
                                            errno_text(errno)));
    }
    return fd;
}

// Copies the whole of `fd` to `out` and flushes it.
void copy_to(int fd, std::FILE* out) {
    if (::lseek(fd, 0, SEEK_SET) != 0) throw IoError("cannot read the workbook: " + errno_text(errno));
    std::vector<char> buf(1 << 16);
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw IoError("cannot read the workbook: " + errno_text(errno));
        }
        if (n == 0) break;
        if (std::fwrite(buf.data(), 1, static_cast<std::size_t>(n), out) != static_cast<std::size_t>(n)) {
            throw IoError("cannot write the output: " + errno_text(errno));
        }
    }
    if (std::fflush(out) != 0) throw IoError("cannot write the output: " + errno_text(errno));
}

// A workbook is written by name and assembled in temporary files (libxlsxwriter): into the
// output's own private temporary file when it has one, else (a pipe, a FIFO, a device) into an
// unnamed private file that is then copied to the stream.
void write_workbook(Registry& registry, const ExportOptions& options, std::FILE* out,
                    const OutputFile* file) {
    if (file != nullptr && !file->direct()) {
        export_claimants_xlsx(registry, options, fmt::format("/proc/self/fd/{}", ::fileno(out)),
                              file->directory());
        return;
    }
    const char* tmp = std::getenv("TMPDIR");
    const std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    const int fd = unnamed_temp_file(dir);
    const struct Close {
        int fd;
        ~Close() { ::close(fd); }
    } close{fd};
    export_claimants_xlsx(registry, options, fmt::format("/proc/self/fd/{}", fd), dir);
    copy_to(fd, out);
}

// Writes the export to `out`, through the recipients' encryption when there are any.
void write_export(Registry& registry, const ExportOptions& options, Recipients* recipients,
                  std::FILE* out) {
    if (recipients == nullptr) {
        export_claimants(registry, options, out);
        return;
    }
    recipients->encrypt(out, [&](std::FILE* plain) { export_claimants(registry, options, plain); });
}

ExitStatus run_export(const ExportCliOptions& opt, const GlobalOptions& global) {
    const ExportOptions options = library_options(opt);
    const bool workbook = options.format == ExportFormat::xlsx;
    if (workbook && !opt.encrypt_to.empty()) {
        throw UsageError("--encrypt-to: an xlsx workbook is assembled in temporary files on "
                         "disk, so it cannot be encrypted without plaintext reaching the disk; "
                         "encrypt a csv, json or ndjson export");
    }
    // Keys first: a refused key costs nothing, writes nothing and reads no registry.
    const std::unique_ptr<Recipients> recipients = check_recipients(opt);
    const bool to_stdout = opt.output.empty() || opt.output == "-";
    if (to_stdout && ::fcntl(STDOUT_FILENO, F_GETFL) < 0) {
        throw IoError("cannot write the output: standard output is closed");
    }
    // A closed pipe (`claimreg export | head`) or a file-size limit (ulimit -f) is a write
    // error (74), not a silent death.
    ignore_write_signals();
    if (to_stdout) {
        refuse_binary_terminal(opt, STDOUT_FILENO);
        if (workbook) refuse_workbook_terminal(STDOUT_FILENO);
        Registry registry(global.db, OpenMode::read, global.registry_options());
        if (workbook) {
            write_workbook(registry, options, stdout, nullptr);
        } else {
            write_export(registry, options, recipients.get(), stdout);
        }
        return ExitStatus::ok;
    }
    // Checked and created before the registry is read: a refused path costs nothing.
    OutputFile file = open_output(
        "--output", [&] { return OutputFile(opt.output, OutputGuard{global.db, -1}); });
    refuse_binary_terminal(opt, ::fileno(file.get()));
    if (workbook) refuse_workbook_terminal(::fileno(file.get()));
    Registry registry(global.db, OpenMode::read, global.registry_options());
    if (workbook) {
        write_workbook(registry, options, file.get(), &file);
    } else {
        write_export(registry, options, recipients.get(), file.get());
    }
    file.commit();
    return ExitStatus::ok;
}

} // namespace

void setup_export(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ExportCliOptions>();
    auto* cmd = app.add_subcommand("export", "Write claimants as CSV, JSON or NDJSON, to stdout or a file");
    cmd->add_option("--format", opt->format, "csv, json (one array), ndjson (one object a line) or xlsx (a workbook)")
        ->type_name("FORMAT")
        ->group("Output");
    cmd->add_option("-o,--output", opt->output,
                    "Write FILE atomically, mode 0600; a symlink's target is replaced, a FIFO or "
                    "/dev/stdout written to (default: - for stdout)")
        ->type_name("FILE")
        ->group("Output");
    cmd->add_flag("--pseudonymize", opt->pseudonymize,
                  "Only the non-identifying columns (below): no names, e-mail, phone, house "
                  "number or references")
        ->group("Output");
    cmd->add_option("--delimiter", opt->delimiter, "CSV field delimiter: , ; or tab (default ,)")
        ->type_name("CHAR")
        ->group("CSV");
    cmd->add_flag("--bom", opt->bom, "Start with a UTF-8 byte order mark (for Excel)")->group("CSV");
    cmd->add_option("--verdict", opt->verdicts,
                    "Only this verdict: eligible, ineligible or review (repeatable)")
        ->type_name("VERDICT")
        ->default_str("")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->delimiter(',')
        ->group("Filters");
    cmd->add_option("--since", opt->since,
                    "Only claimants added or changed at or after this time: YYYY-MM-DD (00:00 "
                    "UTC) or YYYY-MM-DDTHH:MM:SS with Z or an offset (+01:00)")
        ->type_name("WHEN")
        ->group("Filters");
    cmd->add_flag("--include-withdrawn", opt->include_withdrawn,
                  "Also withdrawn and opted-out claimants (excluded by default)")
        ->group("Filters");
    auto* encrypt_to =
        cmd->add_option("--encrypt-to", opt->encrypt_to,
                        "Encrypt with OpenPGP to this key of the keyring (GNUPGHOME): a key id, "
                        "fingerprint or e-mail address (repeatable: one per recipient)")
            ->type_name("KEY")
            ->default_str("")
            ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
            ->group("Encryption");
    cmd->add_flag("--armor", opt->armor, "ASCII-armored ciphertext instead of binary")
        ->needs(encrypt_to)
        ->group("Encryption");
    cmd->add_option("--trust-key", opt->trust_keys,
                    "Accept this recipient key although the keyring does not hold it valid "
                    "(imported, never certified): its full fingerprint (repeatable)")
        ->type_name("FPR")
        ->default_str("")
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
        ->needs(encrypt_to)
        ->group("Encryption");
    cmd->footer(
        "Columns: the import's canonical fields, then id, state, verdict, reasons, age_band,\n"
        "rule_set, checked_at, source; JSON keys are the same names. --pseudonymize: id,\n"
        "birth_year, postcode_digits, country, platform, first_use, last_use, state, verdict,\n"
        "reasons, age_band, registered_on. CSV is RFC 4180 with CRLF line ends; a cell a\n"
        "spreadsheet would run as a formula gets a leading apostrophe (import-csv removes it),\n"
        "so an exported CSV re-imports as the same claimants. Withdrawn and opted-out\n"
        "claimants are left out unless --include-withdrawn. Silent on success.\n\n"
        "--encrypt-to streams the export into OpenPGP encryption (GnuPG, not compressed):\n"
        "only ciphertext reaches the disk. Every key is checked first; an unknown,\n"
        "ambiguous, expired, revoked or encryption-incapable key, or one the keyring does\n"
        "not hold valid and no --trust-key pins, is a usage error and nothing is written.\n"
        "Binary ciphertext is not written to a terminal.\n\n"
        "--format xlsx writes a workbook (libxlsxwriter, constant memory): ids and numbers as\n"
        "numbers, dates as date cells (yyyy-mm-dd), every other value as text, never a\n"
        "formula; a bold frozen header with an autofilter; a new worksheet every 1,048,575\n"
        "rows. It is assembled in unnamed private temporary files (in the output's directory,\n"
        "or TMPDIR for a pipe), so it is not written to a terminal and not with --encrypt-to.\n\n"
        "Exit status: 0 ok, 64 usage error (also a bad --since, --output naming the\n"
        "registry, or a refused key), 66 missing registry, 73 cannot create the output file,\n"
        "74 write or encryption error (disk full, closed pipe, gpg failed), 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg export --verdict eligible --bom --delimiter ';' -o eligible.csv\n"
        "  claimreg export --since 2024-06-01T00:00:00+02:00 --format ndjson -o changes.ndjson\n"
        "  claimreg export --pseudonymize --format json > research.json\n"
        "  claimreg export --encrypt-to lawyer@example.nl --encrypt-to 0x1234ABCD5678EF90 \\\n"
        "      -o eligible.csv.gpg");
    cmd->callback([opt, &global, &out] { out.status = run_export(*opt, global); });
}

} // namespace claimreg::cli
