#include "claimreg/eligibility.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <string>

#include "claimreg/error.hpp"

namespace claimreg {

namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;

constexpr Date make_date(int y, unsigned m, unsigned d) {
    return Date{year{y}, month{m}, day{d}};
}

/// GDPR applies from this date (GDPR Art. 99(2)).
constexpr Date gdpr_applies = make_date(2018, 5, 25);
/// musical.ly merged into TikTok on this date; first use strictly after it asks for review.
constexpr Date musically_merge = make_date(2018, 8, 2);
/// Age of majority in the Netherlands (Dutch Civil Code Art. 1:233).
constexpr int age_of_majority = 18;

// THE table of rule sets. The first row is the default. Adding a rule set is adding a row.
constexpr RuleSet rule_table[] = {
    {"ruling-2024", PeriodRule::first_use_in_window, gdpr_applies, make_date(2022, 11, 9),
     "Rb. Amsterdam 10-01-2024: first use 2018-05-25 .. 2022-11-09; adult if 18 at first use"},
    {"as-filed", PeriodRule::use_overlaps_window, gdpr_applies, std::nullopt,
     "the foundation's claim: use on or after 2018-05-25; adult if 18 by then or by first use"},
};

constexpr std::array<std::string_view, reason_count> reason_names = {
    "not_resident",
    "outside_period",
    "adult",
    "no_consent",
    "withdrawn",
    "opted_out",
    "musically_after_merge",
    "minor_registered_self",
    "adult_registered_by_parent",
};

// One sentence each, in Reason order.
constexpr std::array<std::string_view, reason_count> reason_explanations = {
    // not_resident
    "The child is not resident in the Netherlands; "
    "the claim covers children living in the Netherlands.",
    // outside_period
    "The use of TikTok or musical.ly falls outside the claim period of the rule set applied.",
    // adult
    "The person was 18 or older throughout the relevant period; adults are represented by "
    "Stichting Massaschade & Consument (the adults' foundation), not by this claim.",
    // no_consent
    "The registrant did not confirm that they may act for the child.",
    // withdrawn
    "The registration was withdrawn.",
    // opted_out
    "The claimant opted out of the collective action.",
    // musically_after_merge
    "First use on musical.ly is after its merger into TikTok on 2018-08-02; "
    "the platform needs checking.",
    // minor_registered_self
    "The child registered themselves while under 18; "
    "a minor is registered by a parent or guardian.",
    // adult_registered_by_parent
    "A parent or guardian registered someone who was 18 or older on the registration date; "
    "adults register themselves.",
};

constexpr std::size_t index_of(Reason r) {
    return static_cast<std::size_t>(r);
}

} // namespace

std::span<const RuleSet> rule_sets() {
    return rule_table;
}

const RuleSet& default_rule_set() {
    return rule_table[0];
}

const RuleSet& find_rule_set(std::string_view name) {
    for (const RuleSet& rs : rule_table) {
        if (rs.name == name) return rs;
    }
    std::string known;
    for (const RuleSet& rs : rule_table) {
        if (!known.empty()) known += ", ";
        known += rs.name;
    }
    throw ValueError("unknown rule set (known: " + known + ")");
}

std::string_view to_string(VerdictKind v) {
    switch (v) {
    case VerdictKind::eligible:
        return "eligible";
    case VerdictKind::ineligible:
        return "ineligible";
    case VerdictKind::review:
        return "review";
    }
    return "?";
}

std::string_view to_string(Reason r) {
    const auto i = index_of(r);
    return i < reason_count ? reason_names[i] : std::string_view("?");
}

std::string_view to_string(AgeBand b) {
    switch (b) {
    case AgeBand::under_13:
        return "under-13";
    case AgeBand::from_13_to_15:
        return "13-15";
    case AgeBand::from_16_to_17:
        return "16-17";
    }
    return "?";
}

