#include "claimreg/error.hpp"

#include <cstring>

namespace claimreg {

std::string errno_text(int errnum) { return std::strerror(errnum); }

} // namespace claimreg
