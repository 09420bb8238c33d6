#include "claimreg/importer.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "claimreg/error.hpp"
#include "claimreg/files.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/record.hpp"

namespace claimreg {

namespace {

// Columns an export or a rejects file adds; ignored on import so those files re-import.
constexpr std::array<std::string_view, 9> ignored_columns = {
    "id", "state", "verdict", "reasons", "age_band", "rule_set", "checked_at", "source", "reason"};

constexpr std::uint64_t progress_every = 50000;

// Which file column feeds each field, read from the header row.
struct ColumnMap {
    std::array<std::optional<std::size_t>, field_count> column_of;
    std::vector<std::string> headers; // as written in the file
    std::vector<std::string> letters; // what the source calls each column besides its header
    std::size_t width = 0;
    std::optional<std::size_t> state_column; // `state`, `status`, `status_aanmelding`
    FieldSet given = 0;                      // the fields with a column

    std::string column_label(Field f) const {
        const auto& i = column_of[static_cast<std::size_t>(f)];
        const std::string_view canonical = field_name(f);
        if (!i) return std::string(canonical);
        const std::string prefix = letters[*i].empty() ? "" : letters[*i] + " ";
        if (headers[*i] == canonical) return prefix + std::string(canonical);
        return fmt::format("{}{} ({})", prefix, headers[*i], canonical);
    }

    // A column by position (one that may feed no field).
    std::string column_label(std::size_t i) const {
        for (std::size_t f = 0; f < field_count; ++f) {
            if (column_of[f] == i) return column_label(static_cast<Field>(f));
        }
        return letters[i].empty() ? headers[i] : letters[i] + " " + headers[i];
    }
};

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

bool is_state_header(std::string_view header) {
    const std::string name = normalise_header(header);
    return name == "state" || name == "status" || name == "status_aanmelding";
}

// A `state` cell: nullopt when empty; throws RuleError when not a state.
std::optional<State> parse_state_cell(std::string_view text) {
    const std::string value = normalise_header(text);
    if (value.empty()) return std::nullopt;
    if (value == "active" || value == "actief") return State::active;
    if (value == "withdrawn" || value == "ingetrokken") return State::withdrawn;
    if (value == "opted_out" || value == "afgemeld") return State::opted_out;
    throw RuleError("not active, withdrawn or opted-out (actief, ingetrokken, afgemeld)");
}

ColumnMap map_header(const CsvRecord& header, const RecordSource& source,
                     const ImportOptions& options) {
    const std::string where = source.row_name(header.line);
    if (header.problem != RowProblem::none) {
        throw DataError(fmt::format("{}: header row: {}", where, to_string(header.problem)));
    }
    ColumnMap map;
    map.width = header.fields.size();
    std::vector<std::string> missing;
    std::vector<std::string> unknown;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        map.letters.push_back(source.column_name(i));
        map.headers.push_back(trimmed(header.fields[i]));
        const std::string& name = map.headers.back();
        if (is_state_header(name)) {
            if (map.state_column) {
                throw DataError(fmt::format("line {}: column state appears twice", header.line));
            }
            map.state_column = i;
        } else if (const auto field = field_from_header(name)) {
            auto& slot = map.column_of[static_cast<std::size_t>(*field)];
            if (slot) {
                throw DataError(fmt::format("{}: column {} appears twice", where,
                                            field_name(*field)));
            }
            slot = i;
            map.given |= field_bit(*field);
        } else if (!is_export_only_column(name)) {
            unknown.push_back(name);
        }
    }
    for (std::size_t f = 0; f < field_count; ++f) {
        if (field_is_required(static_cast<Field>(f)) && !map.column_of[f]) {
            missing.emplace_back(field_name(static_cast<Field>(f)));
        }
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw DataError(fmt::format("{}: missing required column{}: {}", where,
                                    missing.size() > 1 ? "s" : "", list));
    }
    // Named only now: without its required columns the first row may be data, not a header.
    if (options.on_unknown_column) {
        for (const auto& name : unknown) options.on_unknown_column(name);
    }
    return map;
}

// A row after the work that needs no registry (CSV, record rules, eligibility, keys): a
// registration to store, or the reason it is rejected with its cells for the rejects file.
struct PreparedRow {
    std::uint64_t line = 0;
    std::optional<RowError> error;
    std::vector<std::string> cells; // only when rejected
    Registration registration;
    Verdict verdict;
    Registrar::Row stored; // keys and text for the registry
    std::optional<State> state; // the `state` cell, when given
};

// Rows in file order, handed from the reading thread to the storing one.
struct Batch {
    std::vector<PreparedRow> rows;
    std::uint64_t bytes_read = 0;
    bool last = false;
    std::exception_ptr error; // what stopped the reading thread
};

// A bounded queue of batches between one producer and one consumer.
class BatchQueue {
  public:
    explicit BatchQueue(std::size_t capacity) : capacity_(capacity) {}

