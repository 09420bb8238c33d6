#include "claimreg/exporter.hpp"
