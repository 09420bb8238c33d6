#include "app.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <sstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "claimreg/version.hpp"
#include "output.hpp"
#include "render.hpp"

namespace claimreg::cli {

namespace {

constexpr const char* exit_status_footer = R"(Exit status:
  0   ok (check-eligibility of one claimant: eligible)
  1   check-eligibility: ineligible
  2   check-eligibility: review
  64  usage error
  65  bad input data (rows or fields rejected)
  66  missing input file, registry or claimant id
  70  internal error
  73  cannot create output file
  74  I/O error
  75  registry busy: retry later)";

// ---- CLI11's errors, said without the values typed ---------------------------------------------
// CLI11's messages quote what was typed (`The following argument was not expected: Jan`). The
// messages below are built from claimreg's own option names, positions and counts only.

// Where `name` first occurs in `text` as a whole word (bounded by the ends, a space, `:`, `=`
// or `,`), or npos.
std::size_t word_position(std::string_view text, std::string_view name) {
    for (std::size_t at = text.find(name); at != std::string_view::npos;
         at = text.find(name, at + 1)) {
        const std::size_t end = at + name.size();
        const bool starts = at == 0 || text[at - 1] == ' ';
        const bool ends = end == text.size() || text[end] == ' ' || text[end] == ':' ||
                          text[end] == '=' || text[end] == ',';
        if (starts && ends) return at;
    }
    return std::string_view::npos;
}

// The subcommand being parsed when the error came (or the application itself).
CLI::App& current_command(CLI::App& app) {
    const std::vector<CLI::App*> parsed = app.get_subcommands();
    return parsed.empty() ? app : *parsed.back();
}

// `see 'claimreg CMD --help'` for the command whose option the message names (a global option:
// the application's help), else for the command being parsed.
std::string help_hint(CLI::App& app, std::string_view message) {
    CLI::App* owner = &current_command(app);
    if (owner != &app) {
        for (CLI::Option* opt : app.get_options()) {
            const std::string name = opt->get_name();
            if (!name.empty() && word_position(message, name) != std::string_view::npos &&
                owner->get_option_no_throw(name) == nullptr) {
                owner = &app;
            }
        }
    }
    CLI::App& cmd = *owner;
    return &cmd == &app ? "see 'claimreg --help'"
                        : fmt::format("see 'claimreg {} --help'", cmd.get_name());
}

// The options of the current command and of the application that CLI11's message names, in the
// order it names them. Only their names (claimreg's own text) are used, never the message.
std::vector<CLI::Option*> named_options(CLI::App& app, std::string_view message) {
    std::vector<std::pair<std::size_t, CLI::Option*>> found;
    for (CLI::App* cmd : {&current_command(app), &app}) {
        for (CLI::Option* opt : cmd->get_options()) {
            const std::string name = opt->get_name();
            if (name.empty()) continue;
            const std::size_t at = word_position(message, name);
            if (at == std::string_view::npos) continue;
            if (std::none_of(found.begin(), found.end(),
                             [&](const auto& f) { return f.second->get_name() == name; })) {
                found.emplace_back(at, opt);
            }
        }
    }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first
                                  : a.second->get_name().size() > b.second->get_name().size();
    });
    std::vector<CLI::Option*> options;
    for (const auto& f : found)
        options.push_back(f.second);
    return options;
}

bool is_flag(const CLI::Option& opt) {
    return opt.get_expected_max() == 0;
}

// An unknown option's name when it cannot be a value: `--` and lower-case letters, digits and
// dashes (the text before any `=`; what follows `=` is never shown), or `-` and one letter.
std::optional<std::string_view> safe_option_name(std::string_view arg) {
    const std::string_view name = arg.substr(0, arg.find('='));
    const auto lower = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    };
    if (name.size() >= 3 && name.size() <= 40 && name.starts_with("--") && name[2] >= 'a' &&
        name[2] <= 'z' && std::all_of(name.begin() + 2, name.end(), lower)) {
        return name;
    }
    if (name.size() == 2 && name[0] == '-' && std::isalpha(static_cast<unsigned char>(name[1]))) {
        return name;
    }
    return std::nullopt;
}

// Which command-line argument (1 = the first after `claimreg`) each left-over word was; the last
// unused match, since left-over words tend to follow the ones CLI11 took.
std::vector<std::optional<int>> positions(const std::vector<std::string>& words,
                                          const std::vector<std::string_view>& args) {
    std::vector<bool> used(args.size(), false);
    std::vector<std::optional<int>> at;
    for (const std::string& w : words) {
        std::optional<int> found;
        for (std::size_t i = args.size(); i-- > 0;) {
            if (!used[i] && args[i] == w) {
                used[i] = true;
                found = static_cast<int>(i) + 1;
                break;
            }
        }
        at.push_back(found);
    }
    return at;
}

