#include "report_charts.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace claimreg::charts {

namespace {

// A round step for an axis up to `max` with about five ticks: 1, 2 or 5 times a power of ten.
std::uint64_t tick_step(std::uint64_t max) {
    if (max <= 5) return 1;
    const double raw = static_cast<double>(max) / 5.0;
    const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
    const double norm = raw / magnitude;
    const double factor = norm <= 1.0 ? 1.0 : norm <= 2.0 ? 2.0 : norm <= 5.0 ? 5.0 : 10.0;
    return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(factor * magnitude)));
}

std::uint64_t axis_end(std::uint64_t max, std::uint64_t step) {
    return std::max<std::uint64_t>(step, (max + step - 1) / step * step);
}

std::chrono::sys_days day_of(const std::string& date) {
    return std::chrono::sys_days{parse_date(date)};
}

std::string week_label(const Step& s) {
    return s.first_monday == s.last_monday ? "week van " + s.first_monday
                                           : "weken van " + s.first_monday + " t/m " + s.last_monday;
}

} // namespace

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string euros(std::uint64_t n) {
    return "EUR " + dutch_number(n);
}

// A horizontal bar chart with its axis, then the same numbers as a table.
std::string bar_chart(std::string_view id, std::string_view title, const std::vector<Bar>& bars,
                      std::string_view count_header, const Shown& shown) {
    constexpr int value_width = 90, row = 26, bar_height = 16, top = 8, axis_height = 28;
    // Room for the longest label (about 7 units a character at 12px), within reason.
    std::size_t longest = 0;
    for (const Bar& b : bars) longest = std::max(longest, b.label.size());
    const int label_width = std::clamp(static_cast<int>(longest) * 7 + 16, 60, 440);
    const int width = label_width + 360 + value_width;
    const int plot = width - label_width - value_width;
    const int height = top + static_cast<int>(bars.size()) * row + axis_height;
    std::uint64_t max = 0;
    for (const Bar& b : bars) {
        if (!b.hidden) max = std::max(max, b.count);
    }
    const std::uint64_t step = tick_step(max);
    const std::uint64_t end = axis_end(max, step);
    const auto x_of = [&](std::uint64_t n) {
        return static_cast<double>(n) / static_cast<double>(end) * plot;
    };

    std::string out = fmt::format("<figure id=\"{0}\">\n<svg class=\"chart\" viewBox=\"0 0 {1} {2}\" "
                                  "role=\"img\" aria-labelledby=\"{0}-title\">\n"
                                  "<title id=\"{0}-title\">{3}</title>\n",
                                  id, width, height, escape(title));
    const int axis_y = top + static_cast<int>(bars.size()) * row;
    for (std::uint64_t t = 0; t <= end; t += step) {
        const double x = label_width + x_of(t);
        out += fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\"/>"
                           "<text class=\"tick\" x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
                           x, top, axis_y + 4, axis_y + 18, dutch_number(t));
    }
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const Bar& b = bars[i];
        const int y = top + static_cast<int>(i) * row;
        const std::string value = shown(b.count, b.hidden);
        out += fmt::format("<text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                           label_width - 8, y + bar_height - 3, escape(b.label));
        double value_x = label_width + 4;
        if (!b.hidden) {
            const double w = x_of(b.count);
            out += fmt::format("<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
                               "fill=\"{}\"><title>{}: {}</title></rect>",
                               label_width, y, w, bar_height, b.colour, escape(b.label), value);
            value_x = label_width + w + 4;
        }
        out += fmt::format("<text class=\"value\" x=\"{:.1f}\" y=\"{}\">{}</text>\n", value_x,
                           y + bar_height - 3, value);
    }
    out += "</svg>\n";
    const bool fold = bars.size() > 12;
    if (fold) out += "<details>\n<summary>De cijfers als tabel</summary>\n";
    out += fmt::format("<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\"></th>"
                       "<th scope=\"col\" class=\"n\">{}</th></tr></thead>\n<tbody>\n",
                       escape(title), escape(count_header));
    for (const Bar& b : bars) {
        out += fmt::format("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td></tr>\n",
                           escape(b.label), shown(b.count, b.hidden));
    }
    out += "</tbody>\n</table>\n";
    if (fold) out += "</details>\n";
    out += "</figure>\n";
    return out;
}

std::vector<Bar> partition_bars(std::vector<Bar> bars, std::uint64_t min_count) {
    std::vector<std::uint64_t> counts;
    for (const Bar& b : bars) counts.push_back(b.count);
    const std::vector<bool> hidden = hidden_cells(counts, min_count);
    for (std::size_t i = 0; i < bars.size(); ++i) bars[i].hidden = hidden[i];
    return bars;
}

