#!/usr/bin/env bash
# duplicates: near-duplicates of a small hand-made registry (tests/fixtures/near-duplicates.csv):
# a typo in the family name (1, 2), day and month swapped (3, 4), a dropped `van` (5, 6), a
# family that moved (7, 8); twins Sem/Sam (9, 10) and Fleur/Floor (11, 12) registered by one
# parent are not proposed; decided and linked pairs are left out; --since, --limit, --min-score,
# the three formats, --show, and no personal value without --show.
. "$SRC_DIR/tests/cli/lib.sh"

levels() { # levels FIRST LAST BIRTH POSTCODE HOUSE EMAIL PHONE
    printf 'child_first_name=%s child_last_name=%s child_birth_date=%s postcode=%s house_number=%s registrant_email=%s registrant_phone=%s' "$@"
}
typo_pair=$(levels exact typo exact exact exact different missing)
swap_pair=$(levels exact exact swapped exact exact different missing)
van_pair=$(levels exact variant exact exact exact different missing)
moved_pair=$(levels exact exact exact different different exact exact)
sem_sam=$(levels typo exact exact exact exact exact exact)
fleur_floor=$(levels different exact exact exact exact exact missing)
# What a plain run proposes.
default_out="1.000	1	2	$typo_pair
1.000	3	4	$swap_pair
1.000	5	6	$van_pair
0.940	7	8	$moved_pair"

# The fixture imported into r.db.
fixture_reg() {
    cp "$SRC_DIR/tests/fixtures/near-duplicates.csv" reg.csv
    "$CLAIMREG" -q --db r.db import-csv reg.csv || fail "import"
}
# Then the pair (1, 2) decided distinct, 6 linked to 5 and (5, 6) decided the same, 8 withdrawn.
fixture_decided() {
    fixture reg
    sql r.db "INSERT INTO pair_decisions VALUES (1, 2, 'distinct', '2024-07-03T00:00:00Z')" || fail "deciding"
    sql r.db "UPDATE claimants SET state = 'linked', linked_to = 5 WHERE id = 6" || fail "linking"
    sql r.db "INSERT INTO pair_decisions VALUES (5, 6, 'same', '2024-07-03T00:00:00Z')" || fail "deciding"
    "$CLAIMREG" -q --db r.db withdraw 8 || fail "withdraw"
}

# A reading command: no registry, no new file.
case_missing_registry() {
    run --db none.db duplicates
    expect_status 66
    expect_err_contains "no registry at none.db"
    expect_eq "$([ -e none.db ] && echo created || echo absent)" absent "missing registry left missing"
}

case_default_run() {
    fixture reg
    run --db r.db duplicates
    expect_status 0
    expect_out "1.000	1	2	$typo_pair
1.000	3	4	$swap_pair
1.000	5	6	$van_pair
0.940	7	8	$moved_pair"
    expect_err "claimreg: 22 active claimants, 6 pairs compared, 4 proposed"
    run -q --db r.db duplicates
    expect_out "$default_out"
    expect_err ""
}

# Twins are in the wider review band, capped at 0.5; nothing else of the fixture comes close.
case_min_score_and_limit() {
    fixture reg
    run --db r.db duplicates --min-score 0.5
    expect_status 0
    expect_out "$default_out
0.500	9	10	$sem_sam
0.500	11	12	$fleur_floor"
    run --db r.db duplicates --min-score 0.999
    expect_out "1.000	1	2	$typo_pair
1.000	3	4	$swap_pair
1.000	5	6	$van_pair"
    run --db r.db duplicates --min-score 1
    expect_out "1.000	1	2	$typo_pair
1.000	3	4	$swap_pair
1.000	5	6	$van_pair"
    run --db r.db duplicates --limit 2
    expect_out "1.000	1	2	$typo_pair
1.000	3	4	$swap_pair"
}

# Formats.
case_formats() {
    fixture reg
    run --db r.db duplicates --format json --limit 2
    expect_out '{"score":1.000,"a":1,"b":2,"fields":{"child_first_name":"exact","child_last_name":"typo","child_birth_date":"exact","postcode":"exact","house_number":"exact","registrant_email":"different","registrant_phone":"missing"}}
{"score":1.000,"a":3,"b":4,"fields":{"child_first_name":"exact","child_last_name":"exact","child_birth_date":"swapped","postcode":"exact","house_number":"exact","registrant_email":"different","registrant_phone":"missing"}}'
    "$CLAIMREG" --db r.db duplicates --format csv > review.csv || fail "csv"
    expect_eq "$(cat review.csv)" "score,a,b,levels,decision"$'\r'"
1.000,1,2,$typo_pair,"$'\r'"
1.000,3,4,$swap_pair,"$'\r'"
1.000,5,6,$van_pair,"$'\r'"
0.940,7,8,$moved_pair,"$'\r' "csv for review"
    expect_eq "$(python3 -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1], newline=""))); print(len(r), r[3]["a"], r[3]["b"], repr(r[3]["decision"]))' review.csv)" "4 7 8 ''" "csv read back"
}

