#!/usr/bin/env bash
# claimreg show, withdraw and erase: the record as stored, state changes and their verdicts,
# counts and exports before and after, erasure that leaves no trace in the registry files,
# confirmation, and the append-only audit trail.
. "$SRC_DIR/tests/cli/lib.sh"

# Timestamps and today's date vary: normalise them for exact comparisons.
normalise() {
    sed -e 's/[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z/NOW/g' \
        -e "s/$(date +%F)/TODAY/g"
}
files_grep() { # files_grep TEXT: occurrences in the registry file and its write-ahead log
    local n=0 f c
    for f in claimreg.db claimreg.db-wal; do
        [ -e "$f" ] || continue
        c=$(grep -a -c -F -- "$1" "$f")
        n=$((n + c))
    done
    echo "$n"
}
state_counts() { "$CLAIMREG" stats --by state --format csv | tail -n +2 | tr '\n' ' '; }
export_ids() { "$CLAIMREG" export --format ndjson "$@" | sed 's/.*"id":\([0-9]*\).*/\1/' | tr '\n' ' '; }

# The fixture: Zoë (registered by her mother, then by her father from a partner file), Daan.
zoe=(--child-first-name 'Zoë' --child-name-prefix 'van der' --child-last-name Berg
     --child-birth-date 14-03-2011 --postcode 1012ab --house-number 12a --platform TikTok
     --first-use 2019-06-01 --registrant-name 'Anna van der Berg'
     --registrant-email 'Anna@Example.NL' --registrant-phone '06 12345678'
     --registrant-relation ouder --consent --registered-at 2024-01-15T10:00:00+01:00 --external-ref TBYP-1)

fixture_registered() {
    run add "${zoe[@]}"
    expect_out "1"
    cat > partner.csv <<'CSV'
voornaam,tussenvoegsel,achternaam,geboortedatum,postcode,platform,eerste_gebruik,naam_aanmelder,email,relatie,toestemming,aangemeld_op
Zoe,,Van der Berg,14-03-2011,1012 AB,tiktok,2019-06-01,Bram Kwikkelstein,bram.kwik@example.com,ouder,ja,2024-02-01
Daan,,Jansen,2009-05-05,3511 AX,tiktok,2019-01-01,Piet Jansen,piet@example.nl,ouder,ja,2024-03-01
CSV
    run import-csv partner.csv
    expect_status 0
    expect_err "claimreg: 2 rows read: 1 imported, 1 linked, 0 updated, 0 unchanged, 1 duplicates, 0 rejected, 0 erased"
}
# Then Zoë withdrawn.
fixture_withdrawn() {
    fixture registered
    "$CLAIMREG" -q withdraw 1 || fail "withdraw 1"
}
# Then Zoë opted out after her withdrawal, and Daan opted out.
fixture_left() {
    fixture withdrawn
    "$CLAIMREG" -q withdraw --opt-out 1 || fail "withdraw --opt-out 1"
    "$CLAIMREG" -q withdraw --opt-out 2 || fail "withdraw --opt-out 2"
}
# Then both erased, and a new claimant (Fenna) added.
fixture_erased() {
    fixture left
    "$CLAIMREG" -q erase --force 1 || fail "erase 1"
    "$CLAIMREG" -q erase --force 2 || fail "erase 2"
}
fixture_fenna() {
    fixture erased
    "$CLAIMREG" add "${zoe[@]}" --child-first-name Fenna --external-ref '' > /dev/null || fail "add Fenna"
}

# Missing registry: 66 for all three, and none is created.
case_missing_registry() {
    for cmd in "show 1" "withdraw 1" "erase --force 1"; do
        run $cmd
        expect_status 66
        expect_err_contains "no registry at claimreg.db"
    done
    [ -e claimreg.db ] && fail "a reading command created a registry"
}

