#!/usr/bin/env bash
# A registry file is untrusted input: a file with schema objects claimreg does not create (or
# with its own ones altered) is refused with 65 before anything is changed; reading commands open
# read-only and never migrate or create; a registry readable by others is made private before
# data is written into it, or refused when it is not ours; nothing from the file is executed.
. "$SRC_DIR/tests/cli/lib.sh"

csv='external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent
R1,Daan,Geheimberg,2012-04-05,1234 AB,tiktok,2019-06-01,Ouder,geheim@example.nl,parent,ja
R2,Lotte,Bakker,2010-09-01,1234 AB,tiktok,2019-06-01,Ouder,bakker@example.nl,parent,ja'
# fresh NAME: a new registry NAME with the two claimants of in.csv, closed cleanly.
fresh() {
    rm -f "$1" "$1-wal" "$1-shm"
    "$CLAIMREG" -q --db "$1" import-csv in.csv || fail "could not make $1"
}
# digest FILE: the file's bytes and mode, and the bytes in its write-ahead log (a read-only
# connection may leave an empty one, as SQLite does).
digest() { printf '%s %s %s\n' "$(sha256sum < "$1")" "$(stat -c %a "$1")" "$(cat "$1-wal" 2>/dev/null | wc -c)"; }

fixture_inputs() {
    printf '%s\n' "$csv" > in.csv
    printf '%s\n' "$csv" | sed 's/R1,Daan/R3,Mila/; s/R2,Lotte/R4,Sem/' > more.csv
}

# ---- a foreign trigger that would keep an erased child's data ---------------------------------
case_foreign_trigger() {
    fixture inputs
    fresh spy.db
    sql spy.db "CREATE TABLE cache (x TEXT); CREATE TRIGGER keep AFTER DELETE ON claimants BEGIN INSERT INTO cache VALUES (OLD.child_last_name || ' ' || OLD.registrant_email); END;"
    before=$(digest spy.db)
    run --db spy.db erase 1 --force
    expect_status 65
    expect_err_contains "not a claimreg registry"
    expect_err_contains "trigger keep"
    expect_eq "$(digest spy.db)" "$before" "a refused registry is unchanged (erase)"
    expect_eq "$(sql spy.db 'SELECT count(*) FROM claimants'):$(sql spy.db 'SELECT count(*) FROM cache')" "2:0" "rows of the refused registry"
    for cmd in "stats" "export" "show 1" "check-eligibility --all" "withdraw 1"; do
        # shellcheck disable=SC2086
        run --db spy.db $cmd
        expect_status 65
        expect_eq "$(digest spy.db)" "$before" "a refused registry is unchanged ($cmd)"
    done
    run --db spy.db import-csv more.csv
    expect_status 65
    expect_eq "$(digest spy.db)" "$before" "a refused registry is unchanged (import-csv)"
}

# ---- claimreg's own trigger altered to copy every e-mail away ----------------------------------
case_altered_or_missing_schema_objects() {
    fixture inputs
    fresh altered.db
    sql altered.db "CREATE TABLE loot (x TEXT); DROP TRIGGER tallies_insert; CREATE TRIGGER tallies_insert AFTER INSERT ON claimants BEGIN INSERT INTO loot VALUES (NEW.registrant_email); INSERT INTO tallies VALUES (NEW.state, NEW.verdict, NEW.age_band, NEW.child_birth_date, 1) ON CONFLICT DO UPDATE SET n = n + 1; END;"
    before=$(digest altered.db)
    run --db altered.db import-csv more.csv
    expect_status 65
    expect_eq "$(digest altered.db)" "$before" "a registry with an altered trigger is unchanged"
    # Only the altered trigger, no extra table: still refused.
    fresh altered2.db
    sql altered2.db "DROP TRIGGER tallies_delete; CREATE TRIGGER tallies_delete AFTER DELETE ON claimants BEGIN SELECT 1; END;"
    run --db altered2.db erase 1 --force
    expect_status 65
    expect_err_contains "tallies_delete"
    expect_eq "$(sql altered2.db 'SELECT count(*) FROM claimants')" "2" "claimants of a registry with an altered trigger"
    # A missing index or trigger is refused too (counts would drift).
    fresh missing.db
    sql missing.db "DROP TRIGGER tallies_update"
    run --db missing.db stats --count
    expect_status 65
    expect_err_contains "tallies_update"
    # A view calling claimreg's own SQL function from schema code.
    fresh view.db
    sql view.db "CREATE VIEW v AS SELECT claimreg_scan(id, child_birth_date, country, platform, first_use, last_use, registrant_relation, consent, registered_at, state, verdict, reasons, age_band, 0) FROM claimants"
    run --db view.db check-eligibility --all
    expect_status 65
    expect_err_contains "view v"
}

