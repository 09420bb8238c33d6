#include "claimreg/lifecycle.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include "claimreg/clock.hpp"
#include "claimreg/erasure.hpp"
#include "claimreg/error.hpp"
#include "claimreg/review.hpp"

namespace claimreg {

namespace {

// A column as text; NULL reads as empty.
std::string text(SQLite::Statement& st, int column) {
    const SQLite::Column c = st.getColumn(column);
    return c.isNull() ? std::string() : c.getString();
}

std::optional<std::int64_t> optional_int(SQLite::Statement& st, int column) {
    const SQLite::Column c = st.getColumn(column);
    if (c.isNull()) return std::nullopt;
    return c.getInt64();
}

// `source` plus `:LINE` when there is a line, as an export writes it.
std::string source_with_line(SQLite::Statement& st, int source, int line) {
    std::string s = text(st, source);
    if (const auto l = optional_int(st, line)) s += fmt::format(":{}", *l);
    return s;
}

void bind_optional(SQLite::Statement& st, int index, std::optional<std::int64_t> value) {
    if (value) {
        st.bind(index, *value);
    } else {
        st.bind(index);
    }
}

// The claimant's columns show_claimant reads: the canonical fields (Field order), then these.
const std::string claimant_select = fmt::format(
    "SELECT external_ref, child_first_name, child_name_prefix, child_last_name, "
    "child_birth_date, country, postcode, house_number, platform, first_use, last_use, "
    "registrant_name, registrant_email, registrant_phone, registrant_relation, consent, "
    "registered_at, state, state_changed_at, verdict, reasons, age_band, k.rule_set, k.as_of, "
    "s.name, source_line, changed_at FROM claimants AS c LEFT JOIN checks AS k ON k.id = {} "
    "LEFT JOIN sources AS s ON s.id = c.source_id WHERE c.id = ?",
    effective_check_sql);

} // namespace

NotFoundError no_such_claimant(Registry& registry, std::int64_t id) {
    SQLite::Statement erased(registry.db(), "SELECT at FROM audit WHERE action = ? AND "
                                            "claimant_id = ? ORDER BY id DESC LIMIT 1");
    erased.bind(1, std::string(to_string(AuditAction::erased)));
    erased.bind(2, id);
    if (erased.executeStep()) {
        return NotFoundError(
            fmt::format("no claimant with id {} (erased at {})", id, text(erased, 0)));
    }
    return NotFoundError(fmt::format("no claimant with id {}", id));
}

namespace {

NotFoundError no_claimant(Registry& registry, std::int64_t id) { return no_such_claimant(registry, id); }

// Whether claimant `id` was ever part of a link (an audit row says so): only then can claimants
// be linked into it, and the unindexed search for them is worth its scan.
bool ever_linked(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT 1 FROM audit WHERE action = ? AND claimant_id = ? "
                                        "LIMIT 1");
    st.bind(1, std::string(to_string(AuditAction::linked)));
    st.bind(2, id);
    return st.executeStep();
}

} // namespace

std::string_view to_string(AuditAction action) {
    switch (action) {
    case AuditAction::imported: return "imported";
    case AuditAction::added: return "added";
    case AuditAction::withdrawn: return "withdrawn";
    case AuditAction::opted_out: return "opted-out";
    case AuditAction::erased: return "erased";
    case AuditAction::updated: return "updated";
    case AuditAction::reactivated: return "reactivated";
    case AuditAction::linked: return "linked";
    case AuditAction::unlinked: return "unlinked";
    case AuditAction::distinct: return "distinct";
    }
    return "unknown";
}

void append_audit(Registry& registry, AuditAction action, std::optional<std::int64_t> claimant_id,
                  std::optional<std::int64_t> count, std::string_view detail, std::string_view at) {
    SQLite::Statement& st = registry.statement("INSERT INTO audit (at, action, claimant_id, "
                                               "count, detail) VALUES (?, ?, ?, ?, ?)");
    st.bind(1, std::string(at));
    st.bind(2, std::string(to_string(action)));
    bind_optional(st, 3, claimant_id);
    bind_optional(st, 4, count);
    if (detail.empty()) {
        st.bind(5);
    } else {
        st.bind(5, std::string(detail));
    }
    st.exec();
}

