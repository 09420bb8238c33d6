#include "app.hpp"
namespace claimreg::cli {
void setup_stats(CLI::App&, const GlobalOptions&, Outcome&) {}
} // namespace claimreg::cli