std::string number_list(const std::vector<int>& numbers) {
    std::string text;
    for (const int n : numbers)
        text += fmt::format("{}{}", text.empty() ? "" : ", ", n);
    return text;
}

// Arguments nothing took: unknown options (named when safe) and words beyond what the command
// takes, by position and count; a first word that is no command is an unknown command.
std::string extras_message(CLI::App& app, const std::vector<std::string_view>& args) {
    const std::vector<std::string> words = app.remaining(true);
    const std::vector<std::optional<int>> at = positions(words, args);
    bool command_expected = app.get_subcommands().empty();
    std::vector<std::string> parts;
    std::vector<int> extra_at;
    std::size_t extra = 0;
    for (std::size_t i = 0; i < words.size(); ++i) {
        const std::string& w = words[i];
        const std::string where = at[i] ? fmt::format(" (argument {})", *at[i]) : std::string();
        if (w.size() > 1 && w[0] == '-' && !std::isdigit(static_cast<unsigned char>(w[1]))) {
            const auto name = safe_option_name(w);
            parts.push_back(fmt::format("unknown option{}{}{}", name ? " " : "",
                                        name ? *name : std::string_view(), where));
        } else if (command_expected) {
            parts.push_back("unknown command" + where);
            command_expected = false;
        } else {
            ++extra;
            if (at[i]) extra_at.push_back(*at[i]);
        }
    }
    if (extra > 0) {
        std::sort(extra_at.begin(), extra_at.end());
        std::string where;
        if (!extra_at.empty()) {
            where = fmt::format(" (argument{} {})", extra_at.size() > 1 ? "s" : "",
                                number_list(extra_at));
        }
        parts.push_back(
            fmt::format("{} unexpected argument{}{}", extra, extra > 1 ? "s" : "", where));
    }
    if (parts.empty()) parts.emplace_back("unexpected arguments");
    std::string text;
    for (const std::string& p : parts)
        text += (text.empty() ? "" : "; ") + p;
    return text;
}

// Why a value failed its option's check: the check's own text (claimreg's validators never put
// the value in it), with the value's position on the command line when it can be told.
std::string validation_message(CLI::Option& opt, const std::string& message,
                               const std::vector<std::string_view>& args) {
    const std::string name = opt.get_name();
    std::string reason =
        message.size() > name.size() + 2 ? message.substr(name.size() + 2) : std::string();
    const std::vector<std::string>& values = opt.results();
    std::optional<std::size_t> failing;
    for (std::size_t i = 0; i < values.size() && !failing; ++i) {
        for (int v = 0;; ++v) {
            CLI::Validator* check = nullptr;
            try {
                check = opt.get_validator(v);
            } catch (const CLI::OptionNotFound&) {
                break;
            }
            std::string value = values[i];
            if (!(*check)(value).empty()) {
                failing = i;
                break;
            }
        }
    }
    // A check of CLI11's own may show the value: then say less.
    for (const std::string& v : values) {
        if (v.size() > 1 && reason.find(v) != std::string::npos) reason.clear();
    }
    if (reason.empty()) reason = "not a valid value";
    // The option's values appear on the command line in order: match them up.
    std::optional<std::size_t> position;
    for (std::size_t i = 0, j = 0; failing && i < args.size() && j < values.size(); ++i) {
        if (args[i] != values[j]) continue;
        if (j == *failing) position = i + 1;
        ++j;
    }
    if (position) return fmt::format("{} (argument {}): {}", name, *position, reason);
    return fmt::format("{}: {}", name, reason);
}

std::string parse_error_message(CLI::App& app, const CLI::ParseError& e,
                                const std::vector<std::string_view>& args) {
    const std::string message = e.what();
    const std::vector<CLI::Option*> options = named_options(app, message);
    CLI::Option* const opt = options.empty() ? nullptr : options.front();
    const std::string name = opt ? opt->get_name() : std::string("an option");
    if (dynamic_cast<const CLI::ExtrasError*>(&e)) return extras_message(app, args);
    if (dynamic_cast<const CLI::ValidationError*>(&e)) {
        return opt ? validation_message(*opt, message, args) : "an option's value is not valid";
    }
    if (dynamic_cast<const CLI::ConversionError*>(&e)) {
        return fmt::format("{}: {}", name,
                           opt && is_flag(*opt) ? "takes no value" : "not a valid value");
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e)) {
        if (opt && is_flag(*opt)) return name + ": takes no value";
        const auto says = [&](const char* words) {
            return message.find(words) != std::string::npos;
        };
        const char* problem = says("missing") || says("least") ? "a value is missing"
                              : says("Most")                   ? "too many values"
                                                               : "wrong number of values";
        return fmt::format("{}: {}", name, problem);
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e)) {
        return opt ? name + " is required" : std::string("a required option or command is missing");
    }
    if (dynamic_cast<const CLI::RequiresError*>(&e)) {
        return options.size() >= 2 ? fmt::format("{} requires {}", name, options[1]->get_name())
                                   : std::string("an option needs another one");
    }
    if (dynamic_cast<const CLI::ExcludesError*>(&e)) {
        return options.size() >= 2
                   ? fmt::format("{} and {} cannot be given together", name, options[1]->get_name())
                   : std::string("two options cannot be given together");
    }
    if (dynamic_cast<const CLI::InvalidError*>(&e)) return "too many arguments";
    if (dynamic_cast<const CLI::FileError*>(&e) || dynamic_cast<const CLI::ConfigError*>(&e)) {
        return "cannot read the configuration";
    }
    return "the command line cannot be parsed"; // HorribleError, RuntimeError, later kinds
}