ClaimantRecord show_claimant(Registry& registry, std::int64_t id) {
    SQLite::Database& db = registry.db();
    SQLite::Transaction snapshot(db, SQLite::TransactionBehavior::DEFERRED); // three reads, one state
    ClaimantRecord rec;
    rec.id = id;
    {
        SQLite::Statement st(db, claimant_select);
        st.bind(1, id);
        if (!st.executeStep()) throw no_claimant(registry, id);
        for (std::size_t f = 0; f < field_count; ++f) {
            const int column = static_cast<int>(f);
            rec.fields[f] = static_cast<Field>(f) == Field::consent
                                ? std::string(st.getColumn(column).getInt() != 0 ? "yes" : "no")
                                : text(st, column);
        }
        int c = static_cast<int>(field_count);
        rec.state = text(st, c++);
        rec.state_changed_at = text(st, c++);
        rec.verdict = text(st, c++);
        rec.reasons = text(st, c++);
        rec.age_band = text(st, c++);
        rec.rule_set = text(st, c++);
        rec.checked_at = text(st, c++);
        rec.source = source_with_line(st, c, c + 1);
        c += 2;
        rec.changed_at = text(st, c);
    }
    if (rec.state == to_string(State::linked)) rec.linked_to = linked_into(registry, id);
    if (ever_linked(registry, id)) rec.linked_claimants = claimants_linked_into(registry, id);
    {
        SQLite::Statement st(db, "SELECT r.id, external_ref, registrant_name, registrant_email, "
                                 "registrant_phone, registrant_relation, consent, registered_at, "
                                 "s.name, source_line, added_at FROM registrations AS r "
                                 "LEFT JOIN sources AS s ON s.id = r.source_id "
                                 "WHERE claimant_id = ? ORDER BY r.id");
        st.bind(1, id);
        while (st.executeStep()) {
            LinkedRegistration r;
            r.id = st.getColumn(0).getInt64();
            r.external_ref = text(st, 1);
            r.registrant_name = text(st, 2);
            r.registrant_email = text(st, 3);
            r.registrant_phone = text(st, 4);
            r.registrant_relation = text(st, 5);
            r.consent = st.getColumn(6).getInt() != 0;
            r.registered_at = text(st, 7);
            r.source = source_with_line(st, 8, 9);
            r.added_at = text(st, 10);
            rec.registrations.push_back(std::move(r));
        }
    }
    {
        SQLite::Statement st(db, "SELECT id, at, action, claimant_id, count, detail FROM audit "
                                 "WHERE claimant_id = ? ORDER BY id");
        st.bind(1, id);
        while (st.executeStep()) {
            AuditEvent e;
            e.id = st.getColumn(0).getInt64();
            e.at = text(st, 1);
            e.action = text(st, 2);
            e.claimant_id = optional_int(st, 3);
            e.count = optional_int(st, 4);
            e.detail = text(st, 5);
            rec.audit.push_back(std::move(e));
        }
    }
    snapshot.commit();
    return rec;
}

AddResult add_registration(Registry& registry, const Registration& r, const StoredVerdict& verdict,
                           const Source& source) {
    WriteTransaction tx(registry);
    AddResult result;
    {
        Registrar registrar(registry);
        result = registrar.add(r, verdict, source);
    }
    if (result.linked_to != 0) result.id = result.linked_to; // the child's claimant
    if (result.outcome == AddOutcome::added || result.outcome == AddOutcome::linked) {
        append_audit(registry, AuditAction::added, result.id, 1,
                     result.outcome == AddOutcome::added ? "new claimant" : "linked registration",
                     now_utc());
    }
    tx.commit();
    return result;
}

