#pragma once
// Reading stored claimants: which columns a claimant has (its fields, from columns.hpp, and
// what the registry keeps beside them), a row of them as views into SQLite's own row, and the
// scans that yield such rows. The SQL of these reads is here and in claimant_scan.cpp only.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "claimreg/columns.hpp"
#include "claimreg/eligibility.hpp"
#include "claimreg/record.hpp"
#include "claimreg/registry.hpp"

struct sqlite3_stmt;

namespace claimreg::store {

/// What the registry keeps about a claimant beside its fields.
enum class Kept : std::uint8_t {
    id,
    state,
    verdict,
    reasons,
    age_band,
    rule_set,   ///< of the check that evaluated it last
    checked_at, ///< that check's as-of date
    source,     ///< the source's name (`add`, `import-csv:FILE`)
    source_line,
    state_changed_at,
    changed_at,
    check_id, ///< its own check (not the newest check of all rows)
    source_id,
};
inline constexpr std::size_t kept_count = 13;

/// How a kept column's value reads.
enum class KeptValue : std::uint8_t {
    text,    ///< text as stored
    integer, ///< an integer
    codes,   ///< comma-separated codes
};

/// One kept column.
struct KeptColumn {
    Kept column;
    std::string_view name; ///< its name in exports and `show`
    std::string_view sql;  ///< its expression over `claimants AS c`, `checks AS k`, `sources AS s`
    KeptValue value;
    ValueKind kind; ///< optional: absent (NULL or empty) is no value
};

/// Every kept column, in Kept order.
inline constexpr std::array<KeptColumn, kept_count> kept_columns = {{
    {Kept::id, "id", "c.id", KeptValue::integer, ValueKind::text},
    {Kept::state, "state", "c.state", KeptValue::text, ValueKind::text},
    {Kept::verdict, "verdict", "c.verdict", KeptValue::text, ValueKind::text},
    {Kept::reasons, "reasons", "c.reasons", KeptValue::codes, ValueKind::text},
    {Kept::age_band, "age_band", "c.age_band", KeptValue::text, ValueKind::optional},
    {Kept::rule_set, "rule_set", "k.rule_set", KeptValue::text, ValueKind::text},
    {Kept::checked_at, "checked_at", "k.as_of", KeptValue::text, ValueKind::text},
    {Kept::source, "source", "s.name", KeptValue::text, ValueKind::text},
    {Kept::source_line, "source_line", "c.source_line", KeptValue::integer, ValueKind::optional},
    {Kept::state_changed_at, "state_changed_at", "c.state_changed_at", KeptValue::text,
     ValueKind::optional},
    {Kept::changed_at, "changed_at", "c.changed_at", KeptValue::text, ValueKind::text},
    {Kept::check_id, "check_id", "c.check_id", KeptValue::integer, ValueKind::text},
    {Kept::source_id, "source_id", "c.source_id", KeptValue::integer, ValueKind::text},
}};

/// A column a scan reads: a field (its Field value) or a kept column (after the fields).
using ColumnId = std::uint8_t;
inline constexpr std::size_t column_count = field_count + kept_count;
constexpr ColumnId column_id(Field f) { return static_cast<ColumnId>(f); }
constexpr ColumnId column_id(Kept k) { return static_cast<ColumnId>(field_count + static_cast<std::size_t>(k)); }

/// A set of columns (bit `1 << ColumnId`).
using ColumnSet = std::uint32_t;
static_assert(column_count <= 32);
constexpr ColumnSet column_bit(ColumnId c) { return ColumnSet{1} << c; }
constexpr ColumnSet columns_of(std::initializer_list<Field> fields, std::initializer_list<Kept> kept = {}) {
    ColumnSet set = 0;
    for (const Field f : fields) set |= column_bit(column_id(f));
    for (const Kept k : kept) set |= column_bit(column_id(k));
    return set;
}
/// Every field.
inline constexpr ColumnSet field_column_set = (ColumnSet{1} << field_count) - 1;
/// The fields an evaluation reads (see eligibility_input).
inline constexpr ColumnSet eligibility_columns =
    columns_of({Field::child_birth_date, Field::country, Field::platform, Field::first_use,
                Field::last_use, Field::registrant_relation, Field::consent, Field::registered_at});

/// Whether column `c` holds an integer (read with integer(), not text()).
constexpr bool is_integer_column(ColumnId c) {
    if (c < field_count) return field_columns[c].kind == ValueKind::boolean;
    return kept_columns[c - field_count].value == KeptValue::integer;
}

/// Whether column `c` is an integer that may be NULL.
constexpr bool is_optional_integer(ColumnId c) {
    return is_integer_column(c) && c >= field_count &&
           kept_columns[c - field_count].kind == ValueKind::optional;
}

/// The columns of one stored claimant that a scan read: views into SQLite's row, valid until
/// the scan moves on. Columns not read are empty.
class ClaimantRow {
  public:
    std::string_view text(Field f) const { return text_[column_id(f)]; }
    std::string_view text(Kept k) const { return text_[column_id(k)]; }
    /// A boolean field (consent).
    bool flag(Field f) const { return integer_[column_id(f)] != 0; }
    std::int64_t integer(Kept k) const { return integer_[column_id(k)]; }
    bool is_null(Field f) const { return is_null_at(column_id(f)); }
    bool is_null(Kept k) const { return is_null_at(column_id(k)); }
    /// The same by column id: text_at for a text column, integer_at for an integer one.
    std::string_view text_at(ColumnId c) const { return text_[c]; }
    std::int64_t integer_at(ColumnId c) const { return integer_[c]; }
    bool is_null_at(ColumnId c) const {
        return is_integer_column(c) ? null_[c] : text_[c].data() == nullptr;
    }

