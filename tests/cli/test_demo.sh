#!/usr/bin/env bash
# make demo: its first line says what it does and how long it takes (before the build that comes
# first); the demo itself runs on a built binary and shows no unnamed group.
. "$SRC_DIR/tests/cli/lib.sh"
set -o pipefail
command -v make >/dev/null || { fail "make is not installed"; finish; }

notice="make demo: builds claimreg (installing missing packages first), then imports examples/registrations.csv into a new registry and shows what an admin would look at; this takes 2-3 minutes on a fresh machine, seconds once built."

# The first thing make runs, run: it prints the notice (-n prints the commands without running
# them, so nothing is built here).
case_make_demo_prints_the_notice_first() {
    commands=$(make -s -n -C "$SRC_DIR" demo BUILD="$WORK/none")
    expect_eq "$?" 0 "make -n demo"
    expect_eq "$(bash -c "${commands%%$'\n'*}")" "$notice" "the first line of make demo"
    [ -e "$WORK/none" ] && fail "make -n demo built something"
}

# The demo on the built binary (a build folder of its own in $WORK).
case_demo_on_the_built_binary() {
    mkdir b
    ln -s "$CLAIMREG" b/claimreg
    demo=$(cd "$SRC_DIR" && ./scripts/demo.sh "$WORK/b" 2>&1)
    expect_eq "$?" 0 "demo exit status"
    expect_eq "$(grep -c $'^\t' <<<"$demo")" 0 "demo lines starting with a tab (an unnamed group)"
    expect_eq "$(grep -cE $'^18\\+\t' <<<"$demo")" 1 "the 18+ row of stats --by age-band"
}

finish
