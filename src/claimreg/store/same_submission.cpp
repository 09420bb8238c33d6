// The same submission again: compared with the stored claimant or linked registration and,
// as the update mode says, reported or applied (the fields that changed, the verdict again,
// an audit row), unless it would make the child the same as another claimant.

#include <array>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "claimant_columns.hpp"
#include "claimreg/columns.hpp"
#include "registrar_impl.hpp"

namespace claimreg {

std::optional<std::int64_t>
Registrar::Impl::other_with_identity(std::int64_t id, const std::string& key, std::int64_t digest) {
    std::vector<std::int64_t> candidates;
    if (keys_) {
        keys_->for_each(digest, [&](std::int64_t c) { candidates.push_back(c); });
    } else {
        auto& st = st_->find_identity;
        st.reset();
        st.bind(1, digest);
        while (st.executeStep()) candidates.push_back(st.getColumn(0).getInt64());
    }
    for (const std::int64_t c : candidates) {
        if (c == id) continue;
        store_pending(c);
        auto& st = st_->load_identity;
        st.reset();
        st.bind(1, c);
        if (st.executeStep() && store::stored_identity_key(st, 0) == key) return c;
    }
    return std::nullopt;
}

AddResult Registrar::Impl::update(const Match& match, const Registration& r, const Row& row,
                            const StoredVerdict& verdict) {
    if (match.registration != 0) return update_linked(match, r, row);
    const std::int64_t id = match.claimant;
    store_pending(id);
    SQLite::Statement& load = match.loaded ? st_->confirm_claimant_ref : st_->load_claimant;
    if (!match.loaded) {
        load.reset();
        load.bind(1, id);
        if (!load.executeStep()) return AddResult{id, AddOutcome::same_submission};
    }
    FieldSet changed = 0;
    const FieldSet given = store::compared_fields(r, row);
    for (std::size_t f = 0; f < field_count; ++f) {
        const Field field = static_cast<Field>(f);
        if ((given & field_bit(field)) == 0) continue;
        const SQLite::Column c = load.getColumn(static_cast<int>(f));
        const std::string_view stored(c.getText(), static_cast<std::size_t>(c.getBytes()));
        if (stored != Registrar::stored_text(r, row, field)) changed |= field_bit(field);
    }
    std::array<std::string, field_count> stored;
    if (changed != 0) {
        for (std::size_t f = 0; f < field_count; ++f) {
            stored[f] = store::column_text(load, static_cast<int>(f));
        }
    }
    const std::array<std::string, 4> old_tally = {
        store::column_text(load, Statements::state_column),
        store::column_text(load, Statements::state_column + 1),
        store::column_text(load, Statements::state_column + 2),
        stored[static_cast<std::size_t>(Field::child_birth_date)]};
    load.reset();
    const State state = parse_state(old_tally[0]);
    const auto result = [&](AddOutcome outcome, FieldSet fields) {
        AddResult out{id, outcome, fields};
        out.state = state;
        return out;
    };
    if (changed == 0) return result(AddOutcome::same_submission, 0);
    if (update_mode_ == UpdateMode::report) return result(AddOutcome::differs, changed);
    // The stored registration with the changed fields taken from `r`.
    Registration merged = r;
    for (std::size_t f = 0; f < field_count; ++f) {
        const Field field = static_cast<Field>(f);
        if ((given & field_bit(field)) == 0) store::set_from_stored(merged, field, stored[f]);
    }
    const std::string key = identity_key(merged);
    const std::int64_t digest = identity_digest(key);
    if ((changed & store::identity_fields) != 0) {
        const auto child_of = [&](std::int64_t c) { // review.hpp: linked into another claimant
            const std::int64_t keep = linked_into(c);
            return keep != 0 ? keep : c;
        };
        const auto other = other_with_identity(id, key, digest);
        if (other && child_of(*other) != child_of(id)) { // one child by a person's decision: fine
            AddResult conflict = result(AddOutcome::identity_conflict, changed);
            conflict.other_id = *other;
            return conflict;
        }
    }
    const Verdict v = evaluate(eligibility_input(merged, state), *verdict.rules, verdict.as_of);
    Row updated = prepare(merged, v);
    updated.content = store::content_digest(content_key_, store::stored_fields(merged, updated));
    auto& st = st_->update_claimant(registry_.db(), changed);
    st.reset();
    store::bind_fields(st, 1, merged, updated, changed);
    st.bind(18, updated.digest);
    st.bind(19, to_string(v.verdict));
    st.bind(20, updated.reasons);
    const std::string band = v.age_band ? std::string(to_string(*v.age_band)) : std::string();
    st.bind(21, band);
    st.bind(22, check_id(verdict));
    st.bind(23, now_);
    st.bind(24, id);
    st.bind(25, updated.content);
    st.exec();
    forget(id);
    move_tally(old_tally,
               {old_tally[0], std::string(to_string(v.verdict)), band, updated.birth_date});
    if (keys_) {
        keys_->insert(updated.digest, id);
        if (updated.ref_digest != 0) keys_->insert(updated.ref_digest, id);
    }
    audit_update(id, "fields=" + field_names(changed, ","));
    return result(AddOutcome::updated, changed);
}

AddResult Registrar::Impl::update_linked(const Match& match, const Registration& r,
                                         const Row& row) {
    const std::int64_t id = match.claimant;
    auto& load = st_->load_registration;
    load.reset();
    load.bind(1, match.registration);
    const auto result = [&](AddOutcome outcome, FieldSet fields) {
        AddResult out{id, outcome, fields};
        out.registration = match.registration;
        return out;
    };
    if (!load.executeStep()) return result(AddOutcome::same_submission, 0);
    Registration merged = r;
    FieldSet changed = 0;
    const FieldSet given = store::compared_fields(r, row);
    int column = 0;
    for (const FieldColumn& c : field_columns) {
        if ((store::registration_fields & field_bit(c.field)) == 0) continue;
        const std::string stored = store::column_text(load, column++);
        if ((given & field_bit(c.field)) == 0) {
            store::set_from_stored(merged, c.field, stored);
        } else if (stored != Registrar::stored_text(r, row, c.field)) {
            changed |= field_bit(c.field);
        }
    }
    load.reset();
    if (changed == 0) return result(AddOutcome::same_submission, 0);
    if (update_mode_ == UpdateMode::report) return result(AddOutcome::differs, changed);
    auto& st = st_->update_registration;
    st.reset();
    // A registration holds none of the dates: `row`'s are not bound.
    const int id_param = store::bind_fields(st, 1, merged, row, store::registration_fields);
    st.bind(id_param, match.registration);
    st.exec();
    auto& touch = st_->touch_claimant;
    touch.reset();
    touch.bind(1, now_);
    touch.bind(2, id);
    touch.exec();
    if (keys_ && !merged.external_ref.empty()) {
        keys_->insert(identity_digest(merged.external_ref), id);
    }
    audit_update(id, fmt::format("registration={} fields={}", match.registration,
                                 field_names(changed, ",")));
    return result(AddOutcome::updated, changed);
}

void Registrar::Impl::audit_update(std::int64_t id, const std::string& detail) {
    auto& audit = st_->insert_audit;
    audit.reset();
    audit.bindNoCopy(1, now_);
    audit.bind(2, id);
    audit.bindNoCopy(3, detail);
    audit.exec();
}

} // namespace claimreg