    // False when the consumer has stopped (the batch is dropped).
    bool push(Batch batch) {
        std::unique_lock lock(mutex_);
        not_full_.wait(lock, [&] { return batches_.size() < capacity_ || stopped_; });
        if (stopped_) return false;
        batches_.push_back(std::move(batch));
        not_empty_.notify_one();
        return true;
    }

    Batch pop() {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return !batches_.empty(); });
        Batch batch = std::move(batches_.front());
        batches_.pop_front();
        not_full_.notify_one();
        return batch;
    }

    // A batch if one is waiting.
    std::optional<Batch> try_pop() {
        const std::lock_guard lock(mutex_);
        if (batches_.empty()) return std::nullopt;
        std::optional<Batch> batch(std::move(batches_.front()));
        batches_.pop_front();
        not_full_.notify_one();
        return batch;
    }

    // The consumer gives up: the producer's next push returns false.
    void stop() {
        const std::lock_guard lock(mutex_);
        stopped_ = true;
        not_full_.notify_all();
    }

  private:
    std::mutex mutex_;
    std::condition_variable not_full_;
    std::condition_variable not_empty_;
    std::deque<Batch> batches_;
    std::size_t capacity_;
    bool stopped_ = false;
};

constexpr std::size_t batch_rows = 512;
constexpr std::size_t queued_batches = 8;

class Importer {
  public:
    Importer(RecordSource& source, Registry& registry, const ImportOptions& options)
        : reader_(source), registry_(registry), options_(options),
          rules_(default_rule_set()) {}

    // Reading, checking and evaluating rows (a second thread) overlaps storing them (this
    // one, the only one to touch the registry); rows are stored and reported in file order.
    ImportReport run() {
        CsvRecord record;
        if (!reader_.next(record)) throw DataError("empty input: no header row");
        map_ = map_header(record, reader_, options_);
        if (options_.rejects) {
            rejects_.emplace(options_.rejects, reader_.rejects_delimiter(), /*neutralise_formulas=*/true);
            write_rejects_header();
        }

        WriteTransaction tx(registry_);
        Registrar registrar(registry_);
        registrar.set_update_mode(options_.update ? UpdateMode::apply : UpdateMode::report);
        registrar.begin_bulk(options_.expected_rows);
        registrar_ = &registrar; // for the reading thread: only its content digests
        BatchQueue queue(queued_batches);
        // Stored batches go back to be freed by the thread that allocated them (cheaper for
        // malloc than freeing them here). It frees them whenever it hands over a batch, so
        // this never holds more than about the queue above; unbounded, a push never waits.
        BatchQueue stored(std::numeric_limits<std::size_t>::max());
        std::thread reading([&] { read_rows(queue, stored); });
        const struct Join {
            BatchQueue& queue;
            std::thread& thread;
            ~Join() {
                queue.stop();
                thread.join();
            }
        } join{queue, reading};
        const Source source{"import-csv", options_.source_name, 0};
        constexpr std::size_t prefetch_ahead = 8;
        for (Batch batch = queue.pop();; batch = queue.pop()) {
            for (std::size_t i = 0; i < batch.rows.size(); ++i) {
                const PreparedRow& row = batch.rows[i];
                if (i + prefetch_ahead < batch.rows.size() && !batch.rows[i + prefetch_ahead].error) {
                    registrar.prefetch(batch.rows[i + prefetch_ahead].stored);
                }
                ++report_.rows_read;
                store_row(row, registrar, source);
                if (options_.on_progress && report_.rows_read % progress_every == 0) {
                    report_.bytes_read = batch.bytes_read;
                    options_.on_progress(report_);
                }
            }
            registrar.flush(); // the batch's rows are written before it goes
            report_.bytes_read = batch.bytes_read;
            if (batch.error) std::rethrow_exception(batch.error);
            if (batch.last) break;
            stored.push(std::move(batch));
        }
        const bool refuse = options_.strict && report_.rejected > 0;
        if (!options_.dry_run && !refuse) {
            if (options_.on_finishing) options_.on_finishing(report_);
            registrar.end_bulk();
            // One audit row for an import that stored something (a re-import changes nothing).
            if (report_.imported + report_.linked + report_.updated > 0) {
                append_audit(registry_, AuditAction::imported, std::nullopt,
                             static_cast<std::int64_t>(report_.imported),
                             fmt::format("rows_read={} duplicates={} linked={} updated={} "
                                         "rejected={} file={}",
                                         report_.rows_read, report_.duplicates, report_.linked,
                                         report_.updated, report_.rejected, options_.source_name),
                             options_.now_utc);
            }
            tx.commit();
        } // else the rollback restores everything, dropped indexes included

        if (rejects_) rejects_->flush();
        return report_;
    }

