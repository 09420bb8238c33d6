#include "snapshot.hpp"

#include <SQLiteCpp/Database.h>

namespace claimreg::store {

ReadSnapshot::ReadSnapshot(Registry& registry) : registry_(registry) {
    registry_.db().exec("BEGIN DEFERRED");
}

ReadSnapshot::~ReadSnapshot() {
    if (!open_) return;
    try {
        registry_.db().exec("ROLLBACK");
    } catch (...) { // nothing was written; closing the connection ends it too
    }
}

void ReadSnapshot::commit() {
    registry_.db().exec("COMMIT");
    open_ = false;
}

} // namespace claimreg::store
