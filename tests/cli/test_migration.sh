#!/usr/bin/env bash
# A registry written by schema version 1 (tests/fixtures/registry-v1.sql) opens with this build,
# migrates to the current version, and keeps every row; duplicates are still found.
. "$SRC_DIR/tests/cli/lib.sh"

sqlite3 v1.db < "$SRC_DIR/tests/fixtures/registry-v1.sql"
chmod 600 v1.db
expect_eq "$(sql v1.db 'PRAGMA user_version')" "1" "fixture schema version"
columns="c.id, external_ref, child_first_name, child_name_prefix, child_last_name, child_birth_date, country, postcode, house_number, platform, first_use, last_use, registrant_name, registrant_email, registrant_phone, registrant_relation, consent, registered_at, source_line, state, verdict, reasons, age_band"
linked_columns="r.id, claimant_id, external_ref, registrant_name, registrant_email, registrant_phone, registrant_relation, consent, registered_at, source_line, added_at"
claimants_before=$(sql v1.db "SELECT $columns, source, rule_set, checked_at FROM claimants AS c ORDER BY c.id")
linked_before=$(sql v1.db "SELECT $linked_columns, source FROM registrations AS r ORDER BY r.id")

# A reading command migrates it.
run --db v1.db stats --by state --format csv
expect_status 0
expect_out "state,count
active,2
withdrawn,1"
current=$(sql v1.db 'PRAGMA user_version')
[ "$current" -gt 1 ] || fail "schema not migrated (user_version $current)"
# Schema 4 keeps the source, rule set and as-of date in their own tables.
expect_eq "$(sql v1.db "SELECT $columns, s.name, k.rule_set, k.as_of FROM claimants AS c JOIN sources AS s ON s.id = source_id JOIN checks AS k ON k.id = check_id ORDER BY c.id")" \
    "$claimants_before" "claimants after migration"
expect_eq "$(sql v1.db "SELECT $linked_columns, s.name FROM registrations AS r JOIN sources AS s ON s.id = source_id ORDER BY r.id")" \
    "$linked_before" "linked registrations after migration"
expect_eq "$(sql v1.db "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'audit'")" "2" "audit triggers added by migration 3"
expect_eq "$(sql v1.db 'PRAGMA integrity_check')" "ok" "integrity after migration"
expect_eq "$(sql v1.db "SELECT group_concat(state || ' ' || verdict || ' ' || n, ',') FROM tallies")" \
    "$(sql v1.db "SELECT group_concat(state || ' ' || verdict || ' ' || n, ',') FROM (SELECT state, verdict, count(*) AS n FROM claimants GROUP BY state, verdict, age_band, child_birth_date)")" \
    "tallies filled by migration 5"
expect_eq "$(sql v1.db "SELECT count(*) FROM sqlite_schema WHERE name = 'claimants_counting'")" "0" "counting index replaced by migration 5"

# The migrated registry works as usual: a known child is a duplicate, a new one is added.
zoe=(--child-first-name ZOE --child-last-name 'Van der Berg' --child-birth-date 2011-03-14
     --postcode 1012AB --platform tiktok --first-use 2019-06-01 --registrant-name X
     --registrant-relation parent)
run --db v1.db add "${zoe[@]}" --registrant-email anna@example.nl
expect_out "101"
expect_err_contains "duplicate"
run --db v1.db add "${zoe[@]}" --registrant-email x@example.nl --child-first-name Mila
expect_status 0
[ "$out" -gt 103 ] || fail "new claimant id $out"
run --db v1.db show 102
expect_status 0
expect_out_contains "withdrawn"

# A migration that cannot take its lock leaves the registry as it was: 75, still version 1.
sqlite3 v1b.db < "$SRC_DIR/tests/fixtures/registry-v1.sql"
(printf 'BEGIN IMMEDIATE;\nSELECT 1;\n'; sleep 2; printf 'ROLLBACK;\n') | sqlite3 v1b.db >/dev/null &
locker=$!
sleep 0.5
run --busy-timeout 200 --db v1b.db stats --count
expect_status 75
wait "$locker"
expect_eq "$(sql v1b.db 'PRAGMA user_version')" "1" "schema version after a busy migration"
finish