  private:
    // The reading thread: no registry access.
    void read_rows(BatchQueue& queue, BatchQueue& stored) {
        Batch batch;
        batch.rows.reserve(batch_rows);
        try {
            CsvRecord record;
            while (reader_.next(record)) {
                prepare_row(record, batch.rows.emplace_back());
                if (batch.rows.size() == batch_rows) {
                    batch.bytes_read = reader_.bytes_read();
                    if (!queue.push(std::move(batch))) return;
                    batch = Batch();
                    batch.rows.reserve(batch_rows);
                    while (stored.try_pop()) {
                    }
                }
            }
            batch.bytes_read = reader_.bytes_read();
            batch.last = true;
        } catch (...) {
            batch.error = std::current_exception();
        }
        queue.push(std::move(batch));
    }

    // Fills `row` (in place: a row is large and moving it costs).
    void prepare_row(const CsvRecord& record, PreparedRow& row) const {
        row.line = record.line;
        const auto reject = [&](std::string column, std::string rule) {
            row.error = RowError{record.line, std::move(column), std::move(rule)};
            row.cells.assign(record.fields.begin(), record.fields.end());
        };
        if (record.problem != RowProblem::none) {
            const std::size_t at = record.problem_column;
            return reject(at == CsvRecord::no_column ? std::string()
                          : at < map_.width           ? map_.column_label(at)
                                                      : reader_.column_name(at),
                          std::string(to_string(record.problem)));
        }
        if (record.fields.size() != map_.width) {
            return reject("", fmt::format("expected {} fields, found {}", map_.width,
                                          record.fields.size()));
        }
        RawRecord raw{};
        for (std::size_t f = 0; f < field_count; ++f) {
            if (const auto& column = map_.column_of[f]) {
                raw[f] = strip_formula_guard(record.fields[*column]);
                // A spreadsheet that took a phone number for a number dropped its leading 0
                // or +: what it was cannot be told, so the row goes back for correction.
                if (static_cast<Field>(f) == Field::registrant_phone && *column < record.kinds.size() &&
                    record.kinds[*column] == CellKind::number) {
                    return reject(map_.column_label(Field::registrant_phone),
                                  "a number, not text (a spreadsheet drops a phone number's "
                                  "leading 0 or +): store the column as text");
                }
            }
        }
        try {
            row.registration = parse_registration(raw, options_.today, options_.now_utc);
        } catch (const FieldError& e) {
            return reject(map_.column_label(e.field()), e.rule());
        }
        if (map_.state_column) {
            try {
                row.state = parse_state_cell(record.fields[*map_.state_column]);
            } catch (const RuleError& e) {
                return reject(map_.headers[*map_.state_column], e.what());
            }
        }
        row.verdict = evaluate(eligibility_input(row.registration), rules_, options_.today);
        row.stored = Registrar::prepare(row.registration, row.verdict);
        // Only what the file gives is compared with a stored registration: a missing column,
        // or a registered_at left to default to now, keeps the stored value.
        row.stored.given = map_.given;
        if (raw[static_cast<std::size_t>(Field::registered_at)].empty()) {
            row.stored.given &= ~field_bit(Field::registered_at);
        }
        registrar_->digest_content(row.registration, row.stored);
    }