# show: the record, the linked registration, the audit events; exact.
case_show() {
    fixture registered
    run show 1
    expect_status 0
    expect_err ""
    expect_eq "$(normalise <<<"$out")" "id:                  1
external_ref:        TBYP-1
child_first_name:    Zoë
child_name_prefix:   van der
child_last_name:     Berg
child_birth_date:    2011-03-14
country:             NL
postcode:            1012 AB
house_number:        12a
platform:            tiktok
first_use:           2019-06-01
last_use:
registrant_name:     Anna van der Berg
registrant_email:    Anna@example.nl
registrant_phone:    +31612345678
registrant_relation: parent
consent:             yes
registered_at:       2024-01-15T10:00:00+01:00
state:               active
state_changed_at:
verdict:             eligible
reasons:
age_band:            under-13
rule_set:            ruling-2024
checked_at:          TODAY
source:              add
changed_at:          NOW

registrations: 1
  - registrant_name:     Bram Kwikkelstein
    registrant_email:    bram.kwik@example.com
    registrant_phone:
    registrant_relation: parent
    consent:             yes
    registered_at:       2024-02-01
    external_ref:
    source:              import-csv:partner.csv:2
    added_at:            NOW

audit:
  NOW  added      new claimant" "show 1"

    run show 2 --json
    expect_status 0
    expect_eq "$(normalise <<<"$out")" '{"id":2,"external_ref":null,"child_first_name":"Daan","child_name_prefix":"","child_last_name":"Jansen","child_birth_date":"2009-05-05","country":"NL","postcode":"3511 AX","house_number":"","platform":"tiktok","first_use":"2019-01-01","last_use":null,"registrant_name":"Piet Jansen","registrant_email":"piet@example.nl","registrant_phone":null,"registrant_relation":"parent","consent":true,"registered_at":"2024-03-01","state":"active","linked_to":null,"state_changed_at":null,"verdict":"eligible","reasons":[],"age_band":"under-13","rule_set":"ruling-2024","checked_at":"TODAY","source":"import-csv:partner.csv:3","changed_at":"NOW","registrations":[],"linked_claimants":[],"audit":[]}' "show 2 --json"
}

# Unknown ids: 66, naming the id only.
case_unknown_ids() {
    fixture registered
    for cmd in "show 9" "withdraw 9" "withdraw --opt-out 9" "erase --force 9"; do
        run $cmd
        expect_status 66
        expect_err "claimreg: no claimant with id 9"
    done
    run show 0
    expect_status 64
    run show
    expect_status 64
}

# Before: both claimants are counted and exported.
# withdraw: the state, its time and changed_at, the verdict re-evaluated at once.
case_withdraw() {
    fixture registered
    expect_eq "$("$CLAIMREG" stats --count)" "2" "count before"
    expect_eq "$(state_counts)" "active,2 " "by state before"
    expect_eq "$(export_ids)" "1 2 " "export before"
    run withdraw 1
    expect_status 0
    expect_out ""
    expect_err "claimreg: claimant 1 withdrawn; verdict ineligible (withdrawn)"
    expect_eq "$(sql claimreg.db "SELECT state, verdict, reasons, state_changed_at = changed_at, state_changed_at GLOB '20*Z' FROM claimants WHERE id = 1")" \
        "withdrawn|ineligible|withdrawn|1|1" "stored after withdraw"
    expect_eq "$("$CLAIMREG" stats --count)" "1" "count after withdraw"
    expect_eq "$(state_counts)" "active,1 withdrawn,1 " "by state after withdraw"
    expect_eq "$(export_ids)" "2 " "export after withdraw"
    expect_eq "$(export_ids --include-withdrawn)" "1 2 " "export --include-withdrawn"
    expect_eq "$("$CLAIMREG" export --include-withdrawn --format csv | grep -c ',withdrawn,ineligible,withdrawn,')" "1" "exported state and verdict"
    run show 1
    expect_out_contains "state:               withdrawn"
    expect_out_contains "reasons:             withdrawn"
    expect_eq "$(normalise <<<"$out" | tail -3)" "audit:
  NOW  added      new claimant
  NOW  withdrawn  from active" "audit in show"
}

