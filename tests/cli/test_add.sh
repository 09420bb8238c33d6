#!/usr/bin/env bash
# claimreg add: ids on stdout, duplicates, invalid input, the registry file and its mode.
. "$SRC_DIR/tests/cli/lib.sh"

zoe=(--child-first-name 'Zoë' --child-name-prefix 'van der' --child-last-name Berg
     --child-birth-date 14-03-2011 --postcode 1012ab --platform TikTok --first-use 2019-06-01
     --registrant-name 'Anna van der Berg' --registrant-email 'Anna@Example.NL'
     --registrant-relation ouder --consent)

fixture_zoe() {
    "$CLAIMREG" -q add "${zoe[@]}" > /dev/null || fail "add Zoë"
}

# A first registration creates the registry (0600, WAL) and prints the id alone.
case_first_registration() {
    run add "${zoe[@]}"
    expect_status 0
    expect_out "1"
    expect_err ""
    expect_mode claimreg.db 600
    expect_eq "$(sql claimreg.db 'PRAGMA journal_mode')" "wal" "journal mode"
    expect_eq "$(sql claimreg.db 'PRAGMA application_id')" "1129075271" "application_id"
    expect_eq "$(sql claimreg.db 'PRAGMA user_version')" "8" "schema version"
    for f in claimreg.db-wal claimreg.db-shm; do [ -e "$f" ] && expect_mode "$f" 600; done
    expect_eq "$(sql claimreg.db "SELECT child_first_name, child_birth_date, postcode, platform, registrant_email, registrant_relation, consent, verdict, age_band FROM claimants")" \
        "Zoë|2011-03-14|1012 AB|tiktok|Anna@example.nl|parent|1|eligible|under-13" "stored record"
}

# The same child with the same registrant again: the existing id, nothing stored.
case_same_child_same_registrant() {
    fixture zoe
    run add "${zoe[@]}" --child-first-name ZOE --child-name-prefix '' --child-last-name 'Van Der berg'
    expect_status 0
    expect_out "1"
    expect_err "claimreg: duplicate: already registered as claimant 1; nothing stored"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants') $(sql claimreg.db 'SELECT count(*) FROM registrations')" "1 0" "rows after same submission"
}

# The other parent registers the same child: linked, not a second claimant.
case_other_parent() {
    fixture zoe
    run add "${zoe[@]}" --child-first-name Zoe --registrant-name 'Bram Berg' --registrant-email bram@example.com --json
    expect_status 0
    expect_out '{"id":1,"duplicate":true}'
    expect_err_contains "linked to it"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants') $(sql claimreg.db 'SELECT claimant_id FROM registrations')" "1 1" "linked registration"
}

# -q silences the notice; the id is still printed.
case_quiet() {
    fixture zoe
    run -q add "${zoe[@]}"
    expect_status 0
    expect_out "1"
    expect_err ""
}

# Another child gets the next id; --json for a new claimant.
# The same external reference twice is the same submission.
case_next_id_and_external_ref() {
    fixture zoe
    run add "${zoe[@]}" --child-first-name Daan --json
    expect_status 0
    expect_out '{"id":2,"duplicate":false}'
    run add "${zoe[@]}" --child-first-name Fenna --external-ref TBYP-1
    expect_out "3"
    run add "${zoe[@]}" --child-first-name Sem --external-ref TBYP-1
    expect_status 0
    expect_out "3"
}

# Invalid input: 65, the option and rule named, the value never echoed, nothing stored.
case_invalid_input() {
    fixture zoe
    before=$(sql claimreg.db 'SELECT count(*) FROM claimants')
    run add "${zoe[@]}" --child-birth-date 29-02-2011
    expect_status 65
    expect_err "claimreg: --child-birth-date: not a real calendar date"
    run add "${zoe[@]}" --postcode '0123 AB'
    expect_status 65
    expect_err_contains "--postcode: "
    expect_not_contains "$err" "0123"
    run add "${zoe[@]}" --registrant-email 'anna.secret@nodot'
    expect_status 65
    expect_err_contains "--registrant-email: "
    expect_not_contains "$err" "anna.secret"
    run add "${zoe[@]}" --child-first-name $'Zo\të'
    expect_status 65
    expect_err_contains "--child-first-name: "
    run add "${zoe[@]}" --first-use 2010-01-01
    expect_status 65
    expect_err_contains "--first-use: "
    run add "${zoe[@]}" --child-birth-date 2999-01-01
    expect_status 65
    expect_err_contains "--child-birth-date: "
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants')" "$before" "rows after rejected adds"
}

# Usage errors exit 64: a missing required option, an unknown option, a mistyped command.
case_usage_errors() {
    run add --child-first-name Zoë
    expect_status 64
    run add "${zoe[@]}" --no-such-option
    expect_status 64
    run ad
    expect_status 64
    run
    expect_status 64
    expect_err_contains "Usage:"
}

# --db and CLAIMREG_DB choose the registry; invalid input creates no registry.
case_db_and_claimreg_db() {
    fixture zoe
    run --db other.db add "${zoe[@]}" --child-birth-date 31-04-2011
    expect_status 65
    [ -e other.db ] && fail "a rejected add created other.db"
    run add "${zoe[@]}" --db other.db
    expect_status 0
    expect_out "1"
    expect_mode other.db 600
    out=$(CLAIMREG_DB=env.db "$CLAIMREG" add "${zoe[@]}")
    expect_eq "$out" "1" "id in CLAIMREG_DB registry"
    expect_mode env.db 600
}

# A registry cannot be created in a missing directory: 73.
case_missing_directory() {
    run --db missing-dir/r.db add "${zoe[@]}"
    expect_status 73
}

# A file that is not a claimreg registry is refused and left alone.
case_foreign_file() {
    sqlite3 foreign.db 'CREATE TABLE t(x); INSERT INTO t VALUES (1)'
    run --db foreign.db add "${zoe[@]}"
    expect_status 65
    expect_err_contains "not a claimreg registry"
    expect_eq "$(sql foreign.db 'SELECT count(*) FROM t')" "1" "foreign table untouched"
}

# A registry with a newer schema is refused.
case_newer_schema() {
    sqlite3 newer.db "PRAGMA application_id = 1129075271; PRAGMA user_version = 99; CREATE TABLE x(y);"
    run --db newer.db add "${zoe[@]}"
    expect_status 65
    expect_err_contains "newer than this claimreg understands"
}

finish
