#pragma once
// The hand-over of an import's rows from its reading thread to its storing one. Private to
// the library (importer.cpp).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include "claimreg/row_pipeline.hpp"

namespace claimreg::import_queue {

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

} // namespace claimreg::import_queue