# Idempotent; an opt-out after a withdrawal counts; a withdrawal does not undo an opt-out.
case_withdraw_again_and_opt_out() {
    fixture withdrawn
    before=$(sqlite3 claimreg.db .dump)
    run withdraw 1
    expect_status 0
    expect_err_contains "claimant 1 is already withdrawn (since 20"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after a second withdraw"
    run -q withdraw 1
    expect_err ""
    run withdraw --opt-out 1
    expect_status 0
    expect_err "claimreg: claimant 1 opted out; verdict ineligible (opted_out)"
    run withdraw 1
    expect_status 0
    expect_err_contains "has opted out (since 20"
    expect_eq "$(sql claimreg.db "SELECT state || ' ' || reasons FROM claimants WHERE id = 1")" "opted-out opted_out" "still opted out"
    expect_eq "$(state_counts)" "active,1 opted-out,1 " "by state after opt-out"
    run withdraw --opt-out 2
    expect_status 0
    expect_eq "$("$CLAIMREG" stats --count)" "0" "count after both left"
}

# erase: without --force and no terminal, 64 and nothing changed.
case_erase_needs_force() {
    fixture left
    before=$(sqlite3 claimreg.db .dump)
    out=$("$CLAIMREG" erase 1 </dev/null 2>"$WORK/.stderr"); status=$?; err=$(cat "$WORK/.stderr")
    expect_status 64
    expect_err_contains "--force"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after erase without --force"
}

# On a terminal it asks; anything but y/yes keeps the claimant.
case_erase_asks_on_a_terminal() {
    fixture left
    before=$(sqlite3 claimreg.db .dump)
    if command -v script >/dev/null; then
        out=$(printf 'n\n' | script -qec "'$CLAIMREG' erase 1" /dev/null); status=$?
        expect_status 0
        [[ "$out" == *"Erase claimant 1 and its 1 registration for good? [y/N]"* ]] || fail "no question: [$out]"
        [[ "$out" == *"nothing erased"* ]] || fail "no 'nothing erased': [$out]"
        expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after answering no"
    fi
}

# Another process keeps the registry open, so the write-ahead log stays between commands.
# What stays: the registry's secret and the keyed digests (identity key, external reference).
# A reader inside a transaction keeps the log from being emptied: erased, but 75, and said so.
# After: counts and exports stay honest; the audit row holds ids and counts only.
case_erase_leaves_no_trace() {
    fixture left
    mkfifo hold
    sqlite3 claimreg.db <hold >holdout 2>&1 &
    holder=$!
    exec 3>hold
    echo "SELECT 'ready', count(*) FROM claimants;" >&3
    for _ in $(seq 50); do grep -q ready holdout && break; sleep 0.1; done
    "$CLAIMREG" check-eligibility 1 --rules as-filed >/dev/null # rewrites the row into the log
    secrets=('Zoë' 'Anna van der Berg' 'Anna@example.nl' '+31612345678' 'TBYP-1' 'Bram Kwikkelstein' 'bram.kwik@example.com' '2011-03-14' '1012 AB')
    for s in "${secrets[@]}"; do
        n=$(files_grep "$s")
        checks=$((checks + 1))
        [ "$n" -gt 0 ] || fail "[$s] not found in the registry files before erase: the check below could not fail"
    done
    checks=$((checks + 1))
    [ -s claimreg.db-wal ] || fail "no write-ahead log while another process has the registry open"

    run erase --force 1
    expect_status 0
    expect_out ""
    expect_err "claimreg: claimant 1 erased with 1 linked registration"
    for s in "${secrets[@]}"; do expect_eq "$(files_grep "$s")" "0" "[$s] in the registry files after erase"; done
    expect_eq "$(stat -c %s claimreg.db-wal)" "0" "write-ahead log size after erase"
    expect_eq "$(sql claimreg.db "SELECT name || ':' || length(value) FROM secrets")" "erasure:32" "the secret"
    expect_eq "$(sql claimreg.db "SELECT count(*) || ':' || min(length(digest)) || ':' || max(length(digest)) FROM erased_keys")" "2:32:32" "two digests of 32 bytes"
    checks=$((checks + 1))
    [ "$(files_grep 'Piet Jansen')" -gt 0 ] || fail "the other claimant's data is gone too"

    # A reader inside a transaction keeps the log from being emptied: erased, but 75, and said so.
    echo "BEGIN; SELECT count(*) FROM claimants;" >&3
    sleep 0.2
    run --busy-timeout 100 erase --force 2
    expect_status 75
    expect_err_contains "claimant 2 erased, but another process is reading the registry"
    echo "COMMIT;" >&3
    exec 3>&-
    wait "$holder"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants') $(sql claimreg.db 'SELECT count(*) FROM registrations')" "0 0" "rows after erase"
    expect_eq "$("$CLAIMREG" stats --count)" "0" "count after erase"
    expect_eq "$(state_counts)" "" "by state after erase"
    expect_eq "$(export_ids --include-withdrawn)" "" "export after erase"
    run stats --format json
    expect_out_contains '"erased":2'
    expect_eq "$(sql claimreg.db "SELECT action, coalesce(claimant_id, '-'), coalesce(count, '-'), coalesce(detail, '-') FROM audit ORDER BY id")" \
    "added|1|1|new claimant
imported|-|1|rows_read=2 duplicates=1 linked=1 updated=0 rejected=0 file=partner.csv
withdrawn|1|-|from active
opted-out|1|-|from withdrawn
opted-out|2|-|from active
erased|1|2|linked=1
erased|2|1|linked=0" "audit trail"
    run show 1
    expect_status 66
    expect_err_contains "no claimant with id 1 (erased at 20"
}

