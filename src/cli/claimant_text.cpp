// Claimant records as text (claimant_text.hpp).

#include "claimant_text.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "render.hpp"

namespace claimreg::cli {

namespace {

// `key: value` lines with the values aligned; an empty value leaves the line at `key:`. Each
// line starts with the indent (the first with `first_indent`, of the same width).
class Lines {
  public:
    explicit Lines(std::string indent) : indent_(std::move(indent)) {}
    void add(std::string_view key, std::string_view value) { lines_.emplace_back(key, value); }
    void render(std::string& out, std::string_view first_indent) const {
        Table table;
        table.headed = false;
        table.gap = " ";
        table.add_column("key", false);
        table.add_column("value", false);
        for (const auto& [key, value] : lines_) {
            const std::string_view indent = table.rows.empty() ? first_indent : indent_;
            table.rows.push_back({std::string(indent) + key + ":", value});
        }
        out += cli::render(table, TableFormat::table);
    }

  private:
    std::string indent_;
    std::vector<std::pair<std::string, std::string>> lines_;
};

} // namespace

std::string claimant_text(const ClaimantRecord& c) {
    Lines main("");
    main.add("id", std::to_string(c.id));
    for (std::size_t f = 0; f < field_count; ++f) main.add(field_name(static_cast<Field>(f)), c.fields[f]);
    main.add("state", c.state);
    if (c.linked_to) main.add("linked_to", std::to_string(*c.linked_to));
    main.add("state_changed_at", c.state_changed_at);
    main.add("verdict", c.verdict);
    main.add("reasons", c.reasons);
    main.add("age_band", c.age_band);
    main.add("rule_set", c.rule_set);
    main.add("checked_at", c.checked_at);
    main.add("source", c.source);
    main.add("changed_at", c.changed_at);
    std::string out;
    main.render(out, "");

    out += fmt::format("\nregistrations: {}\n", c.registrations.size());
    for (const LinkedRegistration& r : c.registrations) {
        Lines block("    ");
        block.add("registrant_name", r.registrant_name);
        block.add("registrant_email", r.registrant_email);
        block.add("registrant_phone", r.registrant_phone);
        block.add("registrant_relation", r.registrant_relation);
        block.add("consent", r.consent ? "yes" : "no");
        block.add("registered_at", r.registered_at);
        block.add("external_ref", r.external_ref);
        block.add("source", r.source);
        block.add("added_at", r.added_at);
        block.render(out, "  - ");
    }

    if (!c.linked_claimants.empty()) {
        std::string ids;
        for (const std::int64_t id : c.linked_claimants) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
        out += fmt::format("\nlinked claimants: {}\n", ids);
    }

    out += "\naudit:\n";
    for (const AuditEvent& e : c.audit) {
        std::string line = fmt::format("  {}  {:<9}  {}", e.at, e.action, e.detail);
        trim_trailing_spaces(line);
        out += line;
        out += '\n';
    }
    return out;
}

std::string claimants_side_by_side(const ClaimantRecord& a, const ClaimantRecord& b) {
    // `  key: a | b`, the keys and the first record's values aligned.
    Table table;
    table.headed = false;
    table.gap = " ";
    for (const char* column : {"key", "a", "bar", "b"}) table.add_column(column, false);
    const auto row = [&table](std::string_view key, std::string_view in_a, std::string_view in_b) {
        table.rows.push_back({fmt::format("  {}:", key), std::string(in_a), "|", std::string(in_b)});
    };
    row("id", std::to_string(a.id), std::to_string(b.id));
    for (std::size_t f = 0; f < field_count; ++f)
        row(field_name(static_cast<Field>(f)), a.fields[f], b.fields[f]);
    row("state", a.state, b.state);
    row("source", a.source, b.source);
    row("changed_at", a.changed_at, b.changed_at);
    return render(table, TableFormat::table);
}

} // namespace claimreg::cli
