#pragma once
// The statements of a person's decisions on near-duplicates (review.hpp): claimants' links
// and the decided pairs (`pair_decisions`, lower id first).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "claimreg/registry.hpp"

namespace claimreg::store {

/// A claimant's state and what it is linked to, as stored.
struct LinkState {
    std::string state;
    std::optional<std::int64_t> linked_to;
};

/// The link state of claimant `id`; none when there is no such claimant.
std::optional<LinkState> read_link_state(Registry& registry, std::int64_t id);

/// The claimants linked directly into `id`, ascending.
std::vector<std::int64_t> claimants_linked_to(Registry& registry, std::int64_t id);

/// The decision stored for the pair `a`, `b` (either order), if any.
std::optional<std::string> pair_decision(Registry& registry, std::int64_t a, std::int64_t b);

/// Every decided pair (lower id first).
std::vector<std::pair<std::int64_t, std::int64_t>> decided_pairs(Registry& registry);

/// Stores `decision` for the pair (replacing one stored before), decided at `now`.
void record_pair_decision(Registry& registry, std::int64_t a, std::int64_t b,
                          std::string_view decision, const std::string& now);

/// Deletes the `same` decision of the pair, if stored.
void forget_same_decision(Registry& registry, std::int64_t a, std::int64_t b);

/// Sets claimant `id`'s changed_at to `now`.
void touch_claimant(Registry& registry, std::int64_t id, const std::string& now);

/// Makes `other` state `linked` into `keep`, its state changed (and changed) at `now`.
void set_linked(Registry& registry, std::int64_t other, std::int64_t keep, const std::string& now);

/// Makes claimant `id` active again, linked to none, its state changed (and changed) at `now`.
void set_unlinked(Registry& registry, std::int64_t id, const std::string& now);

} // namespace claimreg::store
