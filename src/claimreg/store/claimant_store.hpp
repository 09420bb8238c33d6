#pragma once
// A claimant's life in the registry: its linked registrations, state changes and erasure.
// The statements of lifecycle.hpp's functions.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "claimreg/lifecycle.hpp"
#include "claimreg/registry.hpp"

namespace claimreg::store {

/// The registrations linked to claimant `id`, in the order they were stored.
std::vector<LinkedRegistration> registrations_of(Registry& registry, std::int64_t id);

/// Calls `visit(claimant, email, phone)` for each registration linked to an active claimant.
void visit_active_registration_contacts(
    Registry& registry,
    const std::function<void(std::int64_t, std::string_view, std::string_view)>& visit);

/// The number of registrations linked to claimant `id`; none when there is no such claimant.
std::optional<std::int64_t> registration_count(Registry& registry, std::int64_t id);

/// The stored state of claimant `id`; none when there is no such claimant.
std::optional<State> stored_state(Registry& registry, std::int64_t id);

/// What a state change stores on a claimant.
struct StateChange {
    std::string_view state;
    std::string_view at; ///< state_changed_at and changed_at
    std::string_view verdict, reasons, age_band;
    std::int64_t check_id = 0;
};

/// Stores `change` on claimant `id`, inside the caller's transaction.
void set_state(Registry& registry, std::int64_t id, const StateChange& change);

/// Deletes claimant `id` and its linked registrations, inside the caller's transaction.
void delete_claimant(Registry& registry, std::int64_t id);

/// Links the claimants linked into `from` into `to` instead, inside the caller's transaction.
void relink_claimants(Registry& registry, std::int64_t from, std::int64_t to);

/// Copies the write-ahead log into the file and empties it; false when a reader kept it from
/// completing.
bool truncate_wal(Registry& registry);

} // namespace claimreg::store
