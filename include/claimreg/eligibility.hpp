#pragma once
// The claim's eligibility rules as data plus one pure function. No I/O.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "claimreg/record.hpp"

namespace claimreg {

/// The verdict on one claimant.
enum class VerdictKind { eligible, ineligible, review };

/// Stable reason codes, in the order they are reported.
enum class Reason : std::uint8_t {
    not_resident,
    outside_period,
    adult,
    no_consent,
    withdrawn,
    opted_out,
    musically_after_merge,
    minor_registered_self,
    adult_registered_by_parent,
};
inline constexpr std::size_t reason_count = 9;

/// Age band by age at first use.
enum class AgeBand { under_13, from_13_to_15, from_16_to_17 };

/// How a rule set decides the period and adulthood.
enum class PeriodRule {
    first_use_in_window, ///< ruling-2024: first use inside [window_start, window_end]
    use_overlaps_window, ///< as-filed: use (first..last or as-of) must not end before window_start
};

/// A named, built-in rule set. Adding one is adding a row to the table in eligibility.cpp.
struct RuleSet {
    std::string_view name;
    PeriodRule period_rule;
    Date window_start;
    std::optional<Date> window_end; ///< none: open-ended
    std::string_view description;   ///< one line for help and the man page
};

/// Every built-in rule set; the first is the default.
std::span<const RuleSet> rule_sets();
/// The default rule set (`ruling-2024`).
const RuleSet& default_rule_set();
/// Looks a rule set up by name; throws ValueError naming the known ones if unknown.
const RuleSet& find_rule_set(std::string_view name);

/// A set of reasons (bit i = Reason i).
class ReasonSet {
  public:
    void add(Reason r) { bits_ = static_cast<std::uint16_t>(bits_ | (1u << static_cast<unsigned>(r))); }
    bool has(Reason r) const { return (bits_ >> static_cast<unsigned>(r)) & 1u; }
    bool empty() const { return bits_ == 0; }
    std::uint16_t bits() const { return bits_; }
    bool operator==(const ReasonSet&) const = default;

  private:
    std::uint16_t bits_ = 0;
};

/// The outcome of evaluating one claimant.
struct Verdict {
    VerdictKind verdict = VerdictKind::eligible;
    ReasonSet reasons;
    std::optional<AgeBand> age_band; ///< none for 18 and over at first use
};

/// Stable spellings: `eligible|ineligible|review`; reason codes; `under-13|13-15|16-17`.
std::string_view to_string(VerdictKind v);
std::string_view to_string(Reason r);
std::string_view to_string(AgeBand b);
/// Parses a verdict word; throws ValueError if unknown.
VerdictKind parse_verdict(std::string_view text);
/// Parses a reason code; nullopt if unknown.
std::optional<Reason> parse_reason(std::string_view text);
/// Whether a reason makes the verdict ineligible (else it asks for review).
bool is_ineligible_reason(Reason r);
/// A one-sentence explanation of a reason, for people.
std::string_view explain(Reason r);
/// Reason codes joined by `sep` (`adult,no_consent`); empty when none.
std::string join_reasons(ReasonSet reasons, std::string_view sep = ",");
/// Whether `text` is join_reasons(reasons) (with `,`), without building it.
bool is_joined_reasons(std::string_view text, ReasonSet reasons);

/// Completed years on `on`; a 29 February birthday falls on 1 March in non-leap years.
int age(Date birth, Date on);
/// The date a person born on `birth` turns `years` (29 Feb -> 1 Mar in non-leap years).
Date birthday(Date birth, int years);
/// The claimed amount in whole euros for a band (1500, 1250, 1000).
int claimed_eur(AgeBand band);

/// The facts a verdict depends on (a Registration plus its state).
struct EligibilityInput {
    Date child_birth_date;
    std::string_view country;
    Platform platform = Platform::tiktok;
    Date first_use;
    std::optional<Date> last_use;
    Relation registrant_relation = Relation::parent;
    bool consent = true;
    Date registered_on; ///< the date part of registered_at
    State state = State::active;
};

/// The eligibility input of a registration in a given state.
EligibilityInput eligibility_input(const Registration& r, State state = State::active);

/// The eligibility input of facts given on their own (an ad hoc check, nothing stored): the
/// fields a verdict depends on, each by its single-field rule in the order a registration
/// checks them (other fields are ignored; `raw`'s country must already have passed
/// parse_country). A field not given takes the ad hoc default: country NL (and no postcode
/// needed), platform tiktok, relation parent, registered on `registered_default`. Dates may
/// not be after `today`. `country` receives the normalised country, which the result views.
/// Throws FieldError naming the first field that breaks a rule.
EligibilityInput parse_eligibility_input(const RawRecord& raw, Date today, Date registered_default,
                                         std::string& country);

/// Evaluates every rule of `rules` against `in` as of `as_of`.
Verdict evaluate(const EligibilityInput& in, const RuleSet& rules, Date as_of);

} // namespace claimreg