// The one place CLI11's errors become claimreg's: usage errors (64) that name options,
// positions and counts but never a typed value; CLI11 errors that are not parse errors (an
// option looked up that was never defined) are internal errors (70).
Error translate(CLI::App& app, const CLI::Error& e, const std::vector<std::string_view>& args) {
    const auto* parse = dynamic_cast<const CLI::ParseError*>(&e);
    if (parse == nullptr) {
        return Error("internal error: the command line is defined wrongly", ExitStatus::internal);
    }
    std::string text = parse_error_message(app, *parse, args);
    const std::string hint = dynamic_cast<const CLI::ExtrasError*>(parse)
                                 ? help_hint(app, "")
                                 : help_hint(app, e.what());
    // `unknown option (argument 2; see ...)`: one parenthesis, when the text ends with a position.
    const std::size_t position = text.rfind(" (argument");
    if (text.ends_with(')') && text.find(';') == std::string::npos &&
        position != std::string::npos && text.rfind('(') == position + 1) {
        text.insert(text.size() - 1, "; " + hint);
    } else {
        text += " (" + hint + ")";
    }
    return UsageError(text);
}

} // namespace

RegistryOptions GlobalOptions::registry_options() const {
    RegistryOptions options;
    options.busy_timeout_ms = busy_timeout_ms;
    if (!quiet) {
        options.on_notice = [](const std::string& text) { fmt::print(stderr, "claimreg: {}\n", text); };
    }
    return options;
}

ExitStatus run(int argc, char** argv) {
    CLI::App app{"claimreg: the claimant registry of the TikTok mass claim for children in the "
                 "Netherlands",
                 "claimreg"};
    GlobalOptions global;
    Outcome outcome;

    app.set_version_flag("--version",
                         fmt::format("claimreg {} (SQLite {})", version, sqlite_version()));
    app.footer(exit_status_footer);
    app.require_subcommand(0, 1);
    app.fallthrough();
    app.option_defaults()->always_capture_default()->multi_option_policy(
        CLI::MultiOptionPolicy::TakeLast);

    app.add_option("--db", global.db, "Registry file (env CLAIMREG_DB)")
        ->envname("CLAIMREG_DB")
        ->type_name("PATH");
    app.add_flag("-q,--quiet", global.quiet, "Print nothing on stderr but errors");
    app.add_option("--busy-timeout", global.busy_timeout_ms,
                   "Wait this long for another writer, then exit 75")
        ->type_name("MS")
        ->check(milliseconds_validator());

    setup_add(app, global, outcome);
    setup_import_csv(app, global, outcome);
    setup_import_xlsx(app, global, outcome);
    setup_check_eligibility(app, global, outcome);
    setup_export(app, global, outcome);
    setup_stats(app, global, outcome);
    setup_report(app, global, outcome);
    setup_duplicates(app, global, outcome);
    setup_show(app, global, outcome);
    setup_update(app, global, outcome);
    setup_withdraw(app, global, outcome);
    setup_erase(app, global, outcome);
    setup_link(app, global, outcome);
    setup_distinct(app, global, outcome);
    setup_unlink(app, global, outcome);
    setup_resolve(app, global, outcome);
    setup_signals(app, global, outcome);
    setup_migrate(app, global, outcome);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        // --help or --version, through std::cout (on stdout): not written is an error, as for
        // every command's output.
        std::ostringstream text;
        app.exit(e, text);
        write_stdout(text.str());
        return ExitStatus::ok;
    } catch (const CLI::Error& e) {
        const std::vector<std::string_view> args(argv + std::min(argc, 1), argv + argc);
        throw translate(app, e, args);
    }
    if (app.get_subcommands().empty()) {
        fmt::print(stderr, "{}", app.help());
        throw UsageError("no command given");
    }
    return outcome.status;
}

} // namespace claimreg::cli
