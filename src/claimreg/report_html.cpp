// The report as one HTML page: Dutch text and numbers, inline CSS, and the charts of
// report_charts.hpp, every chart's numbers also in a table.

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "claimreg/report.hpp"
#include "report_charts.hpp"

namespace claimreg {

using namespace charts;

namespace {

constexpr std::array<std::string_view, report_band_count> band_labels = {
    "jonger dan 13", "13 t/m 15", "16 en 17", "18 en ouder"};

std::string_view verdict_label(VerdictKind v) {
    switch (v) {
    case VerdictKind::eligible: return "in aanmerking";
    case VerdictKind::ineligible: return "niet in aanmerking";
    case VerdictKind::review: return "in beoordeling";
    }
    return "";
}

std::string_view reason_label(Reason r) {
    switch (r) {
    case Reason::not_resident: return "woont niet in Nederland";
    case Reason::outside_period: return "gebruik buiten de periode";
    case Reason::adult: return "volwassen in de hele periode";
    case Reason::no_consent: return "geen toestemming";
    case Reason::withdrawn: return "ingetrokken";
    case Reason::opted_out: return "opt-out";
    case Reason::musically_after_merge: return "musical.ly na de fusie";
    case Reason::minor_registered_self: return "minderjarige meldde zich zelf aan";
    case Reason::adult_registered_by_parent: return "volwassene aangemeld door ouder";
    }
    return "";
}

constexpr const char* style = R"css(
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0 auto;
  max-width: 52rem; padding: 1rem; color: #111; background: #fff; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0.2rem 0; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; border-bottom: 2px solid #0072B2; }
.sub { color: #444; margin: 0 0 1rem; }
dl.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 0.6rem; }
dl.figures div { border: 1px solid #bbb; border-radius: 6px; padding: 0.5rem 0.7rem; }
dl.figures dt { font-size: 0.9rem; color: #333; }
dl.figures dd { margin: 0; font-size: 1.35rem; font-weight: 600; }
figure { margin: 0.5rem 0 1.5rem; }
svg.chart { width: 100%; height: auto; display: block; }
svg text { font-size: 12px; fill: #111; }
svg text.tick { fill: #444; font-size: 11px; }
svg line.grid { stroke: #ddd; stroke-width: 1; }
svg line.axis { stroke: #555; stroke-width: 1; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.95rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.2rem; }
th, td { padding: 0.15rem 0.7rem 0.15rem 0; text-align: left; border-bottom: 1px solid #e3e3e3; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #444; font-size: 0.9rem; }
summary { cursor: pointer; color: #0072B2; }
@media print {
  body { max-width: none; padding: 0; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  figure, table, dl.figures { break-inside: avoid; }
  h2 { break-after: avoid; }
}
@page { margin: 1.5cm; }
)css";

} // namespace

std::string render_report_html(const ReportFigures& f, std::uint64_t min_count, Date today) {
    const Shown shown{min_count};
    const std::size_t eligible = static_cast<std::size_t>(VerdictKind::eligible);
    const std::size_t review = static_cast<std::size_t>(VerdictKind::review);
    const std::size_t ineligible = static_cast<std::size_t>(VerdictKind::ineligible);

    // Verdicts: a partition of the active claimants (the headline shows the same cells).
    const std::vector<bool> verdict_hidden = hidden_cells(f.by_verdict, min_count);
    const bool active_hidden = f.active > 0 && f.active < min_count;
    // Eligible claimants per band: a band's claimed amount tells its count, so it is hidden
    // with it, and the total then too (with it two hidden amounts could be worked out).
    const std::vector<bool> eligible_band_hidden = hidden_cells(f.eligible_by_band, min_count);
    const bool any_band_hidden =
        std::find(eligible_band_hidden.begin(), eligible_band_hidden.end(), true) !=
        eligible_band_hidden.end();
    const bool claimed_hidden = verdict_hidden[eligible] || any_band_hidden;
    const std::string hidden_total = "niet getoond (kleine aantallen)";

    std::string rule_sets;
    for (const std::string& r : f.rule_sets) rule_sets += (rule_sets.empty() ? "" : ", ") + r;
    std::string as_of = f.first_as_of == f.last_as_of ? f.first_as_of
                                                      : f.first_as_of + " t/m " + f.last_as_of;
    if (as_of.empty()) as_of = "-";
    if (rule_sets.empty()) rule_sets = "-";

    std::string out;
    out += "<!DOCTYPE html>\n<html lang=\"nl\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'\">\n"
           "<title>Claimregister: stand van de aanmeldingen</title>\n<style>";
    out += style;
    out += "</style>\n</head>\n<body>\n<header>\n<h1>Claimregister: stand van de aanmeldingen</h1>\n";
    out += fmt::format("<p class=\"sub\">Rapport van {}. Alleen totalen van actieve deelnemers "
                       "(kinderen, elk één keer geteld); geen persoonsgegevens.</p>\n</header>\n",
                       escape(format_date(today)));

    // 1. Headline figures.
    out += "<main>\n<section id=\"kerncijfers\">\n<h2>Kerncijfers</h2>\n<dl class=\"figures\">\n";
    const auto figure = [&](std::string_view term, const std::string& value) {
        out += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>\n", escape(term), value);
    };
    figure("Actieve deelnemers", shown(f.active, active_hidden));
    figure("In aanmerking", shown(f.by_verdict[eligible], verdict_hidden[eligible]));
    figure("In beoordeling", shown(f.by_verdict[review], verdict_hidden[review]));
    figure("Niet in aanmerking", shown(f.by_verdict[ineligible], verdict_hidden[ineligible]));
    figure("Geclaimd bedrag", claimed_hidden ? escape(hidden_total) : euros(f.claimed_eur));
    figure("Peildatum", escape(as_of));
    figure("Regelset", escape(rule_sets));
    out += "</dl>\n";
    out += fmt::format("<p class=\"note\">{}</p>\n</section>\n",
                       f.evaluated ? "De oordelen zijn voor dit rapport opnieuw bepaald met deze "
                                     "regelset en peildatum (niet opgeslagen)."
                                   : "De oordelen zoals ze in het register staan, met de regelset "
                                     "en peildatum van de laatste controle.");

    // 2. Registrations per week, cumulative.
    out += "<section id=\"aanmeldingen\">\n<h2>Aanmeldingen per week (cumulatief)</h2>\n";
    out += line_chart("chart-weeks", "Actieve deelnemers naar week van aanmelding, opgeteld",
                      cumulative_steps(f.weeks, min_count), shown, min_count);
    if (min_count > 1) {
        out += fmt::format("<p class=\"note\">Een week met minder dan {} nieuwe aanmeldingen is "
                           "samengenomen met de week erna.</p>\n",
                           min_count);
    }
    out += "</section>\n";

    // 3. Age bands with claimed amounts.
    out += "<section id=\"leeftijd\">\n<h2>Leeftijd bij eerste gebruik</h2>\n";
    std::vector<Bar> bands;
    for (std::size_t b = 0; b < report_band_count; ++b) {
        bands.push_back({std::string(band_labels[b]), f.by_band[b]});
    }
    out += bar_chart("chart-age", "Actieve deelnemers naar leeftijdsgroep",
                     partition_bars(std::move(bands), min_count), "Deelnemers", shown);
    out += "<table>\n<caption>In aanmerking en geclaimd bedrag per leeftijdsgroep</caption>\n"
           "<thead><tr><th scope=\"col\">Leeftijdsgroep</th><th scope=\"col\" class=\"n\">In "
           "aanmerking</th><th scope=\"col\" class=\"n\">Bedrag per kind</th><th scope=\"col\" "
           "class=\"n\">Geclaimd bedrag</th></tr></thead>\n<tbody>\n";
    for (std::size_t b = 0; b < report_band_count; ++b) {
        const bool banded = b + 1 < report_band_count;
        const auto amount = banded ? static_cast<std::uint64_t>(claimed_eur(static_cast<AgeBand>(b))) : 0;
        out += fmt::format(
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td>"
            "<td class=\"n\">{}</td></tr>\n",
            escape(band_labels[b]), shown(f.eligible_by_band[b], eligible_band_hidden[b]),
            banded ? euros(amount) : "-",
            !banded ? std::string("-")
                    : eligible_band_hidden[b] ? escape("niet getoond")
                                              : euros(amount * f.eligible_by_band[b]));
    }
    out += fmt::format("<tr><th scope=\"row\">Totaal</th><td class=\"n\">{}</td><td></td>"
                       "<td class=\"n\">{}</td></tr>\n</tbody>\n</table>\n</section>\n",
                       shown(f.by_verdict[eligible], verdict_hidden[eligible]),
                       claimed_hidden ? escape("niet getoond") : euros(f.claimed_eur));

    // 4. Verdicts and reason codes.
    out += "<section id=\"oordelen\">\n<h2>Oordelen en redenen</h2>\n";
    std::vector<Bar> verdicts;
    for (const VerdictKind v : {VerdictKind::eligible, VerdictKind::review, VerdictKind::ineligible}) {
        const auto i = static_cast<std::size_t>(v);
        verdicts.push_back({fmt::format("{} ({})", verdict_label(v), to_string(v)), f.by_verdict[i],
                            verdict_hidden[i],
                            v == VerdictKind::eligible ? green
                            : v == VerdictKind::review ? orange
                                                       : vermillion});
    }
    out += bar_chart("chart-verdicts", "Actieve deelnemers naar oordeel", verdicts, "Deelnemers", shown);
    std::vector<Bar> reasons;
    std::vector<std::uint64_t> reason_counts;
    for (std::size_t r = 0; r < reason_count; ++r) {
        const auto reason = static_cast<Reason>(r);
        if (reason == Reason::withdrawn || reason == Reason::opted_out) continue; // never active
        reasons.push_back({fmt::format("{} ({})", reason_label(reason), to_string(reason)),
                           f.by_reason[r], false,
                           is_ineligible_reason(reason) ? vermillion : orange});
        reason_counts.push_back(f.by_reason[r]);
    }
    // A claimant can have several reasons: the cells are no partition.
    const std::vector<bool> reason_hidden = hidden_cells(reason_counts, min_count, false);
    for (std::size_t i = 0; i < reasons.size(); ++i) reasons[i].hidden = reason_hidden[i];
    out += bar_chart("chart-reasons", "Redenen (een deelnemer kan er meer hebben)", reasons,
                     "Deelnemers", shown);
    out += "</section>\n";

    // 5. Platform.
    out += "<section id=\"platform\">\n<h2>Platform</h2>\n";
    std::vector<Bar> platforms;
    for (const LabelledCount& p : f.platforms) platforms.push_back({p.label, p.count});
    out += bar_chart("chart-platform", "Actieve deelnemers naar platform",
                     partition_bars(std::move(platforms), min_count), "Deelnemers", shown);
    out += "</section>\n";

    // 6. Postcode areas, largest first; hidden ones last (their place would hint at their size).
    out += "<section id=\"postcode\">\n<h2>Postcodegebieden</h2>\n";
    std::vector<Bar> areas;
    for (const LabelledCount& a : f.postcode_areas) {
        areas.push_back({a.label.empty() ? "geen Nederlandse postcode" : a.label, a.count});
    }
    areas = partition_bars(std::move(areas), min_count);
    std::stable_sort(areas.begin(), areas.end(), [](const Bar& a, const Bar& b) {
        if (a.hidden != b.hidden) return !a.hidden;
        return a.hidden ? a.label < b.label : a.count > b.count;
    });
    out += bar_chart("chart-postcode",
                     "Actieve deelnemers naar postcodegebied (eerste twee cijfers), grootste eerst",
                     areas, "Deelnemers", shown);
    out += "</section>\n";

    // 7. Linked registrations.
    out += "<section id=\"gekoppeld\">\n<h2>Gekoppelde aanmeldingen</h2>\n";
    std::vector<Bar> linked;
    for (const std::string_view label : {"geen", "1", "2", "3 of meer"}) linked.push_back({std::string(label), 0});
    for (std::size_t i = 0; i < linked.size(); ++i) linked[i].count = f.by_linked[i];
    linked = partition_bars(std::move(linked), min_count);
    const bool linked_hidden =
        std::any_of(linked.begin(), linked.end(), [](const Bar& b) { return b.hidden; });
    out += fmt::format("<p>Hetzelfde kind nog eens aangemeld door een ander (de andere ouder...): "
                       "<strong>{}</strong> aanmeldingen, gekoppeld aan het kind en niet opnieuw "
                       "geteld.</p>\n",
                       linked_hidden ? escape(hidden_total) : dutch_number(f.linked));
    out += bar_chart("chart-linked", "Actieve deelnemers naar aantal gekoppelde aanmeldingen",
                     linked, "Deelnemers", shown);
    out += "</section>\n";

    // 8. Imports from the audit trail.
    out += "<section id=\"imports\">\n<h2>Imports</h2>\n";
    if (f.imports.empty()) {
        out += "<p>Nog geen imports.</p>\n";
    } else {
        out += "<table>\n<caption>Imports volgens het auditlog</caption>\n<thead><tr>"
               "<th scope=\"col\">Datum</th><th scope=\"col\" class=\"n\">Rijen</th>"
               "<th scope=\"col\" class=\"n\">Opgenomen</th><th scope=\"col\" class=\"n\">"
               "Afgewezen</th></tr></thead>\n<tbody>\n";
        const auto cell = [&](std::uint64_t n) { return shown(n, n > 0 && n < min_count); };
        for (const ImportFigures& i : f.imports) {
            out += fmt::format("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">"
                               "{}</td><td class=\"n\">{}</td></tr>\n",
                               escape(i.date), cell(i.rows), cell(i.imported), cell(i.rejected));
        }
        out += "</tbody>\n</table>\n";
    }
    out += "</section>\n</main>\n";
    out += "<footer>\n<p class=\"note\">";
    out += min_count > 1
               ? fmt::format("Aantallen van 1 tot {0} staan er als &lt;{0}, zodat geen kind is aan "
                             "te wijzen; waar een verborgen aantal uit het totaal van een grafiek "
                             "te berekenen zou zijn, is ook het volgende kleinste aantal verborgen "
                             "(als \u2265{0}).",
                             min_count)
               : std::string("Alle aantallen staan er volledig: er is niets verborgen.");
    out += "</p>\n</footer>\n</body>\n</html>\n";
    return out;
}

} // namespace claimreg
