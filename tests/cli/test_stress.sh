#!/usr/bin/env bash
# Under stress: a registry locked by another writer, hostile input files, and readers running
# during a large import. The registry never changes unless an import commits.
. "$SRC_DIR/tests/cli/lib.sh"
gen="$BUILD_DIR/bench/gen_registrations"
[ -x "$gen" ] || { echo "no generator at $gen" >&2; exit 1; }
# unchanged WHAT: the registry is intact and as $before.
unchanged() {
    expect_eq "$(sqlite3 claimreg.db 'PRAGMA integrity_check')" "ok" "integrity after $1"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after $1"
}

fixture_small() {
    "$gen" --rows 200 --seed 3 > small.csv
    run -q import-csv small.csv
    expect_status 0
}

# Another writer holds the registry past --busy-timeout: 75, "retry later", quickly.
case_busy_writer() {
    fixture small
    before=$(sqlite3 claimreg.db .dump)
    (printf 'BEGIN IMMEDIATE;\nINSERT INTO audit (at, action) VALUES (%s, %s);\n' "'x'" "'lock'"; sleep 4; printf 'ROLLBACK;\n') | sqlite3 claimreg.db &
    locker=$!
    sleep 0.5
    start=$(date +%s%N)
    run --busy-timeout 300 import-csv small.csv
    elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    expect_status 75
    expect_err_contains "retry later"
    [ "$elapsed_ms" -lt 3000 ] || fail "a busy registry took ${elapsed_ms} ms to report"
    run --busy-timeout 300 add --child-first-name A --child-last-name B --child-birth-date 2010-01-01 \
        --postcode '1234 AB' --platform tiktok --first-use 2019-01-01 --registrant-name C \
        --registrant-email c@example.nl --registrant-relation parent
    expect_status 75
    wait "$locker"
    unchanged "busy writers"
}

# Hostile files: exit 65 or 66 with a message, no crash or hang, the registry unchanged.
case_hostile_files() {
    fixture small
    before=$(sqlite3 claimreg.db .dump)
    head -c 200000 /dev/urandom > random.bin
    printf 'child_first_name,child_last_name\x00,child_birth_date\nA\x00B,C\n' > nul.csv
    { head -1 small.csv; printf '"'; head -c 20000000 /dev/zero | tr '\0' 'x'; printf '",x\n'; } > bigfield.csv
    { head -3 small.csv; printf 'A,"unterminated\n'; } > unterminated.csv
    { head -1 small.csv; sed -n '2,50p' small.csv | fold -w1 | shuf --random-source=small.csv | tr -d '\n' | fold -w 120; echo; } > shuffled.csv
    sed -n '2,20p' small.csv > noheader.csv
    : > empty.csv
    mkdir adir
    hostile=0
    for f in random.bin nul.csv bigfield.csv unterminated.csv shuffled.csv noheader.csv empty.csv adir; do
        "$CLAIMREG" -q import-csv "$f" >/dev/null 2>"$f.err"
        code=$?
        hostile=$((hostile + 1))
        case $code in
        65 | 66) ;;
        *) fail "$f: exit status $code, expected 65 or 66" ;;
        esac
        [ -s "$f.err" ] || fail "$f: no message"
        unchanged "$f"
    done
    expect_eq "$(grep -c 'record too long' bigfield.csv.err)" "1" "20 MB field reported"
    expect_eq "$(grep -c 'unterminated' unterminated.csv.err)" "1" "unterminated quote reported"
    # Bounded memory for the 20 MB field (GNU time when present; not under AddressSanitizer). The
    # libraries are read whole first: `ldd | grep -q` under pipefail fails when grep stops early.
    libraries=$(ldd "$CLAIMREG")
    if [ -x /usr/bin/time ] && [[ $libraries != *libasan* ]]; then
        /usr/bin/time -f '%M' -o rss.txt "$CLAIMREG" -q import-csv --dry-run bigfield.csv 2>/dev/null
        [ "$(tail -1 rss.txt)" -lt 65536 ] || fail "a 20 MB field took $(tail -1 rss.txt) KiB"
    fi
    printf 'hostile files: %d\n' "$hostile"
}

# Readers during a large import: every stats --count and export succeeds and sees the registry
# either before or after the import, never a part of it.
case_readers_during_a_large_import() {
    fixture small
    "$gen" --rows 120000 --seed 4 > big.csv
    count_before=$("$CLAIMREG" stats --count)
    "$CLAIMREG" -q import-csv big.csv &
    importer=$!
    reads=0
    while kill -0 "$importer" 2>/dev/null; do
        n=$("$CLAIMREG" stats --count) || fail "stats --count failed during an import"
        lines=$("$CLAIMREG" export --format ndjson | wc -l) || fail "export failed during an import"
        reads=$((reads + 2))
        for seen in "$n" "$lines"; do
            [ "$seen" = "$count_before" ] || [ "$seen" -gt 100000 ] || fail "a reader saw $seen claimants mid-import"
        done
    done
    wait "$importer"
    expect_eq "$?" "0" "import alongside readers"
    [ "$reads" -ge 4 ] || fail "only $reads reads ran during the import"
    printf 'concurrent reads: %d\n' "$reads"
}

finish