FieldSet update_claimant(Registry& registry, std::int64_t id, const RawRecord& values,
                         FieldSet given, Date today, const std::string& now) {
    WriteTransaction tx(registry);
    if (const auto keep = linked_into(registry, id)) throw linked_claimant_error(id, *keep);
    std::array<std::string, field_count> stored;
    {
        SQLite::Statement st(registry.db(), claimant_select);
        st.bind(1, id);
        if (!st.executeStep()) throw no_claimant(registry, id);
        for (std::size_t f = 0; f < field_count; ++f) {
            const int column = static_cast<int>(f);
            stored[f] = static_cast<Field>(f) == Field::consent
                            ? std::string(st.getColumn(column).getInt() != 0 ? "yes" : "no")
                            : text(st, column);
        }
    }
    RawRecord raw;
    for (std::size_t f = 0; f < field_count; ++f) {
        raw[f] = (given & field_bit(static_cast<Field>(f))) != 0 ? values[f] : stored[f];
    }
    const Registration r = parse_registration(raw, today, now);
    const RuleSet& rules = default_rule_set();
    AddResult result;
    {
        Registrar registrar(registry);
        registrar.set_update_mode(UpdateMode::apply);
        result = registrar.correct(id, r, StoredVerdict{evaluate(eligibility_input(r), rules, today),
                                                        &rules, today});
    }
    if (result.outcome == AddOutcome::identity_conflict) {
        throw DataError(fmt::format("claimant {}: the update ({}) would make it the same child as "
                                    "claimant {}: not applied",
                                    id, field_names(result.changed, ", "), result.other_id));
    }
    if (result.outcome != AddOutcome::updated) return 0; // nothing written: rolled back
    tx.commit();
    return result.changed;
}

WithdrawResult change_state(Registry& registry, std::int64_t id, State target, Date as_of,
                            const std::string& now) {
    WithdrawResult result;
    std::string rule_set;
    std::string country;
    EligibilityInput in;
    {
        static const std::string select = fmt::format(
            "SELECT state, state_changed_at, k.rule_set, verdict, reasons, child_birth_date, "
            "country, platform, first_use, last_use, registrant_relation, consent, "
            "registered_at, age_band FROM claimants AS c LEFT JOIN checks AS k ON k.id = {} "
            "WHERE c.id = ?",
            effective_check_sql);
        SQLite::Statement& st = registry.statement(select);
        const struct Reset {
            SQLite::Statement& st;
            ~Reset() { st.reset(); }
        } reset{st};
        st.bind(1, id);
        if (!st.executeStep()) throw no_claimant(registry, id);
        result.previous = parse_state(text(st, 0));
        if (result.previous == State::linked) {
            throw linked_claimant_error(id, linked_into(registry, id).value_or(0));
        }
        result.state = result.previous;
        result.state_changed_at = text(st, 1);
        rule_set = text(st, 2);
        result.verdict = text(st, 3);
        result.reasons = text(st, 4);
        result.verdict_before = result.verdict;
        result.age_band_before = text(st, 13);
        result.age_band = result.age_band_before;
        result.birth_date = text(st, 5);
        try {
            in.child_birth_date = parse_date(text(st, 5));
            country = text(st, 6);
            in.country = country;
            in.platform = parse_platform(text(st, 7));
            in.first_use = parse_date(text(st, 8));
            if (!st.getColumn(9).isNull()) in.last_use = parse_date(text(st, 9));
            in.registrant_relation = parse_relation(text(st, 10));
            in.consent = st.getColumn(11).getInt() != 0;
            in.registered_on = registered_on(text(st, 12));
        } catch (const RuleError&) {
            throw DataError(fmt::format("stored claimant {} fails validation", id));
        }
    }
    // Already there, or opted out (a withdrawal does not undo the formal opt-out): unchanged.
    if (result.previous == target ||
        (target == State::withdrawn && result.previous == State::opted_out)) {
        return result;
    }
    if (target == State::active && result.previous == State::opted_out) {
        result.refused = true; // the formal opt-out is final
        return result;
    }
    // The verdict follows the new state at once (reason withdrawn / opted_out), under the
    // claimant's rule set (the default if this build does not know it).
    const RuleSet* rules = &default_rule_set();
    for (const RuleSet& r : rule_sets()) {
        if (r.name == rule_set) rules = &r;
    }
    in.state = target;
    const Verdict verdict = evaluate(in, *rules, as_of);
    result.verdict = std::string(to_string(verdict.verdict));
    result.reasons = join_reasons(verdict.reasons);
    {
        SQLite::Statement& st =
            registry.statement("UPDATE claimants SET state = ?1, state_changed_at = ?2, "
                               "changed_at = ?2, verdict = ?3, reasons = ?4, age_band = ?5, "
                               "check_id = ?6 WHERE id = ?7");
        st.bind(1, std::string(to_string(target)));
        st.bind(2, now);
        st.bind(3, result.verdict);
        st.bind(4, result.reasons);
        result.age_band = verdict.age_band ? std::string(to_string(*verdict.age_band)) : std::string();
        st.bind(5, result.age_band);
        st.bind(6, record_check(registry, *rules, as_of, CheckScope::rows));
        st.bind(7, id);
        st.exec();
    }
    const AuditAction action = target == State::opted_out ? AuditAction::opted_out
                               : target == State::withdrawn ? AuditAction::withdrawn
                                                            : AuditAction::reactivated;
    append_audit(registry, action, id, std::nullopt,
                 fmt::format("from {}", to_string(result.previous)), now);
    result.state = target;
    result.changed = true;
    result.state_changed_at = now;
    return result;
}

