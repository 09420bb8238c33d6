#pragma once
// claimreg's error hierarchy. Library code throws these; the command line's main()
// is the one place that turns them into exit statuses. Messages never carry personal
// data: they name a line number and a field instead.

#include <stdexcept>
#include <string>

namespace claimreg {

/// Process exit statuses (sysexits.h values where one fits).
enum class ExitStatus : int {
    ok = 0,
    ineligible = 1,   ///< a single verdict: ineligible
    review = 2,       ///< a single verdict: review
    usage = 64,       ///< bad command line, or a destructive command without --force
    data = 65,        ///< bad input data
    no_input = 66,    ///< missing input file, registry or claimant id
    internal = 70,    ///< a bug
    cant_create = 73, ///< cannot create an output file
    io = 74,          ///< an I/O error
    busy = 75,        ///< registry busy: retry later
};

/// Base of every error claimreg reports; carries its exit status.
class Error : public std::runtime_error {
  public:
    Error(const std::string& message, ExitStatus status)
        : std::runtime_error(message), status_(status) {}
    ExitStatus status() const noexcept { return status_; }

  private:
    ExitStatus status_;
};

/// A command-line usage error (64).
class UsageError : public Error {
  public:
    explicit UsageError(const std::string& m) : Error(m, ExitStatus::usage) {}
};

/// A value the caller chose that is not one the library knows (an unknown rule set, group or
/// format; a malformed date-time): the message names the kind of value and what is accepted,
/// never the value or an option. The command line adds the option's name (cli::parse_option).
class ValueError : public Error {
  public:
    explicit ValueError(const std::string& m) : Error(m, ExitStatus::usage) {}
};

/// Input data that breaks a rule (65).
class DataError : public Error {
  public:
    explicit DataError(const std::string& m) : Error(m, ExitStatus::data) {}
};

/// A value that breaks one field rule; the message is the rule only (no value, no field).
class RuleError : public DataError {
  public:
    explicit RuleError(const std::string& rule) : DataError(rule) {}
};

/// A missing input file, registry or claimant (66).
class NotFoundError : public Error {
  public:
    explicit NotFoundError(const std::string& m) : Error(m, ExitStatus::no_input) {}
};

/// An output file that cannot be created (73).
class CannotCreateError : public Error {
  public:
    explicit CannotCreateError(const std::string& m) : Error(m, ExitStatus::cant_create) {}
};

/// An input/output failure (74).
class IoError : public Error {
  public:
    explicit IoError(const std::string& m) : Error(m, ExitStatus::io) {}
};

/// The registry is locked by another writer past the busy timeout (75).
class BusyError : public Error {
  public:
    explicit BusyError(const std::string& m) : Error(m, ExitStatus::busy) {}
};

/// Text for an errno value, safe to show (no personal data).
std::string errno_text(int errnum);

} // namespace claimreg
