#pragma once
// A read transaction: several reads that see one consistent state of the registry.

#include "claimreg/registry.hpp"

namespace claimreg::store {

/// Begins a deferred transaction; ended by commit() or, if not, rolled back on destruction.
class ReadSnapshot {
  public:
    explicit ReadSnapshot(Registry& registry);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;
    void commit();

  private:
    Registry& registry_;
    bool open_ = true;
};

} // namespace claimreg::store
