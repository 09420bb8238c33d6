# shellcheck shell=bash
# Shared helpers for the end-to-end suites. Each suite sources this file, defines its cases and
# fixtures, and calls `finish` at the end.
#
# A case is a function `case_NAME() { ... }`: `finish` runs each one (in the order they are
# defined) in a subshell of its own, in a fresh directory $WORK with its own registry (claimreg.db
# there), HOME and no CLAIMREG_DB or GNUPGHOME, so that no case passes because of another.
# `CASE=NAME bash test_x.sh` runs that case alone.
#
# The helpers here name their own variables _lib_*, so that a case sees only its suite's.
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
# At the end: the suite's at_suite_exit, when it defines one (to stop what its cases started);
# then the suite's directory is removed unless `finish` found a failure.
keep_suite_dir=
_lib_exit() {
    if declare -F at_suite_exit > /dev/null; then at_suite_exit; fi
    [ -n "$keep_suite_dir" ] || rm -rf "$SUITE_DIR"
}
trap _lib_exit EXIT
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
    local _lib_fn=$1 _lib_result=$SUITE_DIR/.result.$BASHPID _lib_code _lib_counted_checks='' _lib_counted_failures=''
    rm -f "$_lib_result"
    (
        checks=0
        failures=0
        # shellcheck disable=SC2064 # the path now: a local variable is gone when the trap runs
        trap "printf '%d %d\n' \"\$checks\" \"\$failures\" > $(printf '%q' "$_lib_result")" EXIT
        "$_lib_fn"
        exit 0
    )
    _lib_code=$?
    [ -f "$_lib_result" ] && read -r _lib_counted_checks _lib_counted_failures < "$_lib_result"
    rm -f "$_lib_result"
    checks=$((checks + ${_lib_counted_checks:-0}))
    failures=$((failures + ${_lib_counted_failures:-0}))
    if [ "$_lib_code" -ne 0 ]; then
        fail "$_lib_fn exited with status $_lib_code"
        return 1
    fi
    [ "${_lib_counted_failures:-1}" -eq 0 ]
}

# fixture NAME: copies the files that fixture_NAME makes into the current directory (building
# them the first time).
fixture() {
    local _lib_name=$1 _lib_dir=$SUITE_DIR/.fixtures/$1 _lib_here=$PWD _lib_work=$WORK _lib_built
    declare -F "fixture_$_lib_name" > /dev/null || { fail "no fixture $_lib_name"; return 1; }
    if [ ! -d "$_lib_dir" ] && [ ! -e "$_lib_dir.failed" ]; then
        mkdir -p "$_lib_dir.new" && cd "$_lib_dir.new" || return 1
        WORK=$PWD
        in_subshell "fixture_$_lib_name" && _lib_built=1 || _lib_built=
        WORK=$_lib_work
        cd "$_lib_here" || return 1
        if [ -n "$_lib_built" ]; then
            rm -f "$_lib_dir.new/.stderr"
            mv "$_lib_dir.new" "$_lib_dir"
        else
            printf '%s\n' "${current_case:-?}" > "$_lib_dir.failed"
        fi
    fi
    if [ -e "$_lib_dir.failed" ]; then
        fail "fixture $_lib_name failed (first used by case $(cat "$_lib_dir.failed"))"
        return 1
    fi
    cp -a "$_lib_dir/." . || { fail "cannot copy fixture $_lib_name"; return 1; }
}

# The suite's cases, in the order they are defined.
list_cases() {
    local _lib_line
    shopt -s extdebug
    declare -F | while read -r _ _ _lib_line; do
        [[ $_lib_line == case_* ]] && declare -F "$_lib_line"
    done | sort -k2,2n | while read -r _lib_line _; do printf '%s\n' "${_lib_line#case_}"; done
    shopt -u extdebug
}

# run_case NAME: runs case_NAME in a fresh directory; says where it is kept when it fails.
run_case() {
    local _lib_name=$1
    WORK=$SUITE_DIR/$_lib_name
    mkdir -p "$WORK" "$SUITE_DIR/.home/$_lib_name" || exit 1
    cd "$WORK" || exit 1
    current_case=$_lib_name
    HOME=$SUITE_DIR/.home/$_lib_name in_subshell "case_$_lib_name" ||
        failed_cases+=("$_lib_name")
    current_case=
    cd "$SUITE_DIR" || exit 1
}

finish() {
    local _lib_name _lib_cases
    failed_cases=()
    _lib_cases=$(list_cases)
    if [ -n "${CASE:-}" ]; then
        grep -qxF -- "$CASE" <<<"$_lib_cases" || { printf 'no case %s; cases: %s\n' "$CASE" "$(tr '\n' ' ' <<<"$_lib_cases")" >&2; exit 1; }
        _lib_cases=$CASE
    fi
    unset GNUPGHOME
    for _lib_name in $_lib_cases; do run_case "$_lib_name"; done
    if [ "$failures" -ne 0 ]; then
        keep_suite_dir=1
        if [ ${#failed_cases[@]} -eq 0 ]; then
            printf 'kept: %s\n' "$SUITE_DIR" >&2
        else
            for _lib_name in "${failed_cases[@]}"; do printf 'kept: %s (case %s failed)\n' "$SUITE_DIR/$_lib_name" "$_lib_name" >&2; done
        fi
        printf '%d of %d checks failed\n' "$failures" "$checks" >&2
        exit 1
    fi
    printf '%d checks passed%s\n' "$checks" "${_lib_cases:+ in $(wc -w <<<"$_lib_cases") cases}"
    exit 0
}