WithdrawResult withdraw_claimant(Registry& registry, std::int64_t id, State target, Date as_of,
                                 const std::string& now) {
    if (target == State::active) throw UsageError("a claimant cannot be withdrawn into 'active'");
    WriteTransaction tx(registry);
    WithdrawResult result = change_state(registry, id, target, as_of, now);
    if (result.changed) tx.commit(); // else nothing was written
    return result;
}

std::int64_t linked_registration_count(Registry& registry, std::int64_t id) {
    SQLite::Statement st(registry.db(), "SELECT (SELECT count(*) FROM registrations WHERE "
                                        "claimant_id = ?1) FROM claimants WHERE id = ?1");
    st.bind(1, id);
    if (!st.executeStep()) throw no_claimant(registry, id);
    return st.getColumn(0).getInt64();
}

EraseResult erase_claimant(Registry& registry, std::int64_t id, const std::string& now) {
    SQLite::Database& db = registry.db();
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
        SQLite::Statement registrations(db, "DELETE FROM registrations WHERE claimant_id = ?");
        SQLite::Statement claimant(db, "DELETE FROM claimants WHERE id = ?");
        // secure_delete (set on every connection) zeroes the freed cells and pages.
        const auto erase_one = [&](std::int64_t c) {
            remember_erased(registry, c); // keyed digests only: the same child is not stored again
            registrations.reset();
            registrations.bind(1, c);
            registrations.exec();
            claimant.reset();
            claimant.bind(1, c);
            claimant.exec();
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
            SQLite::Statement relink(db, "UPDATE claimants SET linked_to = ?1 WHERE linked_to = ?2");
            relink.bind(1, *linked_keep);
            relink.bind(2, id);
            relink.exec();
        }
        erase_one(id);
        append_audit(registry, AuditAction::erased, id,
                     1 + result.linked + result.linked_claimants, detail, now);
        tx.commit();
    }
    // The log still holds the pages as they were before: copy the new ones into the file and
    // empty it. Waits (busy timeout) for readers; one still reading leaves it incomplete.
    SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (checkpoint.executeStep()) result.wal_truncated = checkpoint.getColumn(0).getInt() == 0;
    return result;
}

std::uint64_t erased_count(Registry& registry) {
    SQLite::Statement st(registry.db(), "SELECT count(*) FROM audit WHERE action = ?");
    st.bind(1, std::string(to_string(AuditAction::erased)));
    st.executeStep();
    return static_cast<std::uint64_t>(st.getColumn(0).getInt64());
}

} // namespace claimreg
