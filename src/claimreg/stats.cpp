#include "claimreg/stats.hpp"
