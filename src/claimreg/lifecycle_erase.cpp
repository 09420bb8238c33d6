#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "claimreg/erasure.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/review.hpp"
#include "lifecycle_links.hpp"
#include "store/audit_log.hpp"
#include "store/claimant_store.hpp"

namespace claimreg {

std::int64_t linked_registration_count(Registry& registry, std::int64_t id) {
    const std::optional<std::int64_t> n = store::registration_count(registry, id);
    if (!n) throw no_such_claimant(registry, id);
    return *n;
}

EraseResult erase_claimant(Registry& registry, std::int64_t id, const std::string& now) {
    EraseResult result;
    {
        WriteTransaction tx(registry);
        result.linked = linked_registration_count(registry, id);
        // The same child: the claimants linked into it, and those linked into them.
        std::vector<std::int64_t> children;
        const auto linked_keep = linked_into(registry, id);
        if (!linked_keep && ever_linked(registry, id)) {
            std::vector<std::int64_t> todo{id};
            while (!todo.empty()) {
                const std::int64_t of = todo.back();
                todo.pop_back();
                if (of != id && !ever_linked(registry, of)) continue;
                for (const std::int64_t c : claimants_linked_into(registry, of)) {
                    children.push_back(c);
                    todo.push_back(c);
                }
            }
            std::sort(children.begin(), children.end());
        }
        const auto erase_one = [&](std::int64_t c) {
            remember_erased(registry, c); // keyed digests only: the same child is not stored again
            store::delete_claimant(registry, c);
        };
        std::string ids;
        for (const std::int64_t c : children) {
            result.linked += linked_registration_count(registry, c);
            erase_one(c);
            ids += fmt::format("{}{}", ids.empty() ? " claimants=" : ",", c);
        }
        const std::string detail = fmt::format("linked={}{}", result.linked, ids);
        result.linked_claimants = static_cast<std::int64_t>(children.size());
        if (linked_keep) {
            // Claimants linked into this one now belong to the one it was linked into.
            store::relink_claimants(registry, id, *linked_keep);
        }
        erase_one(id);
        append_audit(registry, AuditAction::erased, id,
                     1 + result.linked + result.linked_claimants, detail, now);
        tx.commit();
    }
    // The log still holds the pages as they were before: copy the new ones into the file and
    // empty it. Waits (busy timeout) for readers; one still reading leaves it incomplete.
    result.wal_truncated = store::truncate_wal(registry);
    return result;
}

std::uint64_t erased_count(Registry& registry) {
    return store::count_audit(registry, to_string(AuditAction::erased));
}

} // namespace claimreg