    void store_row(const PreparedRow& row, Registrar& registrar, Source source) {
        if (row.error) return reject(row);
        source.line = row.line;
        const AddResult result = registrar.add(row.registration, row.stored,
                                               StoredVerdict{row.verdict, &rules_, options_.today},
                                               source);
        bool state_changed = false;
        switch (result.outcome) {
        case AddOutcome::added: break;
        case AddOutcome::linked: ++report_.linked; break;
        case AddOutcome::identity_conflict:
            return reject(row, fmt::format("identity_conflict: the update of claimant {} ({}) "
                                           "would make it the same child as claimant {}",
                                           result.id, field_names(result.changed, ", "),
                                           result.other_id));
        case AddOutcome::differs:
            notice(row.line, result.id,
                   fmt::format("differs from claimant {} in {}: kept as stored (--no-update)",
                               result.id, field_names(result.changed, ", ")));
            break;
        case AddOutcome::erased:
            ++report_.erased;
            return notice(row.line, 0,
                          "an erased child (its reference or identity): not stored again");
        case AddOutcome::same_submission:
        case AddOutcome::updated: break;
        }
        if (row.state && result.linked_to != 0) {
            // Decided to be the same child as another claimant: a source does not undo that.
            notice(row.line, result.id,
                   fmt::format("claimant {} is linked into claimant {}: its state is not applied",
                               result.id, result.linked_to));
        } else if (row.state && result.registration != 0) {
            // The child's state follows its claimant's own registration, not another one's.
            notice(row.line, result.id,
                   fmt::format("a registration linked to claimant {}: its state is not applied",
                               result.id));
        } else if (row.state && result.outcome != AddOutcome::linked) {
            state_changed = apply_state(row, result, registrar);
        }
        if (result.outcome == AddOutcome::added) {
            ++report_.imported;
        } else if (result.outcome == AddOutcome::linked) {
            // counted above
        } else if (result.outcome == AddOutcome::updated || state_changed) {
            ++report_.updated;
        } else {
            ++report_.unchanged;
        }
        report_.duplicates = report_.linked + report_.unchanged;
    }

    // Applies the row's `state` to the claimant as `withdraw` does; true when it changed.
    bool apply_state(const PreparedRow& row, const AddResult& result, Registrar& registrar) {
        const State target = *row.state;
        if (result.state) { // known: most rows of a dump change nothing, at no cost
            const State now = *result.state;
            if (now == target || (now == State::opted_out && target == State::withdrawn)) {
                return false;
            }
        }
        if (!options_.update && result.outcome != AddOutcome::added) {
            const State now = result.state ? *result.state : claimant_state(result.id).state;
            if (now != target) {
                notice(row.line, result.id,
                       fmt::format("differs from claimant {} in state: kept as stored "
                                   "(--no-update)",
                                   result.id));
            }
            return false;
        }
        registrar.settle(result.id);
        const WithdrawResult change =
            change_state(registry_, result.id, *row.state, options_.today, options_.now_utc);
        if (change.refused) {
            notice(row.line, result.id,
                   fmt::format("claimant {} opted out: not made active again (the opt-out is "
                               "final)",
                               result.id));
        }
        if (!change.changed) return false;
        registrar.move_tally({std::string(to_string(change.previous)), change.verdict_before,
                              change.age_band_before, change.birth_date},
                             {std::string(to_string(change.state)), change.verdict, change.age_band,
                              change.birth_date});
        return result.outcome != AddOutcome::added;
    }

    // The stored state of claimant `id` (only `state` is filled in).
    WithdrawResult claimant_state(std::int64_t id) {
        SQLite::Statement st(registry_.db(), "SELECT state FROM claimants WHERE id = ?");
        st.bind(1, id);
        WithdrawResult result;
        if (st.executeStep()) result.state = parse_state(st.getColumn(0).getString());
        return result;
    }

    void notice(std::uint64_t line, std::int64_t id, std::string text) {
        if (options_.on_notice) options_.on_notice(RowNotice{line, id, std::move(text)});
    }

    void reject(const PreparedRow& row, std::string rule) {
        PreparedRow rejected;
        rejected.error = RowError{row.line, "", std::move(rule)};
        rejected.cells = original_cells(row);
        reject(rejected);
    }

    // The cells of a row that passed every rule, as the rejects file writes them.
    std::vector<std::string> original_cells(const PreparedRow& row) const {
        std::vector<std::string> cells(map_.width);
        const Registration& r = row.registration;
        for (std::size_t f = 0; f < field_count; ++f) {
            const auto& column = map_.column_of[f];
            if (!column) continue;
            const auto field = static_cast<Field>(f);
            cells[*column] = field == Field::consent
                                 ? std::string(r.consent ? "yes" : "no")
                                 : std::string(Registrar::stored_text(r, row.stored, field));
        }
        if (map_.state_column && row.state) cells[*map_.state_column] = to_string(*row.state);
        return cells;
    }

