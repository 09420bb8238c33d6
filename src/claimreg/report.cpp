#include "claimreg/report.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/stats.hpp"
#include "claimreg/text.hpp"
#include "store/audit_log.hpp"
#include "store/figures.hpp"
#include "store/snapshot.hpp"
#include "store/visited_row.hpp"

namespace claimreg {

namespace {

using store::VisitedRow;
using store::Kept;

// The report's band index: under-13, 13-15, 16-17, 18 and over.
std::size_t band_index(std::optional<AgeBand> band) {
    return band ? static_cast<std::size_t>(*band) : report_band_count - 1;
}

std::size_t band_index(std::string_view stored) {
    for (const AgeBand b : {AgeBand::under_13, AgeBand::from_13_to_15, AgeBand::from_16_to_17}) {
        if (stored == to_string(b)) return static_cast<std::size_t>(b);
    }
    return report_band_count - 1;
}

// A count per distinct short text (platforms, reason lists): few values, a linear search.
struct TextCounts {
    std::vector<std::pair<std::string, std::uint64_t>> entries;
    void add(std::string_view text) {
        for (auto& [t, n] : entries) {
            if (t == text) {
                ++n;
                return;
            }
        }
        entries.emplace_back(std::string(text), 1);
    }
};

// What one scan of the active claimants adds up.
struct ScanContext {
    const ReportOptions* options = nullptr;
    std::unordered_map<int, std::uint64_t> by_day; // YYYYMMDD of the registration date
    TextCounts platforms;
    TextCounts reasons; // stored reason lists (not evaluating)
    std::array<std::uint64_t, 100> by_area{};
    std::uint64_t no_area = 0;
    std::map<std::int64_t, std::uint64_t> by_check; // claimants' own check ids
    // Evaluating only:
    std::array<std::uint64_t, 3> by_verdict{};
    std::array<std::uint64_t, report_band_count> by_band{};
    std::array<std::uint64_t, report_band_count> eligible_by_band{};
    std::array<std::uint64_t, reason_count> by_reason{};
};

// The columns the scan reads: what every report counts, then either what an evaluation takes
// or the stored verdicts' reasons and checks.
constexpr store::ColumnSet counted_columns =
    store::columns_of({Field::registered_at, Field::platform, Field::postcode});
constexpr store::ColumnSet evaluated_columns = counted_columns | store::eligibility_columns;
constexpr store::ColumnSet stored_columns =
    counted_columns | store::columns_of({}, {Kept::reasons, Kept::check_id});

int day_key(std::string_view date) {
    int y = 0, m = 0, d = 0;
    if (date.size() < 10) return 0;
    std::from_chars(date.data(), date.data() + 4, y);
    std::from_chars(date.data() + 5, date.data() + 7, m);
    std::from_chars(date.data() + 8, date.data() + 10, d);
    return y * 10000 + m * 100 + d;
}

// Adds one active claimant to the ScanContext.
void add_row(ScanContext& context, const VisitedRow& row) {
    const std::string_view registered_at = row.text(Field::registered_at);
    ++context.by_day[day_key(registered_at)];
    context.platforms.add(row.text(Field::platform));
    const std::string_view postcode = row.text(Field::postcode);
    if (postcode.size() >= 2 && is_ascii_digit(postcode[0]) && is_ascii_digit(postcode[1])) {
        ++context.by_area[static_cast<std::size_t>((postcode[0] - '0') * 10 + (postcode[1] - '0'))];
    } else {
        ++context.no_area;
    }
    if (const auto& evaluation = context.options->evaluate) {
        const Verdict v = evaluate(store::eligibility_input(row, evaluated_columns), *evaluation->rules,
                                   evaluation->as_of);
        ++context.by_verdict[static_cast<std::size_t>(v.verdict)];
        const std::size_t band = band_index(v.age_band);
        ++context.by_band[band];
        if (v.verdict == VerdictKind::eligible) ++context.eligible_by_band[band];
        for (std::size_t r = 0; r < reason_count; ++r) {
            if (v.reasons.has(static_cast<Reason>(r))) ++context.by_reason[r];
        }
    } else {
        context.reasons.add(row.text(Kept::reasons));
        ++context.by_check[row.integer(Kept::check_id)];
    }
}

std::vector<WeekCount> weeks_of(const std::unordered_map<int, std::uint64_t>& by_day) {
    using namespace std::chrono;
    std::map<sys_days, std::uint64_t> weeks;
    for (const auto& [key, n] : by_day) {
        const year_month_day date{year{key / 10000}, month{static_cast<unsigned>(key / 100 % 100)},
                                  day{static_cast<unsigned>(key % 100)}};
        if (!date.ok()) continue; // validated on the way in; never expected
        const sys_days d{date};
        const unsigned from_monday = weekday{d}.iso_encoding() - 1;
        weeks[d - days{from_monday}] += n;
    }
    std::vector<WeekCount> out;
    for (const auto& [monday, n] : weeks) out.push_back({format_date(year_month_day{monday}), n});
    return out;
}

// `key=N` out of an import's audit detail (`rows_read=N duplicates=N ... file=NAME`).
std::uint64_t detail_number(std::string_view detail, std::string_view key) {
    for (std::size_t at = detail.find(key); at != std::string_view::npos;
         at = detail.find(key, at + 1)) {
        if ((at != 0 && detail[at - 1] != ' ') || at + key.size() >= detail.size() ||
            detail[at + key.size()] != '=') {
            continue;
        }
        std::uint64_t n = 0;
        const char* begin = detail.data() + at + key.size() + 1;
        std::from_chars(begin, detail.data() + detail.size(), n);
        return n;
    }
    return 0;
}

void gather_linked(Registry& registry, ReportFigures& f) {
    std::uint64_t with_linked = 0;
    for (const auto& [n, claimants] : store::linked_registration_counts(registry)) {
        f.linked += n * claimants;
        f.by_linked[std::min<std::uint64_t>(n, 3)] += claimants;
        with_linked += claimants;
    }
    f.by_linked[0] = f.active - std::min(with_linked, f.active);
}

void gather_imports(Registry& registry, ReportFigures& f) {
    for (const AuditEvent& e : store::audit_of_action(registry, to_string(AuditAction::imported))) {
        f.imports.push_back({e.at.substr(0, 10), detail_number(e.detail, "rows_read"),
                             static_cast<std::uint64_t>(e.count.value_or(0)),
                             detail_number(e.detail, "rejected")});
    }
}

// Rule sets and as-of dates of the checks behind the stored verdicts.
void gather_checks(Registry& registry, const ScanContext& context, ReportFigures& f) {
    const std::int64_t latest_all = store::latest_check_of_all(registry);
    std::set<std::int64_t> ids;
    for (const auto& [id, n] : context.by_check) ids.insert(std::max(id, latest_all));
    std::set<std::string> rule_sets;
    std::string rule_set, as_of;
    for (const std::int64_t id : ids) {
        if (!store::read_check(registry, id, rule_set, as_of)) continue;
        rule_sets.insert(rule_set);
        if (f.first_as_of.empty() || as_of < f.first_as_of) f.first_as_of = as_of;
        if (as_of > f.last_as_of) f.last_as_of = as_of;
    }
    f.rule_sets.assign(rule_sets.begin(), rule_sets.end());
}

// Verdicts, age bands and claimed amounts of the stored verdicts, from `tallies`.
void gather_stored_verdicts(Registry& registry, ReportFigures& f) {
    StatsQuery query;
    query.by = {StatsGroup::verdict, StatsGroup::age_band};
    const StatsTable table = count_claimants(registry, query);
    for (const StatsRow& row : table.rows) {
        const VerdictKind v = parse_verdict(row.values[0]);
        const std::size_t band = band_index(row.values[1]);
        f.by_verdict[static_cast<std::size_t>(v)] += row.count;
        f.by_band[band] += row.count;
        if (v == VerdictKind::eligible) f.eligible_by_band[band] += row.count;
    }
}

} // namespace

ReportFigures gather_report(Registry& registry, const ReportOptions& options) {
    store::ReadSnapshot snapshot(registry);
    ReportFigures f;
    ScanContext context;
    context.options = &options;
    store::ClaimantFilter active;
    active.whole_table = true;
    f.active = store::visit_claimants(registry, options.evaluate ? evaluated_columns : stored_columns, active,
                                      [&context](const VisitedRow& row) { add_row(context, row); });
    f.weeks = weeks_of(context.by_day);
    for (const auto& [platform, n] : context.platforms.entries) f.platforms.push_back({platform, n});
    std::sort(f.platforms.begin(), f.platforms.end(),
              [](const LabelledCount& a, const LabelledCount& b) { return a.label < b.label; });
    for (std::size_t area = 0; area < context.by_area.size(); ++area) {
        if (context.by_area[area] > 0) {
            f.postcode_areas.push_back({fmt::format("{:02}", area), context.by_area[area]});
        }
    }
    if (context.no_area > 0) f.postcode_areas.push_back({"", context.no_area});
    std::stable_sort(f.postcode_areas.begin(), f.postcode_areas.end(),
                     [](const LabelledCount& a, const LabelledCount& b) { return a.count > b.count; });

    if (options.evaluate) {
        f.evaluated = true;
        f.by_verdict = context.by_verdict;
        f.by_band = context.by_band;
        f.eligible_by_band = context.eligible_by_band;
        f.by_reason = context.by_reason;
        f.rule_sets = {std::string(options.evaluate->rules->name)};
        f.first_as_of = f.last_as_of = format_date(options.evaluate->as_of);
    } else {
        gather_stored_verdicts(registry, f);
        for (const auto& [list, n] : context.reasons.entries) {
            std::string_view rest = list;
            while (!rest.empty()) {
                const std::size_t comma = rest.find(',');
                if (const auto reason = parse_reason(rest.substr(0, comma))) {
                    f.by_reason[static_cast<std::size_t>(*reason)] += n;
                }
                rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
        }
        gather_checks(registry, context, f);
    }
    for (const AgeBand b : {AgeBand::under_13, AgeBand::from_13_to_15, AgeBand::from_16_to_17}) {
        f.claimed_eur += f.eligible_by_band[static_cast<std::size_t>(b)] *
                         static_cast<std::uint64_t>(claimed_eur(b));
    }
    gather_linked(registry, f);
    gather_imports(registry, f);
    snapshot.commit();
    return f;
}

std::vector<bool> hidden_cells(std::span<const std::uint64_t> counts, std::uint64_t min_count,
                               bool partition) {
    std::vector<bool> hidden(counts.size(), false);
    std::size_t n_hidden = 0;
    std::uint64_t hidden_sum = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
        if (counts[i] > 0 && counts[i] < min_count) {
            hidden[i] = true;
            ++n_hidden;
            hidden_sum += counts[i];
        }
    }
    if (!partition || n_hidden == 0) return hidden;
    // Hide the next smallest non-zero cells until the hidden ones cannot be told apart.
    while ((n_hidden < 2 || hidden_sum < 2 * min_count) && n_hidden < counts.size()) {
        std::optional<std::size_t> next;
        for (std::size_t i = 0; i < counts.size(); ++i) {
            if (!hidden[i] && counts[i] > 0 && (!next || counts[i] < counts[*next])) next = i;
        }
        if (!next) break;
        hidden[*next] = true;
        ++n_hidden;
        hidden_sum += counts[*next];
    }
    return hidden;
}

std::string dutch_number(std::uint64_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += '.';
        out += digits[i];
    }
    return out;
}

} // namespace claimreg
