#include "app.hpp"
namespace claimreg::cli {
void setup_export(CLI::App&, const GlobalOptions&, Outcome&) {}
} // namespace claimreg::cli
