// An import's rows into a registry: a reading thread runs each record through the row
// pipeline (row_pipeline.hpp) while this one stores the prepared rows in file order, counts
// them and reports rejects and notices.

#include "claimreg/importer.hpp"

#include <cstdio>
#include <limits>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "claimreg/lifecycle.hpp"
#include "claimreg/record.hpp"
#include "import_queue.hpp"
#include "store/claimant_store.hpp"

namespace claimreg {

namespace {

using import_queue::Batch;
using import_queue::BatchQueue;

constexpr std::uint64_t progress_every = 50000;
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
        pipeline_.emplace(map_header(record, reader_), reader_, options_.today, options_.now_utc,
                          rules_);
        // Named only now: without its required columns the first row may be data, not a header.
        if (options_.on_unknown_column) {
            for (const auto& name : pipeline_->header().unknown) options_.on_unknown_column(name);
        }
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
        pipeline_->prepare(record, row);
        if (!row.error) registrar_->digest_content(row.registration, row.stored);
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
                   fmt::format("differs from claimant {} in {}: kept as stored", result.id,
                               field_names(result.changed, ", ")),
                   true);
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
            const State now = result.state ? *result.state : store::stored_state(registry_, result.id).value_or(State::active);
            if (now != target) {
                notice(row.line, result.id,
                       fmt::format("differs from claimant {} in state: kept as stored", result.id),
                       true);
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

    void notice(std::uint64_t line, std::int64_t id, std::string text, bool kept = false) {
        if (options_.on_notice) options_.on_notice(RowNotice{line, id, std::move(text), kept});
    }

    void reject(const PreparedRow& row, std::string rule) {
        PreparedRow rejected;
        rejected.error = RowError{row.line, "", std::move(rule)};
        rejected.cells = original_cells(row);
        reject(rejected);
    }

    // The cells of a row that passed every rule, as the rejects file writes them.
    std::vector<std::string> original_cells(const PreparedRow& row) const {
        std::vector<std::string> cells(header().width);
        const Registration& r = row.registration;
        for (std::size_t f = 0; f < field_count; ++f) {
            const auto& column = header().column_of[f];
            if (!column) continue;
            const auto field = static_cast<Field>(f);
            cells[*column] = field == Field::consent
                                 ? std::string(r.consent ? "yes" : "no")
                                 : std::string(Registrar::stored_text(r, row.stored, field));
        }
        if (header().state_column && row.state) cells[*header().state_column] = to_string(*row.state);
        return cells;
    }

    void reject(const PreparedRow& row) {
        const RowError& error = *row.error;
        ++report_.rejected;
        if (options_.on_reject) options_.on_reject(error);
        if (rejects_) {
            for (const auto& cell : row.cells) rejects_->cell(cell);
            for (std::size_t i = row.cells.size(); i < header().width; ++i) rejects_->cell("");
            rejects_->cell(fmt::format("{}: {}{}{}", reader_.row_name(error.line), error.column,
                                       error.column.empty() ? "" : ": ", error.rule));
            rejects_->end_row();
        }
    }

    void write_rejects_header() {
        for (const auto& h : header().headers) rejects_->cell(h);
        rejects_->cell("reason");
        rejects_->end_row();
    }

    const HeaderMap& header() const { return pipeline_->header(); }

    RecordSource& reader_; // the reading thread's once the header is read
    const Registrar* registrar_ = nullptr;
    Registry& registry_;
    const ImportOptions& options_;
    const RuleSet& rules_;
    std::optional<RowPipeline> pipeline_; // once the header is read
    std::optional<CsvWriter> rejects_;
    ImportReport report_;
};

} // namespace

ImportReport import_records(RecordSource& source, Registry& registry, const ImportOptions& options) {
    return Importer(source, registry, options).run();
}

ImportReport import_csv(std::FILE* in, Registry& registry, const ImportOptions& options) {
    CsvSource source(in, options.csv);
    return import_records(source, registry, options);
}
} // namespace claimreg