VerdictKind parse_verdict(std::string_view text) {
    for (VerdictKind v : {VerdictKind::eligible, VerdictKind::ineligible, VerdictKind::review}) {
        if (to_string(v) == text) return v;
    }
    throw ValueError("unknown verdict (known: eligible, ineligible, review)");
}

std::optional<Reason> parse_reason(std::string_view text) {
    for (std::size_t i = 0; i < reason_count; ++i) {
        if (reason_names[i] == text) return static_cast<Reason>(i);
    }
    return std::nullopt;
}

bool is_ineligible_reason(Reason r) {
    switch (r) {
    case Reason::not_resident:
    case Reason::outside_period:
    case Reason::adult:
    case Reason::no_consent:
    case Reason::withdrawn:
    case Reason::opted_out:
        return true;
    case Reason::musically_after_merge:
    case Reason::minor_registered_self:
    case Reason::adult_registered_by_parent:
        return false;
    }
    return true;
}

std::string_view explain(Reason r) {
    const auto i = index_of(r);
    return i < reason_count ? reason_explanations[i] : std::string_view("");
}

std::string join_reasons(ReasonSet reasons, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < reason_count; ++i) {
        const auto r = static_cast<Reason>(i);
        if (!reasons.has(r)) continue;
        if (!out.empty()) out += sep;
        out += reason_names[i];
    }
    return out;
}

bool is_joined_reasons(std::string_view text, ReasonSet reasons) {
    bool first = true;
    // The set bits, lowest first (the order of join_reasons).
    for (unsigned bits = reasons.bits(); bits != 0; bits &= bits - 1) {
        const auto i = static_cast<std::size_t>(std::countr_zero(bits));
        const std::string_view name = reason_names[i];
        if (!first) {
            if (!text.starts_with(',')) return false;
            text.remove_prefix(1);
        }
        first = false;
        if (!text.starts_with(name)) return false;
        text.remove_prefix(name.size());
    }
    return text.empty();
}

Date birthday(Date birth, int years) {
    const Date d{birth.year() + std::chrono::years{years}, birth.month(), birth.day()};
    if (d.ok()) return d;
    // Only 29 February in a non-leap year is invalid here: it falls on 1 March.
    return Date{d.year(), month{3}, day{1}};
}

int age(Date birth, Date on) {
    int years = static_cast<int>(on.year()) - static_cast<int>(birth.year());
    if (birthday(birth, years) > on) --years;
    return years;
}

int claimed_eur(AgeBand band) {
    switch (band) {
    case AgeBand::under_13:
        return 1500;
    case AgeBand::from_13_to_15:
        return 1250;
    case AgeBand::from_16_to_17:
        return 1000;
    }
    return 0;
}

EligibilityInput eligibility_input(const Registration& r, State state) {
    EligibilityInput in;
    in.child_birth_date = r.child_birth_date;
    in.country = r.country;
    in.platform = r.platform;
    in.first_use = r.first_use;
    in.last_use = r.last_use;
    in.registrant_relation = r.registrant_relation;
    in.consent = r.consent;
    in.registered_on = registered_on(r.registered_at);
    in.state = state;
    return in;
}

