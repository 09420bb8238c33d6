# Shared helpers for the end-to-end suites. Each suite sources this file, defines its cases and
# fixtures, and calls `finish` at the end.
#
# A case is a function `case_NAME() { ... }`: `finish` runs each one (in the order they are
# defined) in a subshell of its own, in a fresh directory $WORK with its own registry (claimreg.db
# there), HOME and no CLAIMREG_DB or GNUPGHOME, so that no case passes because of another.
# `CASE=NAME bash test_x.sh` runs that case alone.
#
# A fixture is a function `fixture_NAME() { ... }` that makes files in the current directory (a
# prepared registry, an input file). `fixture NAME` in a case copies them into $WORK; each fixture
# is built once per suite, the first time a case asks for it, in a directory of its own. A fixture
# may use other fixtures; it leaves only files behind (its variables do not reach the cases).
#
# A passing suite removes its directory; a failed one keeps it and prints `kept: DIR` for each
# failed case. A suite without cases runs its checks at the top level, in $WORK.
set -u
# A pipeline fails when any command in it fails, not only the last (`x=$(claimreg ... | wc -l) || fail`).
set -o pipefail
: "${CLAIMREG:?set CLAIMREG to the claimreg binary}"
: "${SRC_DIR:?set SRC_DIR to the source tree}"
[ -x "$CLAIMREG" ] || { echo "no claimreg binary at $CLAIMREG" >&2; exit 1; }