std::vector<Step> cumulative_steps(const std::vector<WeekCount>& weeks, std::uint64_t min_count) {
    std::vector<Step> steps;
    std::uint64_t total = 0;
    bool open = false;
    for (const WeekCount& w : weeks) {
        if (!open) steps.push_back({w.monday, w.monday, 0, 0});
        Step& s = steps.back();
        s.last_monday = w.monday;
        s.added += w.count;
        total += w.count;
        s.total = total;
        open = s.added < min_count;
    }
    if (open && steps.size() > 1) {
        const Step last = steps.back();
        steps.pop_back();
        steps.back().last_monday = last.last_monday;
        steps.back().added += last.added;
        steps.back().total = last.total;
    }
    return steps;
}

// The cumulative number of registrations as a line over time, then as a table.
std::string line_chart(std::string_view id, std::string_view title, const std::vector<Step>& steps,
                       const Shown& shown, std::uint64_t min_count) {
    constexpr int width = 640, height = 300, left = 80, right = 24, top = 16, bottom = 44;
    const int plot_w = width - left - right, plot_h = height - top - bottom;
    const bool hidden = !steps.empty() && steps.back().total < min_count;
    const std::uint64_t max = steps.empty() || hidden ? 0 : steps.back().total;
    const std::uint64_t step = tick_step(max);
    const std::uint64_t end = axis_end(max, step);
    std::string out = fmt::format("<figure id=\"{0}\">\n<svg class=\"chart\" viewBox=\"0 0 {1} {2}\" "
                                  "role=\"img\" aria-labelledby=\"{0}-title\">\n"
                                  "<title id=\"{0}-title\">{3}</title>\n",
                                  id, width, height, escape(title));
    const auto y_of = [&](std::uint64_t n) {
        return top + plot_h - static_cast<double>(n) / static_cast<double>(end) * plot_h;
    };
    for (std::uint64_t t = 0; t <= end; t += step) {
        out += fmt::format("<line class=\"grid\" x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\"/>"
                           "<text class=\"tick\" x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                           left, y_of(t), left + plot_w, left - 6, y_of(t) + 4, dutch_number(t));
    }
    out += fmt::format("<line class=\"axis\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>\n", left,
                       top + plot_h, left + plot_w);
    if (!steps.empty() && !hidden) {
        const auto first = day_of(steps.front().last_monday);
        const auto last = day_of(steps.back().last_monday);
        const double span = static_cast<double>((last - first).count());
        const auto x_of = [&](const Step& s) {
            if (span <= 0) return left + plot_w / 2.0;
            return left + static_cast<double>((day_of(s.last_monday) - first).count()) / span * plot_w;
        };
        std::string points;
        for (const Step& s : steps) {
            points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", x_of(s), y_of(s.total));
        }
        out += fmt::format("<polyline class=\"line\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\" "
                           "points=\"{}\"/>\n", blue, points);
        for (const Step& s : steps) {
            out += fmt::format("<circle class=\"point\" cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\">"
                               "<title>{}: {}</title></circle>\n",
                               x_of(s), y_of(s.total), blue, escape(week_label(s)), shown(s.total, false));
        }
        // Dates under the axis: the first and the last point, and up to three between.
        const std::size_t labels = std::min<std::size_t>(steps.size(), 5);
        for (std::size_t k = 0; k < labels; ++k) {
            const std::size_t i = labels == 1 ? 0 : k * (steps.size() - 1) / (labels - 1);
            const std::string_view anchor = labels > 1 && k == 0           ? "start"
                                            : labels > 1 && k + 1 == labels ? "end"
                                                                            : "middle";
            out += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"{}\">{}</text>\n",
                               x_of(steps[i]), top + plot_h + 18, anchor, escape(steps[i].last_monday));
        }
    }
    out += "</svg>\n";
    const bool fold = steps.size() > 12;
    if (fold) out += "<details>\n<summary>De cijfers als tabel</summary>\n";
    out += fmt::format("<table>\n<caption>{}</caption>\n<thead><tr><th scope=\"col\">Periode</th>"
                       "<th scope=\"col\" class=\"n\">Nieuw</th><th scope=\"col\" class=\"n\">"
                       "Totaal</th></tr></thead>\n<tbody>\n", escape(title));
    for (const Step& s : steps) {
        out += fmt::format("<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
                           escape(week_label(s)), shown(s.added, hidden), shown(s.total, hidden));
    }
    out += "</tbody>\n</table>\n";
    if (fold) out += "</details>\n";
    out += "</figure>\n";
    return out;
}

} // namespace claimreg::charts
