#pragma once
// A claimant's record as text for people: `show`, and `duplicates --show` (two side by side).
// Both print personal data on stdout by design; mind where the output goes.

#include <string>

#include "claimreg/lifecycle.hpp"

namespace claimreg::cli {

/// `key: value` lines (values aligned): the record fields, state, verdict, source and
/// changed_at, then the linked registrations and the audit events.
std::string claimant_text(const ClaimantRecord& c);

/// Two claimants side by side, one line per field: `  key:  value of a | value of b`, indented
/// by two spaces: the id, the record fields, state, source and changed_at.
std::string claimants_side_by_side(const ClaimantRecord& a, const ClaimantRecord& b);

} // namespace claimreg::cli