    /// How a set of columns is read: the result columns (0, 1...) of its text and of its
    /// integer columns.
    class Plan {
      public:
        explicit Plan(ColumnSet set);
        ColumnSet set() const { return set_; }

      private:
        friend class ClaimantRow;
        struct Slot {
            std::uint8_t index;  ///< the result column
            ColumnId column;
            bool nullable; ///< an integer column that may be NULL
        };
        ColumnSet set_;
        std::array<Slot, column_count> text_{}, integer_{};
        std::size_t texts_ = 0, integers_ = 0;
    };

    /// Fills the columns of `plan` from a reader of result columns 0, 1...:
    /// `read.text(i)` (no data when NULL), `read.integer(i)`, `read.is_null(i)`.
    template <typename Reader> void fill(const Plan& plan, const Reader& read);

  private:
    std::array<std::string_view, column_count> text_{};
    std::array<std::int64_t, column_count> integer_{};
    std::array<bool, column_count> null_{}; ///< integer columns (a NULL text has no data)
};

template <typename Reader> void ClaimantRow::fill(const Plan& plan, const Reader& read) {
    for (std::size_t i = 0; i < plan.texts_; ++i) {
        const Plan::Slot slot = plan.text_[i];
        text_[slot.column] = read.text(slot.index);
    }
    for (std::size_t i = 0; i < plan.integers_; ++i) {
        const Plan::Slot slot = plan.integer_[i];
        null_[slot.column] = slot.nullable && read.is_null(slot.index);
        integer_[slot.column] = read.integer(slot.index);
    }
}

/// The text of field `f` as a record holds it: a boolean `yes` or `no`, an absent value empty.
inline std::string_view record_text(const ClaimantRow& row, Field f) {
    if (column_of(f).kind == ValueKind::boolean) return row.flag(f) ? "yes" : "no";
    return row.text(f);
}

class VisitedRow; // visited_row.hpp

/// The facts an evaluation takes from a stored claimant read with eligibility_columns (and
/// the state, when read; otherwise active), from a ClaimantRow or a VisitedRow. Throws
/// RuleError when a stored value fails its rule (a registry changed by hand).
template <typename Row> EligibilityInput eligibility_input(const Row& row, ColumnSet read);

/// Which claimants a scan reads.
struct ClaimantFilter {
    enum class States : std::uint8_t {
        active,     ///< active ones only
        not_linked, ///< any but those linked into another (review.hpp)
        any,
    };
    States states = States::active;
    std::optional<std::int64_t> id;        ///< only this claimant
    std::string_view changed_since;        ///< changed_at at or after this UTC time; empty: any
    std::span<const VerdictKind> verdicts; ///< only these verdicts; empty: any
    /// Read the table in id order, without its indexes (nearly every row is read).
    bool whole_table = false;
};

/// Claimants stepped one by one, ordered by id.
class ClaimantScan {
  public:
    /// Prepares the scan of the columns `columns` of the claimants `filter` selects.
    ClaimantScan(Registry& registry, ColumnSet columns, const ClaimantFilter& filter);
    ~ClaimantScan();
    ClaimantScan(const ClaimantScan&) = delete;
    ClaimantScan& operator=(const ClaimantScan&) = delete;
    /// Moves to the next claimant; false when there is none.
    bool next();
    const ClaimantRow& row() const { return row_; }

  private:
    sqlite3_stmt* st_ = nullptr;
    ClaimantRow::Plan plan_;
    ClaimantRow row_;
};

/// Reads the columns `columns` of claimant `id` and calls `read` with them, with a statement
/// prepared once per connection (for code run once per imported row); false when there is no
/// such claimant.
bool read_claimant(Registry& registry, std::int64_t id, ColumnSet columns,
                   const std::function<void(const ClaimantRow&)>& read);


} // namespace claimreg::store
