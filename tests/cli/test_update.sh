#!/usr/bin/env bash
# claimreg update: corrects a claimant by hand with the options of add; prints the changed field
# names; re-evaluates; 66 unknown id, 65 invalid value or identity conflict, 0 when nothing changed.
. "$SRC_DIR/tests/cli/lib.sh"

# Two claimants, imported, last changed in 2020.
fixture_registry() {
    cat > two.csv <<'CSV'
external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent
A1,Emma,Jansen,2012-05-01,1011 AA,tiktok,2019-01-01,Piet Jansen,piet@example.nl,parent,ja
A2,Lucas,de Boer,2011-02-02,2022 BB,tiktok,2019-01-01,Ria de Boer,ria@example.nl,parent,ja
CSV
    run -q import-csv two.csv
    expect_status 0
    sql claimreg.db "UPDATE claimants SET changed_at = '2020-01-01T00:00:00Z'"
}
# The registry after claimant 1's postcode, house number and consent were updated.
fixture_updated() {
    fixture registry
    run update 1 --postcode 1012ab --no-consent --house-number 7
    expect_status 0
}

case_update_prints_the_changed_fields() {
    fixture registry
    run update 1 --postcode 1012ab --no-consent --house-number 7
    expect_status 0
    expect_out "postcode
house_number
consent"
    expect_err ""
    expect_eq "$(sql claimreg.db "SELECT postcode || '|' || house_number || '|' || consent || '|' || verdict || '|' || reasons || '|' || (changed_at > '2020') FROM claimants WHERE id = 1")" "1012 AB|7|0|ineligible|no_consent|1" "stored and re-evaluated"
    expect_eq "$(sql claimreg.db "SELECT detail FROM audit WHERE action = 'updated' AND claimant_id = 1")" "fields=postcode,house_number,consent" "audit: field names"
    expect_eq "$(sql claimreg.db "SELECT changed_at FROM claimants WHERE id = 2")" "2020-01-01T00:00:00Z" "the other claimant untouched"
}

# Nothing to change: exit 0, said on stderr, nothing written.
case_nothing_to_change() {
    fixture updated
    local before
    before=$(sqlite3 claimreg.db .dump)
    run update 1 --postcode '1012 AB' --no-consent
    expect_status 0
    expect_out ""
    expect_err "claimreg: claimant 1 already holds these values; nothing changed"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after an update that changes nothing"
}

# Unknown id, invalid value, identity conflict: nothing changed; no value echoed.
case_refused_updates() {
    fixture updated
    local before
    before=$(sqlite3 claimreg.db .dump)
    run update 9 --postcode '1012 AB'
    expect_status 66
    expect_err "claimreg: no claimant with id 9"
    run update 1 --postcode 0123AB --child-first-name Geheim
    expect_status 65
    expect_err "claimreg: --postcode: not a Dutch postcode (use 1234 AB)"
    expect_not_contains "$err" "Geheim"
    run update 1 --child-first-name Lucas --child-last-name 'de Boer' --child-birth-date 02-02-2011 --postcode '2022 BB'
    expect_status 65
    expect_err "claimreg: claimant 1: the update (child_first_name, child_last_name, child_birth_date, postcode) would make it the same child as claimant 2: not applied"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after refused updates"
    run update 1 --consent --no-consent
    expect_status 64
    run update x1 --consent
    expect_status 64
    expect_not_contains "$err" "x1"
}

# Consent given again: eligible; show lists both update events; export --since carries it.
# The import of the original dump afterwards changes it back (the source is the reference).
case_consent_again_then_the_dump() {
    fixture updated
    run update 1 --consent
    expect_out "consent"
    expect_eq "$(sql claimreg.db "SELECT verdict FROM claimants WHERE id = 1")" "eligible" "verdict after consent"
    run show 1
    expect_eq "$(grep -c ' updated ' <<<"$out")" "2" "show: two update events"
    run export --since 2021-01-01 --format csv
    expect_eq "$(cut -d, -f1 <<<"$out" | tr -d '\r' | tr '\n' ' ')" "external_ref A1 " "export --since after update"
    run import-csv two.csv --json
    expect_out '{"rows_read":2,"imported":0,"linked":0,"updated":1,"unchanged":1,"duplicates":1,"rejected":0,"erased":0}'
    expect_eq "$(sql claimreg.db "SELECT postcode || '|' || house_number FROM claimants WHERE id = 1")" "1011 AA|7" "the dump's columns only"
}

finish
