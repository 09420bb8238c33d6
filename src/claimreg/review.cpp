#include "claimreg/review.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/identity.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/record.hpp"
#include "review_decisions.hpp"
#include "store/claimant_scan.hpp"
#include "store/pair_store.hpp"

namespace claimreg {

namespace {

// Links are followed at most this far (a link needs an active claimant to link into, so a
// chain cannot close on itself; the bound guards a damaged file).
constexpr int max_link_depth = 64;

} // namespace

store::LinkState require_state(Registry& registry, std::int64_t id) {
    if (auto s = store::read_link_state(registry, id)) return *s;
    throw no_such_claimant(registry, id);
}

bool is_linked(const store::LinkState& s) {
    return s.state == to_string(State::linked);
}

namespace {

// The identity key of stored claimant `id` (identity.hpp).
std::string identity_of(Registry& registry, std::int64_t id) {
    constexpr store::ColumnSet columns =
        store::columns_of({Field::child_first_name, Field::child_name_prefix,
                           Field::child_last_name, Field::child_birth_date, Field::postcode});
    Registration r;
    const bool found = store::read_claimant(registry, id, columns, [&r](const store::ClaimantRow& row) {
        r.child_first_name = row.text(Field::child_first_name);
        r.child_name_prefix = row.text(Field::child_name_prefix);
        r.child_last_name = row.text(Field::child_last_name);
        r.child_birth_date = parse_date(row.text(Field::child_birth_date));
        r.postcode = row.text(Field::postcode);
    });
    if (!found) throw no_such_claimant(registry, id);
    return identity_key(r);
}

} // namespace

std::int64_t root_of(Registry& registry, std::int64_t id) {
    std::int64_t at = id;
    for (int depth = 0; depth < max_link_depth; ++depth) {
        const auto s = store::read_link_state(registry, at);
        if (!s || !is_linked(*s) || !s->linked_to) return at;
        at = *s->linked_to;
    }
    throw DataError(fmt::format("claimant {}: its links go on too far (a damaged registry?)", id));
}

namespace {

// An audit row for each of the two claimants of a decision.
void audit_both(Registry& registry, AuditAction action, std::int64_t first, std::int64_t second,
                const std::string& detail, const std::string& now) {
    append_audit(registry, action, first, std::nullopt, detail, now);
    append_audit(registry, action, second, std::nullopt, detail, now);
}

std::string with_origin(std::string detail, std::string_view by) {
    if (!by.empty()) (detail += " by=") += by;
    return detail;
}

// Why `id` (state `s`) cannot be linked or kept: empty when it can.
std::string not_linkable(std::int64_t id, const store::LinkState& s, Registry& registry) {
    if (is_linked(s)) {
        return fmt::format("claimant {} is already linked into claimant {}", id,
                           root_of(registry, id));
    }
    if (s.state != to_string(State::active)) {
        return fmt::format("claimant {} is {}, not active", id, s.state);
    }
    return {};
}

} // namespace

void link_in(Registry& registry, std::int64_t keep, std::int64_t other, const std::string& now,
             std::string_view by) {
    if (keep == other)
        throw DataError(fmt::format("claimant {} cannot be linked into itself", keep));
    const store::LinkState k = require_state(registry, keep);
    const store::LinkState o = require_state(registry, other);
    for (const auto& [id, s] : {std::pair{keep, &k}, std::pair{other, &o}}) {
        if (const std::string why = not_linkable(id, *s, registry); !why.empty()) {
            throw DataError(why + ": nothing linked");
        }
    }
    store::set_linked(registry, other, keep, now);
    store::touch_claimant(registry, keep, now);
    store::record_pair_decision(registry, keep, other, "same", now);
    audit_both(registry, AuditAction::linked, keep, other,
               with_origin(fmt::format("keep={} other={}", keep, other), by), now);
}

bool distinct_in(Registry& registry, std::int64_t a, std::int64_t b, const std::string& now,
                 std::string_view by) {
    if (a == b)
        throw DataError(fmt::format("claimant {} is one child: not distinct from itself", a));
    require_state(registry, a);
    require_state(registry, b);
    const std::int64_t ra = root_of(registry, a);
    if (ra == root_of(registry, b)) {
        const std::int64_t linked = ra == a ? b : a;
        throw DataError(fmt::format("claimants {} and {} are one child (claimant {} is linked "
                                    "into {}): unlink it first",
                                    std::min(a, b), std::max(a, b), linked, ra));
    }
    if (store::pair_decision(registry, a, b) == std::optional<std::string>("distinct")) return false;
    store::record_pair_decision(registry, a, b, "distinct", now);
    audit_both(registry, AuditAction::distinct, std::min(a, b), std::max(a, b),
               with_origin(fmt::format("a={} b={}", std::min(a, b), std::max(a, b)), by), now);
    return true;
}

std::optional<std::int64_t> linked_into(Registry& registry, std::int64_t id) {
    const store::LinkState s = require_state(registry, id);
    if (!is_linked(s)) return std::nullopt;
    return root_of(registry, id);
}

LinkedClaimantError::LinkedClaimantError(std::int64_t id, std::int64_t keep)
    : DataError(fmt::format("claimant {} is linked into claimant {} (the same child)", id, keep)),
      id_(id), keep_(keep) {}

LinkedClaimantError linked_claimant_error(std::int64_t id, std::int64_t keep) {
    return LinkedClaimantError(id, keep);
}

std::vector<std::int64_t> claimants_linked_into(Registry& registry, std::int64_t id) {
    return store::claimants_linked_to(registry, id);
}

void link_claimants(Registry& registry, std::int64_t keep, std::int64_t other,
                    const std::string& now) {
    WriteTransaction tx(registry);
    link_in(registry, keep, other, now, "");
    tx.commit();
}

void mark_distinct(Registry& registry, std::int64_t a, std::int64_t b, const std::string& now) {
    WriteTransaction tx(registry);
    if (distinct_in(registry, a, b, now, "")) tx.commit();
}

std::int64_t unlink_claimant(Registry& registry, std::int64_t id, const std::string& now) {
    WriteTransaction tx(registry);
    const store::LinkState s = require_state(registry, id);
    if (!is_linked(s) || !s.linked_to) {
        throw DataError(fmt::format("claimant {} is not linked into another claimant: nothing to "
                                    "unlink",
                                    id));
    }
    const std::int64_t keep = *s.linked_to;
    // A correction from the source may have made it the very child of `keep` (its identity key
    // now the same): two claimants would then be one child.
    if (identity_of(registry, id) == identity_of(registry, keep)) {
        throw DataError(fmt::format("claimant {} is now the same child as claimant {} (the same "
                                    "names, birth date and postcode): not unlinked",
                                    id, keep));
    }
    store::set_unlinked(registry, id, now);
    store::touch_claimant(registry, keep, now);
    store::forget_same_decision(registry, id, keep);
    audit_both(registry, AuditAction::unlinked, keep, id, fmt::format("keep={} other={}", keep, id),
               now);
    tx.commit();
    return keep;
}

} // namespace claimreg
