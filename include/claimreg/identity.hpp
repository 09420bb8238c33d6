#pragma once
// Who is the same child: the duplicate key of SPEC.md "Identity and duplicates".

#include <cstdint>
#include <string>
#include <string_view>

#include "claimreg/record.hpp"

namespace claimreg {

/// A name part folded for comparison: Unicode case-folded, accents stripped, and spaces,
/// hyphens and apostrophes (' and U+2019) removed. "Zoë" and "ZOE" fold alike.
std::string fold_name(std::string_view name);

/// The duplicate key: folded first name | folded prefix+last name | birth date | postcode.
std::string identity_key(const Registration& r);

/// A compact 64-bit digest of identity_key() (FNV-1a), stored and indexed in the registry.
/// Equal keys give equal digests; a digest match is confirmed against the full key.
std::int64_t identity_digest(std::string_view key);

} // namespace claimreg