# An erased id is never given again.
case_erased_id_never_given_again() {
    fixture erased
    run add "${zoe[@]}" --child-first-name Fenna --external-ref ''
    expect_out "3"
}

# The audit trail is append-only.
case_audit_is_append_only() {
    fixture fenna
    for stmt in "UPDATE audit SET count = 0" "DELETE FROM audit" "DELETE FROM audit WHERE action = 'erased'"; do
        msg=$(sqlite3 claimreg.db "$stmt" 2>&1)
        checks=$((checks + 1))
        [[ "$msg" == *"audit is append-only"* ]] || fail "$stmt: [$msg]"
    done
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM audit')" "8" "audit rows after UPDATE/DELETE attempts"
}

# Erasure sticks: the erased children are not imported or added again; reported, not rejected.
# A re-import that stores nothing writes no audit row (it changes nothing).
case_erasure_sticks() {
    fixture fenna
    run import-csv partner.csv --json
    expect_status 0
    expect_out '{"rows_read":2,"imported":0,"linked":0,"updated":0,"unchanged":0,"duplicates":0,"rejected":0,"erased":2}'
    expect_err "claimreg: line 2: an erased child (its reference or identity): not stored again
claimreg: line 3: an erased child (its reference or identity): not stored again
claimreg: 2 rows read: 0 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 2 erased"
    run add "${zoe[@]}"
    expect_status 0
    expect_out ""
    expect_err "claimreg: this child was erased from the registry before: not registered again; nothing stored"
    run add "${zoe[@]}" --child-first-name Zoe --external-ref TBYP-9 --json
    expect_out '{"id":null,"duplicate":false,"erased":true}'
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM claimants WHERE id != 3")" "0" "erased children not stored again"
    "$CLAIMREG" -q import-csv partner.csv
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM audit WHERE action = 'imported'")" "1" "one audit row per import that stored rows"
}

# --help: purpose, options, example, exit statuses.
case_help() {
    for cmd in show withdraw erase; do
        run "$cmd" --help
        expect_status 0
        for text in "Usage:" "ID" "Examples:" "claimreg $cmd " "Exit status:" "66"; do expect_out_contains "$text"; done
    done
    run show --help
    expect_out_contains "--json"
    run withdraw --help
    expect_out_contains "--opt-out"
    run erase --help
    expect_out_contains "--force"
    run --help
    for cmd in show withdraw erase; do expect_out_contains "$cmd"; done
}

finish
