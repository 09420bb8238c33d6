#!/usr/bin/env bash
# import-csv under kill -9 and Ctrl-C: the registry is exactly as before and intact, and the next
# import completes normally.
. "$SRC_DIR/tests/cli/lib.sh"
gen="$BUILD_DIR/bench/gen_registrations"
[ -x "$gen" ] || { echo "no generator at $gen" >&2; exit 1; }

# small.csv imported; big.csv beside it.
fixture_small() {
    "$gen" --rows 300 --seed 1 > small.csv
    "$gen" --rows 150000 --seed 2 > big.csv
    run -q import-csv small.csv
    expect_status 0
}

# kill_import: starts an import of big.csv and kills it with SIGKILL after $delay seconds. The
# input is a pipe held open past the kill, so the kill always lands before the commit (kills at
# the commit itself: test_crash_commit.sh).
kill_import() {
    "$CLAIMREG" -q import-csv - < <(cat big.csv; sleep 4) &
    local pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

case_kills_during_an_import() {
    fixture small
    before=$(sqlite3 claimreg.db .dump)
    kills=0
    for delay in 0.05 0.3 0.8 1.5 2.5; do
        kill_import
        expect_eq "$(sqlite3 claimreg.db 'PRAGMA integrity_check')" "ok" "integrity after kill at ${delay}s"
        expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after a kill at ${delay}s"
        kills=$((kills + 1))
    done

    run -q import-csv big.csv
    expect_eq "$status" "0" "import after the kills"
    expect_eq "$(sqlite3 claimreg.db 'PRAGMA integrity_check')" "ok" "integrity after the final import"
    run import-csv --json big.csv
    expect_out_contains '"imported":0,'
    printf 'killed imports: %d\n' "$kills"
}

# A new registry killed while it is being built: no registry, and a later import works. The
# input is a pipe held open past the kill, so the import cannot have finished (however fast).
case_new_registry_killed() {
    fixture small
    "$CLAIMREG" -q --db fresh.db import-csv - < <(cat big.csv; sleep 5) &
    pid=$!
    sleep 0.5
    kill -9 "$pid"
    wait "$pid" 2>/dev/null
    [ -e fresh.db ] && fail "a killed first import left a registry"
    run -q --db fresh.db import-csv small.csv
    expect_status 0
    expect_eq "$(sqlite3 fresh.db 'PRAGMA integrity_check')" "ok" "integrity of a registry made after a kill"
}

# Ctrl-C (SIGINT) on a new registry, part of the file read: no registry and no temporary file
# left behind. (A background job starts with SIGINT ignored, which claimreg keeps: the subshell
# restores it.)
case_new_registry_interrupted() {
    fixture small
    mkfifo feed
    (trap - INT; exec "$CLAIMREG" -q --db int.db import-csv - < feed) &
    pid=$!
    exec 3> feed
    head -1000 big.csv >&3
    for _ in $(seq 100); do # until the import catches SIGINT
        mask=$(sed -n 's/^SigCgt:\t//p' "/proc/$pid/status")
        (((16#${mask:-0} >> 1) & 1)) && break
        sleep 0.1
    done
    kill -INT "$pid"
    wait "$pid"
    expect_eq "$?" "130" "exit status after SIGINT"
    exec 3>&-
    [ -e int.db ] && fail "an interrupted first import left a registry"
    expect_eq "$(ls -A | grep -c '^\.int\.db\.import-')" "0" "temporary files after SIGINT"
}

finish
