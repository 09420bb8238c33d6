// claimreg report: the registry's aggregate figures as one self-contained HTML page.

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include <fmt/format.h>

#include "app.hpp"
#include "claimreg/clock.hpp"
#include "claimreg/files.hpp"
#include "claimreg/report.hpp"
#include "output.hpp"

namespace claimreg::cli {

namespace {

struct ReportCliOptions {
    std::string output;
    std::string rules;
    std::string as_of;
    std::string min_count = "10";
};

ReportOptions library_options(const ReportCliOptions& opt) {
    ReportOptions options;
    if (!opt.rules.empty() || !opt.as_of.empty()) {
        ReportOptions::Evaluation evaluation;
        evaluation.rules = opt.rules.empty() ? &default_rule_set()
                                             : &parse_option("--rules", opt.rules, find_rule_set);
        evaluation.as_of = opt.as_of.empty() ? today() : [&] {
            try {
                return parse_date(opt.as_of);
            } catch (const RuleError& e) {
                throw UsageError(fmt::format("--as-of: {}", e.what()));
            }
        }();
        options.evaluate = evaluation;
    }
    const char* end = opt.min_count.data() + opt.min_count.size();
    const auto [at, ec] = std::from_chars(opt.min_count.data(), end, options.min_count);
    if (opt.min_count.empty() || ec != std::errc() || at != end || options.min_count > 1000000) {
        throw UsageError("--min-count: not a whole number from 0 to 1000000");
    }
    return options;
}

void write_all(std::FILE* file, std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), file) != text.size() || std::fflush(file) != 0) {
        throw IoError(fmt::format("cannot write the report: {}", errno_text(errno)));
    }
}

ExitStatus run_report(const ReportCliOptions& opt, const GlobalOptions& global) {
    const ReportOptions options = library_options(opt);
    ignore_write_signals();
    const bool to_stdout = opt.output.empty() || opt.output == "-";
    // Checked and created before the registry is read: a refused path costs nothing.
    std::unique_ptr<OutputFile> file;
    if (!to_stdout) {
        file = open_output("--output", [&] {
            return std::make_unique<OutputFile>(opt.output, OutputGuard{global.db, -1});
        });
    }
    Registry registry(global.db, OpenMode::read, global.registry_options());
    const std::string html =
        render_report_html(gather_report(registry, options), options.min_count, today());
    write_all(to_stdout ? stdout : file->get(), html);
    if (file) file->commit();
    return ExitStatus::ok;
}

} // namespace

void setup_report(CLI::App& app, const GlobalOptions& global, Outcome& out) {
    auto opt = std::make_shared<ReportCliOptions>();
    auto* cmd = app.add_subcommand(
        "report", "Write the registry's figures as one self-contained HTML page with charts");
    cmd->add_option("-o,--output", opt->output,
                    "Write FILE atomically, mode 0600 (default: - for stdout)")
        ->type_name("FILE");
    cmd->add_option("--rules", opt->rules,
                    "Evaluate every active claimant afresh under this rule set for the report")
        ->type_name("RULES");
    cmd->add_option("--as-of", opt->as_of,
                    "Evaluate as of this date for the report (default with --rules: today)")
        ->type_name("DATE");
    cmd->add_option("--min-count", opt->min_count,
                    "Show counts from 1 to N-1 as <N (default 10; 0 or 1 hides nothing)")
        ->type_name("N");
    cmd->footer(
        "The page (Dutch, language nl) holds the headline figures (active claimants,\n"
        "eligible, in review, claimed EUR, as-of date, rule set), registrations per week\n"
        "(cumulative), age bands with claimed EUR, verdicts and reason codes, platform,\n"
        "postcode areas (first two digits), linked registrations and the imports from the\n"
        "audit trail: counts of active claimants only, never a name, e-mail, reference or\n"
        "file name. Small counts are shown as <N; where a hidden count could be worked out\n"
        "from a chart's total, the next smallest is hidden too. Charts are inline SVG, each\n"
        "with its numbers in a table; no script, font or image is loaded. Without --rules\n"
        "and --as-of the stored verdicts are shown; with either, they are evaluated for the\n"
        "report only (nothing is stored).\n\n"
        "Exit status: 0 ok; 64 usage error; 66 no registry; 73 cannot create the output\n"
        "file; 74 write error; 75 registry busy.\n\n"
        "Examples:\n"
        "  claimreg report --output report.html\n"
        "  claimreg report --rules as-filed --as-of 2025-01-01 -o as-filed.html\n"
        "  claimreg report --min-count 20 > report.html");
    cmd->callback([opt, &global, &out] { out.status = run_report(*opt, global); });
}

} // namespace claimreg::cli
