#pragma once
// Patterns among the active claimants that point at bulk or fraudulent registration, for a
// person to review (`signals`): one registrant e-mail or phone behind the children of several
// families, more children at one address than a family has, and many registrations of one
// source within a minute. A signal names claimant ids only, never the value they share.

#include <cstdint>
#include <string_view>
#include <vector>

#include "claimreg/registry.hpp"

namespace claimreg {

/// What a signal found, in the order signals are listed.
enum class SignalKind {
    burst,           ///< many registrations of one source within a minute (registered_at)
    crowded_address, ///< more active children at one address (postcode + house number) than a
                     ///< family has
    shared_contact,  ///< one registrant e-mail or phone behind children of several families
};

/// `burst`, `crowded_address`, `shared_contact`.
std::string_view to_string(SignalKind kind);

/// One pattern and the claimants in it.
struct Signal {
    SignalKind kind = SignalKind::burst;
    std::vector<std::int64_t> ids; ///< ascending, no repeats
    std::size_t count() const { return ids.size(); }
};

/// Where a pattern starts.
struct SignalThresholds {
    /// crowded_address: more than this many active children at one postcode and house number.
    std::uint64_t max_children_per_address = 6;
    /// burst: at least this many registrations of one source whose registered_at (a date-time;
    /// a bare date carries no minute) lie within one minute of each other.
    std::uint64_t burst_registrations = 20;
};

/// The signals among the active claimants, sorted by kind, then count (largest first), then
/// first id. shared_contact: an e-mail (any case) or phone of the claimants' own or linked
/// registrations shared by children with at least two family names (prefix and last name,
/// folded as for the identity key) and at least two addresses. One read-only scan of the
/// claimants and one of the linked registrations; memory is a compact key per row.
std::vector<Signal> find_signals(Registry& registry, const SignalThresholds& thresholds = {});

} // namespace claimreg
