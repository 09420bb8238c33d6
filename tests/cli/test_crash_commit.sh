#!/usr/bin/env bash
# import-csv killed with SIGKILL at exact writes, syncs and renames instead of at moments in time:
# a preloaded library (tests/support/crash_shim.c) counts those calls and kills claimreg at the
# chosen one. On an existing registry (write-ahead log, synchronous = FULL) the kills land while
# the log is written, in and around the commit frame, at the commit's sync and during the
# checkpoint after it; on a new registry, around the rename that puts it in place. A kill before
# the commit frame is written leaves the registry exactly as before, a kill after it the whole
# import; the registry is always intact and the next import completes normally.
. "$SRC_DIR/tests/cli/lib.sh"
gen="$BUILD_DIR/bench/gen_registrations"
[ -x "$gen" ] || { echo "no generator at $gen" >&2; exit 1; }
shim=${CRASH_SHIM:-}
[ -f "$shim" ] || { echo "no crash library at CRASH_SHIM=[$shim]" >&2; exit 1; }

# shimmed SETTING... -- ARGS...: runs claimreg with the library preloaded and the settings given
# as NAME=VALUE for its CRASH_SHIM_NAME variables, capturing $out, $err and $status (137 when the
# library killed it). A sanitizer runtime refuses to start unless it comes first among the loaded
# libraries; the preloaded library comes before it and forwards to its interceptors, so that check
# is turned off (it is ignored by builds without sanitizers).
shimmed() {
    local settings=()
    while [ "$1" != -- ]; do
        settings+=("CRASH_SHIM_$1")
        shift
    done
    shift
    out=$(env "${settings[@]}" LD_PRELOAD="$shim" \
        ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$CLAIMREG" "$@" 2>"$WORK/.stderr")
    status=$?
    err=$(cat "$WORK/.stderr")
}

# snapshot DB: copies DB with its -wal and -shm (what a kill left) into snap/, where sqlite3 reads
# them; the originals stay for claimreg to recover.
snapshot() {
    rm -rf snap && mkdir snap || exit 1
    local file
    for file in "$1" "$1-wal" "$1-shm"; do
        if [ -e "$file" ]; then cp "$file" snap/ || exit 1; fi
    done
    snap="snap/${1##*/}"
}

# dump_hash DB: SHA-256 of DB's dump. content_hash DB: the same with every UTC timestamp blanked,
# to compare imports of the same file made at different seconds.
dump_hash() { sqlite3 -batch "$1" .dump | sha256sum | cut -d' ' -f1; }
# The content without times, without the registry's secret (random for every new registry) and
# without the claimants' content digests (keyed by it).
content_hash() {
    sqlite3 -batch "$1" .dump |
        sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z/T/g' |
        sed -E "s/^INSERT INTO secrets VALUES\('erasure',X'[0-9a-fA-F]{64}'\);\$/INSERT INTO secrets (secret)/" |
        sed -E 's/^(INSERT INTO claimants VALUES\(.*),-?[0-9]+,(NULL|[0-9]+)\);$/\1,content_digest,\2);/' |
        sha256sum | cut -d' ' -f1
}
integrity() { sqlite3 -batch "$1" 'PRAGMA integrity_check'; }
claimants() { sqlite3 -batch "$1" 'SELECT count(*) FROM claimants'; }

# count_of LETTER TEXT: how often LETTER occurs in TEXT.
count_of() {
    local only=${2//[^$1]/}
    printf '%d' "${#only}"
}

restore() { cp base.db claimreg.db && rm -f claimreg.db-wal claimreg.db-shm; }

# --- An existing registry: the state the small import left (base.db), restored before every kill.
fixture_base() {
    "$gen" --rows 300 --seed 1 > small.csv
    "$gen" --rows 12000 --seed 2 > big.csv
    run -q import-csv small.csv
    expect_status 0
    [ -e claimreg.db-wal ] && fail "a finished import left its write-ahead log"
    cp claimreg.db base.db
}
# Un-killed imports of big.csv, tracing the calls on the log (wal.trace) and on the registry file
# (db.trace); their result (complete.hash) is what every kill after the commit must leave.
fixture_traces() {
    fixture base
    snapshot base.db
    before=$(dump_hash "$snap")
    before_count=$(claimants "$snap")
    restore
    shimmed SUFFIX=-wal OPS=write,sync TRACE="$WORK/wal.trace" -- import-csv --json big.csv
    expect_status 0
    imported=$(grep -o '"imported":[0-9]*' <<< "$out" | cut -d: -f2)
    expect_eq "$(claimants claimreg.db)" "$((before_count + ${imported:-0}))" "claimants after an un-killed import"
    expect_eq "$(integrity claimreg.db)" "ok" "integrity after an un-killed import"
    complete=$(content_hash claimreg.db)
    restore
    shimmed SUFFIX=/claimreg.db OPS=write,sync TRACE="$WORK/db.trace" -- -q import-csv big.csv
    expect_status 0
    expect_eq "$(content_hash claimreg.db)" "$complete" "a second un-killed import"
    printf '%s\n' "$complete" > complete.hash
}

# kill_existing WHERE EXPECT SETTING...: restores the registry, kills an import of big.csv where
# the settings say, and checks the registry the kill left: intact, and either exactly as before
# (EXPECT before) or holding the whole import (complete). Then the next import completes normally
# and the registry holds the whole import.
kill_existing() {
    local where=$1 expect=$2 failed=$failures
    shift 2
    restore
    shimmed "$@" -- -q import-csv big.csv
    expect_eq "$status" "137" "exit status of the import killed $where"
    [ "$status" -eq 137 ] && placed=$((placed + 1))
    snapshot claimreg.db
    expect_eq "$(integrity "$snap")" "ok" "integrity after a kill $where"
    if [ "$expect" == before ]; then
        expect_eq "$(dump_hash "$snap")" "$before" "dump after a kill $where (as before the import)"
    else
        expect_eq "$(content_hash "$snap")" "$complete" "dump after a kill $where (the whole import)"
    fi
    run -q import-csv big.csv
    expect_eq "$status" "0" "exit status of the import after a kill $where (stderr: $err)"
    expect_eq "$(integrity claimreg.db)" "ok" "integrity after the import that followed a kill $where"
    expect_eq "$(content_hash claimreg.db)" "$complete" "dump after the import that followed a kill $where"
    [ "$failures" -eq "$failed" ] && survived=$((survived + 1))
}

# kill_new WHERE EXPECT SETTING...: kills the first import of big.csv into fresh.db where the
# settings say: then there is no registry (EXPECT absent) or the whole one (complete), never a part
# of it. The next import completes normally and makes the whole registry.
kill_new() {
    local where=$1 expect=$2 failed=$failures
    shift 2
    rm -f fresh.db fresh.db-wal fresh.db-shm .fresh.db.import-*
    shimmed "$@" -- -q --db fresh.db import-csv big.csv
    expect_eq "$status" "137" "exit status of the first import killed $where"
    [ "$status" -eq 137 ] && placed=$((placed + 1))
    checks=$((checks + 1))
    if [ "$expect" == absent ]; then
        [ -e fresh.db ] && fail "a first import killed $where left a registry"
        # Its temporary file (children's data) stays only until the next import removes it.
        expect_eq "$(ls -A | grep -c '^\.fresh\.db\.import-')" "1" "temporary file after a first import killed $where"
    elif [ -e fresh.db ]; then
        snapshot fresh.db
        expect_eq "$(integrity "$snap")" "ok" "integrity after a first import killed $where"
        expect_eq "$(content_hash "$snap")" "$complete_new" "dump after a first import killed $where (the whole import)"
    else
        fail "a first import killed $where left no registry"
    fi
    run -q --db fresh.db import-csv big.csv
    expect_eq "$status" "0" "exit status of the import after a first import killed $where (stderr: $err)"
    expect_eq "$(ls -A | grep -c '^\.fresh\.db\.import-')" "0" "temporary files left after the import that followed a first import killed $where"
    expect_eq "$(integrity fresh.db)" "ok" "integrity after the import that followed a first import killed $where"
    expect_eq "$(content_hash fresh.db)" "$complete_new" "dump after the import that followed a first import killed $where"
    [ "$failures" -eq "$failed" ] && survived=$((survived + 1))
}

# The log: its header, frames (a frame is two writes, header then page; the commit frame's header
# carries the new size of the registry, and its page is the last write), then the commit's sync
# (synchronous = FULL). The registry file: the checkpoint copies the frames back, then syncs it.
case_kills_on_an_existing_registry() {
    fixture traces
    placed=0
    survived=0
    snapshot base.db
    before=$(dump_hash "$snap")
    complete=$(cat complete.hash)
    wal_trace=$(cat wal.trace)
    db_trace=$(cat db.trace)
    wal_writes=$(count_of w "$wal_trace")
    db_writes=$(count_of w "$db_trace")
    checks=$((checks + 1))
    [ "$wal_writes" -ge 100 ] && [ "$db_writes" -ge 100 ] ||
        fail "too few writes to place kills: $wal_writes to the log, $db_writes to the registry"
    checks=$((checks + 1))
    [[ "${wal_trace##*w}" == s* ]] || fail "the commit is not synced: log calls after its last write [${wal_trace##*w}]"
    checks=$((checks + 1))
    [[ "${db_trace##*w}" == s* ]] || fail "the checkpoint does not sync the registry: calls after its last write [${db_trace##*w}]"
    wal_prefix=${wal_trace%w*}
    commit_sync=$(($(count_of s "$wal_prefix") + 1)) # the first sync after the last write
    db_prefix=${db_trace%w*}
    checkpoint_sync=$(($(count_of s "$db_prefix") + 1))
    kill_existing "before the first frame (log write 2 of $wal_writes)" before \
        SUFFIX=-wal OPS=write AT=2
    kill_existing "halfway through the log (log write $((wal_writes / 2)))" before \
        SUFFIX=-wal OPS=write AT=$((wal_writes / 2))
    kill_existing "before the commit frame (log write $((wal_writes - 1)))" before \
        SUFFIX=-wal OPS=write AT=$((wal_writes - 1))
    kill_existing "inside the commit frame (its header written, its page not)" before \
        SUFFIX=-wal OPS=write AT="$wal_writes"
    kill_existing "before the commit's sync (log sync $commit_sync)" complete \
        SUFFIX=-wal OPS=sync AT="$commit_sync"
    kill_existing "after the commit's sync" complete \
        SUFFIX=-wal OPS=sync AT="$commit_sync" WHEN=after
    kill_existing "halfway through the checkpoint (registry write $((db_writes / 2)) of $db_writes)" complete \
        SUFFIX=/claimreg.db OPS=write AT=$((db_writes / 2))
    kill_existing "before the checkpoint syncs the registry" complete \
        SUFFIX=/claimreg.db OPS=sync AT="$checkpoint_sync"
    printf 'kills placed: %d, survived: %d\n' "$placed" "$survived"
}

# --- A new registry: built as a temporary file, synced, renamed into place, directory synced. ----
case_kills_on_a_new_registry() {
    fixture base
    placed=0
    survived=0
    rm -f fresh.db fresh.db-wal fresh.db-shm
    shimmed OPS=write,sync,rename TRACE="$WORK/new.trace" -- -q --db fresh.db import-csv big.csv
    expect_status 0
    expect_eq "$(integrity fresh.db)" "ok" "integrity of an un-killed new registry"
    complete_new=$(content_hash fresh.db)
    new_trace=$(cat new.trace)
    new_writes=$(count_of w "$new_trace")
    expect_eq "${new_trace##*w}" "srs" "calls after the new registry's last write (sync it, rename, sync the directory)"
    temp_sync=$(($(count_of s "${new_trace%w*}") + 1))
    kill_new "halfway through building it (write $((new_writes / 2)) of $new_writes)" absent \
        OPS=write AT=$((new_writes / 2))
    kill_new "before it is synced" absent OPS=sync AT="$temp_sync"
    kill_new "before the rename" absent OPS=rename AT=1
    kill_new "right after the rename" complete OPS=rename AT=1 WHEN=after
    printf 'kills placed: %d, survived: %d\n' "$placed" "$survived"
}

# An export killed before its rename leaves the previous file and a locked-no-more temporary
# file, which the next export to the same file removes.
case_killed_export() {
    fixture base
    run -q export --output out.csv
    expect_status 0
    previous=$(sha256sum < out.csv)
    shimmed OPS=rename SUFFIX=/out.csv AT=1 -- -q export --output "$WORK/out.csv"
    expect_eq "$status" "137" "exit status of an export killed before its rename"
    expect_eq "$(sha256sum < out.csv)" "$previous" "the previous export after a killed one"
    expect_eq "$(ls -A | grep -c '^\.out\.csv\.tmp-')" "1" "temporary file after a killed export"
    run -q export --output out.csv
    expect_status 0
    expect_eq "$(ls -A | grep -c '^\.out\.csv\.tmp-')" "0" "temporary files after the next export"
    # A temporary file still locked by a running writer is left alone.
    exec 9>.out.csv.tmp-AbCdEf
    flock 9
    run -q export --output out.csv
    expect_eq "$(ls -A | grep -c '^\.out\.csv\.tmp-AbCdEf$')" "1" "a locked temporary file is kept"
    exec 9>&-
}

finish