EligibilityInput parse_eligibility_input(const RawRecord& raw, Date today, Date registered_default,
                                         std::string& country) {
    EligibilityInput in;
    Field current = Field::child_birth_date;
    // A value of spaces only counts as given but empty: required where a value is.
    const auto value = [&](Field f) {
        current = f;
        std::string_view v = raw[static_cast<std::size_t>(f)];
        const std::size_t start = v.find_first_not_of(' ');
        if (start == std::string_view::npos) return std::string_view();
        return v.substr(start, v.find_last_not_of(' ') + 1 - start);
    };
    const auto given = [&](Field f) { return !raw[static_cast<std::size_t>(f)].empty(); };
    const auto require = [&](Field f) {
        const std::string_view v = value(f);
        if (v.empty()) throw RuleError("required");
        return v;
    };
    const auto not_future = [&](Date d) {
        if (d > today) throw RuleError("in the future");
    };
    try {
        in.child_birth_date = parse_date(require(Field::child_birth_date));
        not_future(in.child_birth_date);

        const std::string_view country_given = value(Field::country);
        country = country_given.empty() ? std::string("NL") : parse_country(country_given);
        in.country = country;
        if (given(Field::postcode) || country != "NL") {
            const std::string_view postcode = value(Field::postcode);
            if (postcode.empty()) {
                if (country == "NL") throw RuleError("required for country NL");
            } else {
                parse_postcode(postcode, country);
            }
        }
        if (given(Field::platform)) in.platform = parse_platform(require(Field::platform));

        in.first_use = parse_date(require(Field::first_use));
        if (in.first_use < in.child_birth_date) throw RuleError("before child_birth_date");
        not_future(in.first_use);
        if (const std::string_view last = value(Field::last_use); !last.empty()) {
            const Date d = parse_date(last);
            if (d < in.first_use) throw RuleError("before first_use");
            not_future(d);
            in.last_use = d;
        }

        if (given(Field::registrant_relation)) {
            in.registrant_relation = parse_relation(require(Field::registrant_relation));
        }
        in.consent = parse_consent(value(Field::consent));
        const std::string_view at = value(Field::registered_at);
        in.registered_on =
            at.empty() ? registered_default : registered_on(parse_registered_at(at, today));
    } catch (const RuleError& e) {
        throw FieldError(current, e.what());
    }
    return in;
}

Verdict evaluate(const EligibilityInput& in, const RuleSet& rules, Date as_of) {
    Verdict v;
    ReasonSet& reasons = v.reasons;

    if (in.country != "NL") reasons.add(Reason::not_resident);

    // The use that counts, and the date by which being 18 makes someone an adult for the claim.
    Date use_start = in.first_use;
    Date use_end = in.first_use;
    Date adult_by = in.first_use;
    if (rules.period_rule == PeriodRule::use_overlaps_window) {
        use_end = in.last_use.value_or(as_of);
        adult_by = std::max(in.first_use, rules.window_start);
    }
    if (use_end < rules.window_start || (rules.window_end && use_start > *rules.window_end)) {
        reasons.add(Reason::outside_period);
    }
    if (birthday(in.child_birth_date, age_of_majority) <= adult_by) reasons.add(Reason::adult);

    if (!in.consent) reasons.add(Reason::no_consent);
    if (in.state == State::withdrawn) reasons.add(Reason::withdrawn);
    if (in.state == State::opted_out) reasons.add(Reason::opted_out);

    if (in.platform == Platform::musically && in.first_use > musically_merge) {
        reasons.add(Reason::musically_after_merge);
    }
    const int age_registered = age(in.child_birth_date, in.registered_on);
    if (in.registrant_relation == Relation::self && age_registered < age_of_majority) {
        reasons.add(Reason::minor_registered_self);
    }
    if ((in.registrant_relation == Relation::parent ||
         in.registrant_relation == Relation::guardian) &&
        age_registered >= age_of_majority) {
        reasons.add(Reason::adult_registered_by_parent);
    }

    bool any_ineligible = false;
    bool any_review = false;
    for (std::size_t i = 0; i < reason_count; ++i) {
        const auto r = static_cast<Reason>(i);
        if (!reasons.has(r)) continue;
        (is_ineligible_reason(r) ? any_ineligible : any_review) = true;
    }
    v.verdict = any_ineligible ? VerdictKind::ineligible
                : any_review   ? VerdictKind::review
                               : VerdictKind::eligible;

    const int age_first_use = age(in.child_birth_date, in.first_use);
    if (age_first_use < 13) {
        v.age_band = AgeBand::under_13;
    } else if (age_first_use < 16) {
        v.age_band = AgeBand::from_13_to_15;
    } else if (age_first_use < age_of_majority) {
        v.age_band = AgeBand::from_16_to_17;
    }
    return v;
}

} // namespace claimreg
