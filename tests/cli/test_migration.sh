#!/usr/bin/env bash
# A registry written by schema version 1 (tests/fixtures/registry-v1.sql) is read only once
# migrated (`claimreg migrate`, or any writing command), keeps every row, and duplicates are still
# found. Schema 6 (tests/fixtures/registry-v5-invisible.sql): claimants whose names differed only
# by invisible characters become registrations linked to the oldest, reported, none lost. Schema 8
# (tests/fixtures/registry-v7.sql): review decisions, every claimant kept as it was.
. "$SRC_DIR/tests/cli/lib.sh"

columns="c.id, external_ref, child_first_name, child_name_prefix, child_last_name, child_birth_date, country, postcode, house_number, platform, first_use, last_use, registrant_name, registrant_email, registrant_phone, registrant_relation, consent, registered_at, source_line, state, verdict, reasons, age_band"
linked_columns="r.id, claimant_id, external_ref, registrant_name, registrant_email, registrant_phone, registrant_relation, consent, registered_at, source_line, added_at"

fixture_v1() {
    sqlite3 v1.db < "$SRC_DIR/tests/fixtures/registry-v1.sql"
    chmod 600 v1.db
}
# Then migrated.
fixture_migrated() {
    fixture v1
    "$CLAIMREG" -q --db v1.db migrate || fail "migrate"
}

# A reading command refuses it and says how to migrate; `migrate` does it and says so.
case_migrate_schema_1() {
    fixture v1
    expect_eq "$(sql v1.db 'PRAGMA user_version')" "1" "fixture schema version"
    claimants_before=$(sql v1.db "SELECT $columns, source, rule_set, checked_at FROM claimants AS c ORDER BY c.id")
    linked_before=$(sql v1.db "SELECT $linked_columns, source FROM registrations AS r ORDER BY r.id")
    run --db v1.db stats --by state --format csv
    expect_status 65
    expect_err "claimreg: registry v1.db has schema version 1; this claimreg reads version 8: run 'claimreg migrate' to upgrade it (reading commands and dry runs never change a registry)"
    expect_eq "$(sql v1.db 'PRAGMA user_version')" "1" "schema version after a reading command"
    run --db v1.db migrate
    expect_status 0
    expect_err "claimreg: registry v1.db migrated from schema version 1 to 8"
    expect_eq "$(sql v1.db "SELECT length(value) FROM secrets WHERE name = 'erasure'")" "32" "schema 7: a random secret made by the migration"
    expect_eq "$(sql v1.db "SELECT count(*) FROM erased_keys")" "0" "schema 7: no erased keys yet"
    expect_eq "$(sql v1.db "SELECT count(DISTINCT content_digest) FROM claimants WHERE content_digest != 0")" "3" "schema 7: every claimant's content digest filled in"
    filled=$(sql v1.db "SELECT content_digest FROM claimants WHERE id = 102")
    expect_eq "$(sql v1.db "SELECT count(*) FROM pair_decisions")" "0" "schema 8: no pair decided yet"
    expect_eq "$(sql v1.db "SELECT count(*) FROM claimants WHERE linked_to IS NOT NULL")" "0" "schema 8: no claimant linked into another"
    run --db v1.db migrate
    expect_status 0
    expect_err "claimreg: registry v1.db is at schema version 8: nothing to do"
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
}

# The migrated registry works as usual: a known child is a duplicate, a new one is added.
# The digest filled in is the one claimreg stores: a claimant corrected and corrected back has it again.
case_the_migrated_registry_works() {
    fixture migrated
    filled=$(sql v1.db "SELECT content_digest FROM claimants WHERE id = 102")
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

    # The digest filled in is the one claimreg stores: a claimant corrected and corrected back has it again.
    run --db v1.db update 102 --house-number 8
    expect_status 0
    expect_out "house_number"
    [ "$(sql v1.db "SELECT content_digest FROM claimants WHERE id = 102")" != "$filled" ] || fail "content digest after an update"
    run --db v1.db update 102 --house-number 7a
    expect_status 0
    expect_eq "$(sql v1.db "SELECT content_digest FROM claimants WHERE id = 102")" "$filled" "content digest corrected back"
}

# A migration that cannot take its lock leaves the registry as it was: 75, still version 1.
case_busy_migration() {
    sqlite3 v1b.db < "$SRC_DIR/tests/fixtures/registry-v1.sql"
    (printf 'BEGIN IMMEDIATE;\nSELECT 1;\n'; sleep 2; printf 'ROLLBACK;\n') | sqlite3 v1b.db >/dev/null &
    locker=$!
    sleep 0.5
    run --busy-timeout 200 --db v1b.db migrate
    expect_status 75
    wait "$locker"
    expect_eq "$(sql v1b.db 'PRAGMA user_version')" "1" "schema version after a busy migration"
    run --db nothing.db migrate
    expect_status 66
    [ -e nothing.db ] && fail "migrate created a registry"
}