    void reject(const PreparedRow& row) {
        const RowError& error = *row.error;
        ++report_.rejected;
        if (options_.on_reject) options_.on_reject(error);
        if (rejects_) {
            for (const auto& cell : row.cells) rejects_->cell(cell);
            for (std::size_t i = row.cells.size(); i < map_.width; ++i) rejects_->cell("");
            rejects_->cell(fmt::format("{}: {}{}{}", reader_.row_name(error.line), error.column,
                                       error.column.empty() ? "" : ": ", error.rule));
            rejects_->end_row();
        }
    }

    void write_rejects_header() {
        for (const auto& h : map_.headers) rejects_->cell(h);
        rejects_->cell("reason");
        rejects_->end_row();
    }

    RecordSource& reader_; // the reading thread's once the header is read
    const Registrar* registrar_ = nullptr;
    Registry& registry_;
    const ImportOptions& options_;
    const RuleSet& rules_;
    ColumnMap map_;
    std::optional<CsvWriter> rejects_;
    ImportReport report_;
};

} // namespace

bool is_export_only_column(std::string_view header) {
    const std::string name = normalise_header(header);
    return std::find(ignored_columns.begin(), ignored_columns.end(), name) != ignored_columns.end();
}

std::string CsvSource::row_name(std::uint64_t line) const { return fmt::format("line {}", line); }

ImportReport import_records(RecordSource& source, Registry& registry, const ImportOptions& options) {
    return Importer(source, registry, options).run();
}

ImportReport import_csv(std::FILE* in, Registry& registry, const ImportOptions& options) {
    CsvSource source(in, options.csv);
    return import_records(source, registry, options);
}

namespace {

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

void fsync_path(const std::string& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) throw IoError(fmt::format("cannot open {}: {}", path, errno_text(errno)));
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) throw IoError(fmt::format("cannot sync {}: {}", path, errno_text(saved)));
}

// Builds a new registry at `path` from `in`: a temporary file, renamed into place when complete.
ImportReport import_into_new_registry(RecordSource& in, const std::string& path,
                                      const RegistryOptions& registry_options,
                                      const ImportOptions& options) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
    // Locked until this function returns: a kill -9 leaves it for the next import to remove.
    const LockedTempFile locked(path, "import");
    const std::string& temp = locked.path();
    const RemoveOnSignal remove_on_signal(temp); // Ctrl-C leaves nothing behind
    try {
        ImportReport report;
        {
            RegistryOptions unjournaled = registry_options;
            unjournaled.unjournaled = true;
            Registry registry(temp, OpenMode::write, unjournaled);
            report = import_records(in, registry, options);
            if (options.strict && report.rejected > 0) {
                remove_registry_files(temp);
                return report;
            }
            registry.enable_wal();
        }
        fsync_path(temp, O_RDONLY);
        if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
            if (errno == EEXIST) {
                throw BusyError(fmt::format("registry {} was created by another process during "
                                            "the import; nothing imported, retry",
                                            path));
            }
            throw CannotCreateError(fmt::format("cannot create registry {}: {}", path, errno_text(errno)));
        }
        fsync_path(dir, O_RDONLY | O_DIRECTORY);
        return report;
    } catch (...) {
        remove_registry_files(temp);
        throw;
    }
}

} // namespace

ImportReport import_csv_file(std::FILE* in, const std::string& registry_path,
                             const RegistryOptions& registry_options, const ImportOptions& options) {
    CsvSource source(in, options.csv);
    return import_records_file(source, registry_path, registry_options, options);
}

ImportReport import_records_file(RecordSource& in, const std::string& registry_path,
                                 const RegistryOptions& registry_options,
                                 const ImportOptions& options) {
    if (!path_exists(registry_path)) {
        if (options.dry_run) {
            Registry scratch = Registry::scratch();
            return import_records(in, scratch, options);
        }
        return import_into_new_registry(in, registry_path, registry_options, options);
    }
    // A dry run writes nothing for good (its transaction rolls back) and never migrates.
    RegistryOptions opening = registry_options;
    opening.migrate = !options.dry_run;
    Registry registry(registry_path, options.dry_run ? OpenMode::update : OpenMode::write, opening);
    return import_records(in, registry, options);
}

} // namespace claimreg