# No personal value without --show (names, e-mail, phone, postcodes, house numbers, dates, refs).
case_no_personal_values() {
    fixture reg
    all_out=$("$CLAIMREG" --db r.db duplicates --min-score 0 --format tsv; "$CLAIMREG" --db r.db duplicates --min-score 0 --format json; "$CLAIMREG" --db r.db duplicates --min-score 0 --format csv) || fail "outputs"
    for value in Daan Jansen Emma Vries Lucas Dijk Sophie Bakker Sem Sam Visser Fleur Floor Smit \
        example.nl 2012 1234 AB +3161 R01; do
        expect_not_contains "$all_out" "$value"
    done
}

# --show: both records side by side, as show prints them.
case_show() {
    fixture reg
    run --db r.db duplicates --show --limit 1
    expect_status 0
    expect_out "1.000	1	2	$typo_pair
  id:                  1                    | 2
  external_ref:        R01                  | R02
  child_first_name:    Daan                 | Daan
  child_name_prefix:                        |
  child_last_name:     Jansen               | Jansenn
  child_birth_date:    2012-04-17           | 2012-04-17
  country:             NL                   | NL
  postcode:            1234 AB              | 1234 AB
  house_number:        5                    | 5
  platform:            tiktok               | tiktok
  first_use:           2020-01-01           | 2020-01-01
  last_use:                                 |
  registrant_name:     Piet Jansen          | Ans Jansen
  registrant_email:    piet@example.nl      | ans@example.nl
  registrant_phone:    +31612345601         |
  registrant_relation: parent               | parent
  consent:             yes                  | yes
  registered_at:       2024-01-10           | 2024-02-10
  state:               active               | active
  source:              import-csv:reg.csv:2 | import-csv:reg.csv:3
  changed_at:          $(sql r.db 'SELECT changed_at FROM claimants WHERE id = 1') | $(sql r.db 'SELECT changed_at FROM claimants WHERE id = 2')"
    run --db r.db duplicates --show --format json
    expect_status 64
    expect_err "claimreg: --show: only with --format tsv (csv and json carry no personal values)"
}

# Usage errors name the option, never the value.
case_usage_errors() {
    fixture reg
    run --db r.db duplicates --min-score 2
    expect_status 64
    expect_err "claimreg: --min-score: expected a number from 0 to 1"
    run --db r.db duplicates --min-score Jansen
    expect_status 64
    expect_not_contains "$err" Jansen
    run --db r.db duplicates --format xml
    expect_status 64
    expect_err "claimreg: --format: unknown format (use tsv|csv|json)"
    run --db r.db duplicates --since yesterday
    expect_status 64
    expect_err_contains "--since: expected a date"
    run --db r.db duplicates --limit 0
    expect_status 64
    expect_err "claimreg: --limit (argument 5): not a count (a whole number from 1) (see 'claimreg duplicates --help')"
}

# --since: only pairs with a claimant added or changed since then (the nightly run).
case_since() {
    fixture reg
    sql r.db "UPDATE claimants SET changed_at = '2024-06-01T00:00:00Z'" || fail "backdating"
    sql r.db "UPDATE claimants SET changed_at = '2024-07-02T08:00:00Z' WHERE id IN (4, 8)" || fail "changing"
    run --db r.db duplicates --since 2024-07-01
    expect_status 0
    expect_out "1.000	3	4	$swap_pair
0.940	7	8	$moved_pair"
    run --db r.db duplicates --since 2024-07-02T10:00:00+02:00
    expect_out "1.000	3	4	$swap_pair
0.940	7	8	$moved_pair"
    run --db r.db duplicates --since 2024-07-02T08:00:01Z
    expect_status 0
    expect_out ""
    run --db r.db duplicates --since 2024-06-01
    expect_out "$default_out"
}

# Decided pairs and linked claimants are not proposed again.
case_decided_and_linked_pairs() {
    fixture reg
    sql r.db "INSERT INTO pair_decisions VALUES (1, 2, 'distinct', '2024-07-03T00:00:00Z')" || fail "deciding"
    sql r.db "UPDATE claimants SET state = 'linked', linked_to = 5 WHERE id = 6" || fail "linking"
    sql r.db "INSERT INTO pair_decisions VALUES (5, 6, 'same', '2024-07-03T00:00:00Z')" || fail "deciding"
    # (The weights are estimated from the active claimants: with one fewer they move a little.)
    run --db r.db duplicates
    expect_status 0
    expect_out "1.000	3	4	$swap_pair
0.943	7	8	$moved_pair"
    # A withdrawn claimant is not a candidate either.
    "$CLAIMREG" -q --db r.db withdraw 8 || fail "withdraw"
    run --db r.db duplicates
    expect_out "0.999	3	4	$swap_pair"
}

# The registry is opened read-only: a read-only file works, and nothing changes.
case_read_only_registry() {
    fixture decided
    before=$(sha256sum r.db)
    chmod 400 r.db
    run --db r.db duplicates --limit 1
    expect_status 0
    expect_out "0.999	3	4	$swap_pair"
    expect_eq "$(sha256sum r.db)" "$before" "registry unchanged"
}

# One claimant: nothing to compare, said in the singular.
case_one_claimant() {
    fixture reg
    head -n 2 reg.csv >one.csv
    "$CLAIMREG" -q --db one.db import-csv one.csv || fail "import of one row"
    run --db one.db duplicates
    expect_status 0
    expect_out ""
    expect_err "claimreg: 1 active claimant, 0 pairs compared, 0 proposed"
}

finish
