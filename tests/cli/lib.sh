# Shared helpers for the end-to-end suites. Each suite sources this file, runs the real binary
# ($CLAIMREG) in a fresh temporary directory, and calls `finish` at the end.
set -u
# A pipeline fails when any command in it fails, not only the last (`x=$(claimreg ... | wc -l) || fail`).
set -o pipefail
: "${CLAIMREG:?set CLAIMREG to the claimreg binary}"
: "${SRC_DIR:?set SRC_DIR to the source tree}"
[ -x "$CLAIMREG" ] || { echo "no claimreg binary at $CLAIMREG" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
unset CLAIMREG_DB
failures=0
checks=0

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

# fail MESSAGE: counts a failure and reports it at the suite's line (not at a helper's here).
fail() {
    failures=$((failures + 1))
    local i=1
    while [ "${BASH_SOURCE[i]##*/}" == lib.sh ] && [ $((i + 1)) -lt ${#BASH_SOURCE[@]} ]; do
        i=$((i + 1))
    done
    printf 'FAIL (%s:%s): %s\n' "${BASH_SOURCE[i]##*/}" "${BASH_LINENO[i - 1]}" "$*" >&2
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

finish() {
    if [ "$failures" -ne 0 ]; then
        printf '%d of %d checks failed\n' "$failures" "$checks" >&2
        exit 1
    fi
    printf '%d checks passed\n' "$checks"
    exit 0
}