SUITE=${0##*/}
SUITE=${SUITE%.sh}
SUITE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/$SUITE.XXXXXX")
WORK=$SUITE_DIR
# Removes the suite's directory unless `finish` found a failure (an early exit removes it too).
keep_suite_dir=
trap '[ -n "$keep_suite_dir" ] || rm -rf "$SUITE_DIR"' EXIT
cd "$WORK" || exit 1
unset CLAIMREG_DB
failures=0
checks=0
current_case=

# run ARGS...: runs claimreg, capturing $out, $err and $status.
run() {
    out=$("$CLAIMREG" "$@" 2>"$WORK/.stderr")
    status=$?
    err=$(cat "$WORK/.stderr")
}

# run_in INPUT ARGS...: like run, with INPUT on stdin.
run_in() {
    local input=$1
    shift
    out=$(printf '%s' "$input" | "$CLAIMREG" "$@" 2>"$WORK/.stderr")
    status=$?
    err=$(cat "$WORK/.stderr")
}

# fail MESSAGE: counts a failure and reports it at the suite's line (not at a helper's here),
# with the case it happened in.
fail() {
    failures=$((failures + 1))
    local i=1
    while [ "${BASH_SOURCE[i]##*/}" == lib.sh ] && [ $((i + 1)) -lt ${#BASH_SOURCE[@]} ]; do
        i=$((i + 1))
    done
    printf 'FAIL (%s:%s%s): %s\n' "${BASH_SOURCE[i]##*/}" "${BASH_LINENO[i - 1]}" \
        "${current_case:+, case $current_case}" "$*" >&2
}

# expect_status N: the last run exited with N.
expect_status() {
    checks=$((checks + 1))
    [ "$status" -eq "$1" ] || fail "exit status $status, expected $1 (stderr: $err)"
}

# expect_out TEXT / expect_err TEXT: exact stdout / stderr of the last run.
expect_out() {
    checks=$((checks + 1))
    [ "$out" == "$1" ] || fail "stdout: got [$out], expected [$1]"
}
expect_err() {
    checks=$((checks + 1))
    [ "$err" == "$1" ] || fail "stderr: got [$err], expected [$1]"
}

# expect_err_contains TEXT / expect_out_contains TEXT.
expect_err_contains() {
    checks=$((checks + 1))
    [[ "$err" == *"$1"* ]] || fail "stderr [$err] lacks [$1]"
}
expect_out_contains() {
    checks=$((checks + 1))
    [[ "$out" == *"$1"* ]] || fail "stdout [$out] lacks [$1]"
}

# expect_not_contains HAYSTACK NEEDLE: personal data must not leak.
expect_not_contains() {
    checks=$((checks + 1))
    [[ "$1" != *"$2"* ]] || fail "found [$2] where it must not be"
}

# expect_eq GOT EXPECTED [WHAT].
expect_eq() {
    checks=$((checks + 1))
    [ "$1" == "$2" ] || fail "${3:-value}: got [$1], expected [$2]"
}

# expect_mode FILE MODE: octal permission bits.
expect_mode() {
    checks=$((checks + 1))
    local mode
    mode=$(stat -c '%a' "$1" 2>/dev/null)
    [ "$mode" == "$2" ] || fail "mode of $1 is [$mode], expected [$2]"
}

# sql DB QUERY: runs a query with the sqlite3 shell.
sql() { sqlite3 -batch "$1" "$2"; }

# in_subshell FUNCTION: runs FUNCTION in a subshell in the current directory, then adds
# its checks and failures to this shell's; an `exit` (or an error of the shell) counts as a
# failure, the function's return status does not.
# Returns 0 when FUNCTION passed.
in_subshell() {
    local fn=$1 result=$SUITE_DIR/.result.$BASHPID code counted_checks= counted_failures=
    rm -f "$result"
    (
        checks=0
        failures=0
        # shellcheck disable=SC2064 # the path now: a local variable is gone when the trap runs
        trap "printf '%d %d\n' \"\$checks\" \"\$failures\" > $(printf '%q' "$result")" EXIT
        "$fn"
        exit 0
    )
    code=$?
    [ -f "$result" ] && read -r counted_checks counted_failures < "$result"
    rm -f "$result"
    checks=$((checks + ${counted_checks:-0}))
    failures=$((failures + ${counted_failures:-0}))
    if [ "$code" -ne 0 ]; then
        fail "$fn exited with status $code"
        return 1
    fi
    [ "${counted_failures:-1}" -eq 0 ]
}

# fixture NAME: copies the files that fixture_NAME makes into the current directory (building
# them the first time).
fixture() {
    local name=$1 dir=$SUITE_DIR/.fixtures/$1 here=$PWD work=$WORK built
    declare -F "fixture_$name" > /dev/null || { fail "no fixture $name"; return 1; }
    if [ ! -d "$dir" ] && [ ! -e "$dir.failed" ]; then
        mkdir -p "$dir.new" && cd "$dir.new" || return 1
        WORK=$PWD
        in_subshell "fixture_$name" && built=1 || built=
        WORK=$work
        cd "$here" || return 1
        if [ -n "$built" ]; then
            rm -f "$dir.new/.stderr"
            mv "$dir.new" "$dir"
        else
            printf '%s\n' "${current_case:-?}" > "$dir.failed"
        fi
    fi
    if [ -e "$dir.failed" ]; then
        fail "fixture $name failed (first used by case $(cat "$dir.failed"))"
        return 1
    fi
    cp -a "$dir/." . || { fail "cannot copy fixture $name"; return 1; }
}

# The suite's cases, in the order they are defined.
list_cases() {
    local line
    shopt -s extdebug
    declare -F | while read -r _ _ line; do
        [[ $line == case_* ]] && declare -F "$line"
    done | sort -k2,2n | while read -r line _; do printf '%s\n' "${line#case_}"; done
    shopt -u extdebug
}

# run_case NAME: runs case_NAME in a fresh directory; says where it is kept when it fails.
run_case() {
    local name=$1
    WORK=$SUITE_DIR/$name
    mkdir -p "$WORK" "$SUITE_DIR/.home/$name" || exit 1
    cd "$WORK" || exit 1
    current_case=$name
    HOME=$SUITE_DIR/.home/$name in_subshell "case_$name" ||
        failed_cases+=("$name")
    current_case=
    cd "$SUITE_DIR" || exit 1
}

finish() {
    local name cases
    failed_cases=()
    cases=$(list_cases)
    if [ -n "${CASE:-}" ]; then
        grep -qxF -- "$CASE" <<<"$cases" || { printf 'no case %s; cases: %s\n' "$CASE" "$(tr '\n' ' ' <<<"$cases")" >&2; exit 1; }
        cases=$CASE
    fi
    unset GNUPGHOME
    for name in $cases; do run_case "$name"; done
    if [ "$failures" -ne 0 ]; then
        keep_suite_dir=1
        if [ ${#failed_cases[@]} -eq 0 ]; then
            printf 'kept: %s\n' "$SUITE_DIR" >&2
        else
            for name in "${failed_cases[@]}"; do printf 'kept: %s (case %s failed)\n' "$SUITE_DIR/$name" "$name" >&2; done
        fi
        printf '%d of %d checks failed\n' "$failures" "$checks" >&2
        exit 1
    fi
    printf '%d checks passed%s\n' "$checks" "${cases:+ in $(wc -w <<<"$cases") cases}"
    exit 0
}