# ---- someone else's database, and an empty file ------------------------------------------------
case_someone_elses_database_and_an_empty_file() {
    fixture inputs
    sql other.db "CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('private');"
    before=$(digest other.db)
    for cmd in "stats" "add --child-first-name A --child-last-name B --child-birth-date 2012-01-01 --postcode 1234AB --platform tiktok --first-use 2019-06-01 --registrant-name C --registrant-email c@example.nl --registrant-relation parent" "import-csv in.csv" "import-csv --dry-run in.csv"; do
        # shellcheck disable=SC2086
        run --db other.db $cmd
        expect_status 65
        expect_err_contains "not a claimreg registry"
        expect_eq "$(digest other.db)" "$before" "someone else's database is unchanged ($cmd)"
    done
    expect_eq "$(sql other.db 'PRAGMA journal_mode')" "delete" "someone else's database keeps its journal mode"

    : > empty.db
    for cmd in "stats" "stats --count" "export" "show 1"; do
        # shellcheck disable=SC2086
        run --db empty.db $cmd
        expect_status 66
        expect_err_contains "empty.db"
        expect_eq "$(stat -c %s empty.db)" "0" "an empty file stays empty ($cmd)"
    done
    chmod 600 empty.db
    run --db empty.db import-csv in.csv
    expect_status 0
    expect_eq "$(sql empty.db 'SELECT count(*) FROM claimants')" "2" "an import fills an empty file"
}

# ---- reading commands never migrate -------------------------------------------------------------
case_reading_commands_never_migrate() {
    fixture inputs
    fresh spy.db # the current schema version
    sqlite3 v1.db < "$SRC_DIR/tests/fixtures/registry-v1.sql"
    chmod 600 v1.db
    before=$(digest v1.db)
    for cmd in "stats" "export" "show 101"; do
        # shellcheck disable=SC2086
        run --db v1.db $cmd
        expect_status 65
        expect_err_contains "claimreg migrate"
        expect_eq "$(digest v1.db)" "$before" "a reading command leaves an old registry as it is ($cmd)"
    done
    run --db v1.db migrate
    expect_status 0
    expect_eq "$(sql v1.db 'PRAGMA user_version')" "$(sql spy.db 'PRAGMA user_version')" "schema version after migrate"
    run --db v1.db stats --count
    expect_status 0
    expect_out "2"
}

# ---- permissions: made private before data is written, or refused when not ours ----------------
case_permissions() {
    fixture inputs
    fresh open.db
    chmod 644 open.db
    run --db open.db stats --count
    expect_status 0
    expect_mode open.db 644
    run --db open.db import-csv more.csv
    expect_status 0
    expect_err_contains "made it private"
    expect_mode open.db 600
    expect_eq "$(sql open.db 'SELECT count(*) FROM claimants')" "4" "claimants after the import"
    fresh theirs.db
    chmod 644 theirs.db
    chown nobody theirs.db
    before=$(digest theirs.db)
    run --db theirs.db import-csv more.csv
    expect_status 65
    expect_err_contains "owned by another user"
    expect_eq "$(digest theirs.db)" "$before" "someone else's readable registry is unchanged"
    run --db theirs.db stats --count
    expect_status 0
    expect_out "2"
    # A -wal left readable by others is made private too.
    fresh walopen.db
    chmod 600 walopen.db
    (printf 'BEGIN IMMEDIATE;\nSELECT 1;\n'; sleep 1; printf 'ROLLBACK;\n') | sqlite3 walopen.db >/dev/null &
    sleep 0.3
    chmod 644 walopen.db-wal walopen.db-shm 2>/dev/null
    wait
    if [ -e walopen.db-wal ]; then
        chmod 644 walopen.db-wal
        run --db walopen.db import-csv more.csv
        expect_status 0
        expect_mode walopen.db-wal 600
    fi
}

# ---- a registry on read-only media can be read ---------------------------------------------------
case_read_only_media() {
    fixture inputs
    mkdir ro
    fresh ro/r.db
    if chattr +i ro/r.db 2>/dev/null && chattr +i ro 2>/dev/null; then
        run --db ro/r.db stats --count
        expect_status 0
        expect_out "2"
        run --db ro/r.db export --format ndjson --pseudonymize
        expect_status 0
        expect_eq "$(printf '%s\n' "$out" | wc -l)" "2" "exported from a read-only registry"
        run --db ro/r.db show 1
        expect_status 0
        chattr -i ro ro/r.db
    else
        echo "note: chattr +i unavailable here; read-only media not tested"
    fi
}

finish
