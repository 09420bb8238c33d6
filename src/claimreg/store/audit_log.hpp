#pragma once
// The audit trail's rows (table `audit`): appending and reading them. See lifecycle.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"

namespace claimreg::store {

/// Appends an audit row (see append_audit in lifecycle.hpp).
void insert_audit(Registry& registry, std::string_view action,
                  std::optional<std::int64_t> claimant_id, std::optional<std::int64_t> count,
                  std::string_view detail, std::string_view at);

/// The audit rows of claimant `id`, oldest first.
std::vector<AuditEvent> audit_of_claimant(Registry& registry, std::int64_t id);

/// The audit rows of `action`, oldest first.
std::vector<AuditEvent> audit_of_action(Registry& registry, std::string_view action);

/// The time of the newest `action` row of claimant `id`, if any.
std::optional<std::string> latest_audit_at(Registry& registry, std::string_view action,
                                           std::int64_t id);

/// The number of `action` rows.
std::uint64_t count_audit(Registry& registry, std::string_view action);

} // namespace claimreg::store