# ---- schema 6: invisible characters no longer make a second claimant ---------------------------
case_schema_6_invisible_characters() {
    sqlite3 v5.db < "$SRC_DIR/tests/fixtures/registry-v5-invisible.sql"
    chmod 600 v5.db
    expect_eq "$(sql v5.db 'SELECT count(*) FROM claimants')" "7" "claimants in the schema-5 fixture"
    refs_before=$(sql v5.db "SELECT external_ref FROM claimants UNION ALL SELECT external_ref FROM registrations ORDER BY 1" | tr '\n' ' ')
    changed_before=$(sql v5.db 'SELECT changed_at FROM claimants WHERE id IN (6, 7) ORDER BY id')
    run --db v5.db migrate
    expect_status 0
    expect_err "claimreg: schema 6: claimant 2 is the same child as claimant 1 (their names differed only by invisible characters): now a registration linked to 1
claimreg: schema 6: claimant 3 is the same child as claimant 1 (their names differed only by invisible characters): now a registration linked to 1
claimreg: schema 6: claimant 4 is the same child as claimant 1 (their names differed only by invisible characters): now a registration linked to 1
claimreg: schema 6: claimant 5 is the same child as claimant 1 (their names differed only by invisible characters): now a registration linked to 1
claimreg: registry v5.db migrated from schema version 5 to 8"
    # Sem (1), his look-alike with a Cyrillic letter (6, for review), Lotte (7).
    expect_eq "$(sql v5.db 'SELECT group_concat(id) FROM (SELECT id FROM claimants ORDER BY id)')" "1,6,7" "claimants after schema 6"
    expect_eq "$(sql v5.db 'SELECT hex(child_first_name) FROM claimants WHERE id = 1')" "53656D" "the kept claimant's name"
    expect_eq "$(sql v5.db "SELECT group_concat(external_ref || ':' || claimant_id, ' ') FROM (SELECT * FROM registrations ORDER BY id)")" "REF-B:1 REF-C:1 REF-D:1 REF-E:1" "linked registrations"
    expect_eq "$(sql v5.db "SELECT external_ref FROM claimants UNION ALL SELECT external_ref FROM registrations ORDER BY 1" | tr '\n' ' ')" "$refs_before" "every registration kept"
    expect_eq "$(sql v5.db "SELECT group_concat(claimant_id || ' ' || detail, ',') FROM (SELECT * FROM audit WHERE action = 'linked' ORDER BY id)")" "2 into=1 by=migration-6,3 into=1 by=migration-6,4 into=1 by=migration-6,5 into=1 by=migration-6" "audited links"
    # A name with other non-ASCII letters but nothing invisible is left alone (not marked changed).
    expect_eq "$(sql v5.db 'SELECT changed_at FROM claimants WHERE id IN (6, 7) ORDER BY id')" "$changed_before" "changed_at of claimants schema 6 left alone"
    run --db v5.db stats --count
    expect_out "3"
    # The dump again adds nothing: each reference is known, invisible characters or not.
    printf 'external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent\nREF-C,Sem,de,Vr\xc2\xadies,2012-04-05,1234 AB,tiktok,2019-06-01,Ouder,ouder3@example.nl,parent,ja\nREF-H,Sem,de,Vries\xe2\x80\x8b,2012-04-05,1234 AB,tiktok,2019-06-01,Ouder,ouder9@example.nl,parent,ja\n' > again.csv
    run --db v5.db import-csv --json again.csv
    expect_status 0
    expect_out '{"rows_read":2,"imported":0,"linked":1,"updated":0,"unchanged":1,"duplicates":2,"rejected":0,"erased":0}'
    # New ids stay above the ids linked away.
    run --db v5.db add --child-first-name Noor --child-last-name Jansen --child-birth-date 2013-01-02 --postcode 1234AB --platform tiktok --first-use 2020-01-01 --registrant-name X --registrant-email x@example.nl --registrant-relation parent
    expect_out "8"
}

# ---- schema 8: review decisions (link, distinct) -----------------------------------------------
case_schema_8_review_decisions() {
    sqlite3 v7.db < "$SRC_DIR/tests/fixtures/registry-v7.sql"
    chmod 600 v7.db
    expect_eq "$(sql v7.db 'PRAGMA user_version')" "7" "fixture schema version 7"
    v7_claimants=$(sql v7.db "SELECT $columns, state_changed_at, changed_at, identity_digest FROM claimants AS c ORDER BY c.id")
    v7_linked=$(sql v7.db "SELECT $linked_columns FROM registrations AS r ORDER BY r.id")
    run --db v7.db stats --count
    expect_status 65
    expect_err "claimreg: registry v7.db has schema version 7; this claimreg reads version 8: run 'claimreg migrate' to upgrade it (reading commands and dry runs never change a registry)"
    run --db v7.db migrate
    expect_status 0
    expect_err "claimreg: registry v7.db migrated from schema version 7 to 8"
    expect_eq "$(sql v7.db 'PRAGMA user_version')" "8" "schema version after migration 8"
    expect_eq "$(sql v7.db "SELECT $columns, state_changed_at, changed_at, identity_digest FROM claimants AS c ORDER BY c.id")" "$v7_claimants" "claimants after migration 8"
    expect_eq "$(sql v7.db "SELECT $linked_columns FROM registrations AS r ORDER BY r.id")" "$v7_linked" "linked registrations after migration 8"
    expect_eq "$(sql v7.db "SELECT count(*) FROM claimants WHERE linked_to IS NOT NULL")" "0" "no claimant linked by the migration"
    expect_eq "$(sql v7.db "SELECT count(*) FROM pair_decisions")" "0" "no decision yet"
    expect_eq "$(sql v7.db 'PRAGMA integrity_check')" "ok" "integrity after migration 8"
    run --db v7.db stats --count
    expect_out "2"
    # The migrated registry takes decisions: Semm (2) is Sem (1).
    run --db v7.db link 1 2
    expect_status 0
    run --db v7.db stats --count
    expect_out "1"
    expect_eq "$(sql v7.db "SELECT a || ' ' || b || ' ' || decision FROM pair_decisions")" "1 2 same" "decision in the migrated registry"
}

finish
