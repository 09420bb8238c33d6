#pragma once
// One registration: its fields, the rules that validate and normalise each of them, and the
// single path from raw text (a CSV row or `add` options) to a validated Registration.

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "claimreg/error.hpp"

namespace claimreg {

/// A calendar date (always a valid one once parsed).
using Date = std::chrono::year_month_day;

/// The canonical record fields, in SPEC order (CSV columns; `add` options with dashes).
enum class Field : std::size_t {
    external_ref,
    child_first_name,
    child_name_prefix,
    child_last_name,
    child_birth_date,
    country,
    postcode,
    house_number,
    platform,
    first_use,
    last_use,
    registrant_name,
    registrant_email,
    registrant_phone,
    registrant_relation,
    consent,
    registered_at,
};

/// Number of canonical fields.
inline constexpr std::size_t field_count = 17;

/// Canonical column name of a field (`child_first_name`).
std::string_view field_name(Field field);

/// Whether a field must be present and non-empty in every record.
bool field_is_required(Field field);

/// A column header as compared: trimmed, lower case, runs of spaces, dashes and underscores
/// read as one underscore (`Eerste gebruik` -> `eerste_gebruik`).
std::string normalise_header(std::string_view header);

/// Maps a column header to its field: canonical names and Dutch aliases, case-insensitive,
/// spaces and dashes read as underscores, surrounding spaces ignored. nullopt if unknown.
std::optional<Field> field_from_header(std::string_view header);

/// The platforms a child used.
enum class Platform { tiktok, musically };
/// Who registered the child.
enum class Relation { parent, guardian, self };
/// A claimant's lifecycle state. `linked`: decided to be the same child as another claimant
/// (review.hpp), no longer a claimant of its own.
enum class State { active, withdrawn, opted_out, linked };

/// Stored spellings: `tiktok`, `musical.ly`; `parent`, `guardian`, `self`;
/// `active`, `withdrawn`, `opted-out`, `linked`.
std::string_view to_string(Platform p);
std::string_view to_string(Relation r);
std::string_view to_string(State s);
/// Parses a stored state spelling; throws RuleError if unknown.
State parse_state(std::string_view text);

/// Raw text of one record, indexed by Field; an empty view means missing or empty.
/// Views point into the caller's buffer (a CSV row, option strings).
using RawRecord = std::array<std::string_view, field_count>;

/// A validated, normalised registration.
struct Registration {
    std::string external_ref;       ///< empty when none
    std::string child_first_name;
    std::string child_name_prefix;  ///< tussenvoegsel; may be empty
    std::string child_last_name;
    Date child_birth_date;
    std::string country;            ///< ISO 3166 alpha-2, upper case (`NL`)
    std::string postcode;           ///< `1234 AB` for NL; free text (<= 10) or empty elsewhere
    std::string house_number;       ///< may be empty
    Platform platform = Platform::tiktok;
    Date first_use;
    std::optional<Date> last_use;
    std::string registrant_name;
    std::string registrant_email;
    std::string registrant_phone;   ///< E.164 or empty
    Relation registrant_relation = Relation::parent;
    bool consent = false;
    std::string registered_at;      ///< ISO 8601 date or date-time, as written
};

/// A record that breaks a field rule. what() is "FIELD: RULE"; never the value.
class FieldError : public DataError {
  public:
    FieldError(Field field, const std::string& rule);
    Field field() const noexcept { return field_; }
    const std::string& rule() const noexcept { return rule_; }

  private:
    Field field_;
    std::string rule_;
};

/// Validates and normalises a raw record into a Registration. `today` bounds every date
/// (none may be after it); `now_utc` is the default `registered_at` (`YYYY-MM-DDTHH:MM:SSZ`).
/// Throws FieldError naming the first field that breaks a rule.
Registration parse_registration(const RawRecord& raw, Date today, std::string_view now_utc);

// Single-field rules. Each throws RuleError (rule text only) on bad input.

/// `YYYY-MM-DD`, or day-first `DD-MM-YYYY`, `D-M-YYYY`, `DD/MM/YYYY`; real calendar dates only.
Date parse_date(std::string_view text);
/// `YYYY-MM-DD`.
std::string format_date(Date date);
/// ISO 8601 date or date-time (`2024-01-15`, `2024-01-15T10:00:00Z`, `+01:00`); returns it
/// trimmed, as written. Rejects dates after `today`.
std::string parse_registered_at(std::string_view text, Date today);
/// The date part of a validated `registered_at`.
Date registered_on(std::string_view registered_at);
/// Two-letter country code, upper-cased (a few Dutch/English names of NL, BE, DE accepted).
std::string parse_country(std::string_view text);
/// NL: 4 digits (first not 0) + 2 letters (not SA/SD/SS) -> `1234 AB`. Other countries:
/// optional, at most 10 characters, trimmed.
std::string parse_postcode(std::string_view text, std::string_view country);
/// One `@`, non-empty local part, a domain with a dot; trimmed, domain lower-cased; <= 254.
std::string parse_email(std::string_view text);
/// Dutch numbers -> E.164 (`06 12345678` -> `+31612345678`); `+`/`00` international kept.
std::string parse_phone(std::string_view text);
/// `tiktok`, `musical.ly` in case and spelling variants (`TikTok`, `musically`, `Musical.ly`).
Platform parse_platform(std::string_view text);
/// `parent|guardian|self` and Dutch `ouder|voogd|zelf`, case-insensitive.
Relation parse_relation(std::string_view text);
/// `yes|no|true|false|1|0|ja|nee`, case-insensitive; empty means no.
bool parse_consent(std::string_view text);
/// A name: valid UTF-8, no control characters, trimmed, runs of spaces collapsed, NFC,
/// default-ignorable code points (zero-width spaces, soft hyphens, BOMs) removed, no word that
/// mixes scripts (a Cyrillic look-alike in a Latin name), 1..100 characters (0..100 when
/// `optional`).
std::string parse_name(std::string_view text, bool optional = false);
/// Free text (external reference, house number): valid UTF-8, no control characters,
/// trimmed, at most `max_chars` characters.
std::string parse_text(std::string_view text, std::size_t max_chars);

} // namespace claimreg
