#!/usr/bin/env bash
# Global behaviour: --help, --version, exit statuses in the help footer.
. "$SRC_DIR/tests/cli/lib.sh"

case_version() {
    run --version
    expect_status 0
    sqlite_version=$(sqlite3 --version | cut -d' ' -f1)
    expect_out_contains "(SQLite $sqlite_version)"
    [[ "$out" =~ ^claimreg\ [0-9]+\.[0-9]+\.[0-9]+\ \(SQLite ]] || fail "version line: $out"
}

case_help() {
    run --help
    expect_status 0
    for code in 64 65 66 70 73 74 75; do expect_out_contains "  $code  "; done
    expect_out_contains "add"
}

# Global options are accepted after the subcommand too.
case_global_options_after_the_subcommand() {
    run add --help
    expect_status 0
    expect_out_contains "--child-first-name"
}

finish
