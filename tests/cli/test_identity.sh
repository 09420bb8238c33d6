#!/usr/bin/env bash
# The same child typed with invisible characters (zero-width space and joiner, soft hyphen, a BOM
# inside a cell) is one claimant, stored without them; a name that mixes scripts in one word (a
# Cyrillic look-alike) is rejected, naming the line and field, never the value.
. "$SRC_DIR/tests/cli/lib.sh"

header='external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent'
row() { printf '%s,%s,de,%s,2012-04-05,1234 AB,tiktok,2019-06-01,Ouder,%s,parent,ja\n' "$@"; }

case_invisible_characters_and_mixed_scripts() {
    {
        echo "$header"
        row R1 Sem Vries ouder1@example.nl
        row R2 $'Se\u200bm' Vries ouder2@example.nl
        row R3 Sem $'Vr\u00adies' ouder3@example.nl
        row R4 $'\ufeffSem' Vries ouder4@example.nl
        row R5 Sem $'Vri\u200des' ouder5@example.nl
        row R6 $'S\u0435m' Vries ouder6@example.nl
        row R7 Noor $'Bakker\u200b Jansen' ouder7@example.nl
    } > sem.csv

    run import-csv --json sem.csv
    expect_status 65
    expect_out '{"rows_read":7,"imported":2,"linked":4,"updated":0,"unchanged":0,"duplicates":4,"rejected":1,"erased":0}'
    expect_err_contains "claimreg: line 7: child_first_name: mixes letters of different scripts in one word"
    expect_not_contains "$err" $'S\u0435m'
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants')" "2" "claimants"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM registrations')" "4" "linked registrations"
    expect_eq "$(sql claimreg.db "SELECT group_concat(hex(child_first_name) || ' ' || hex(child_last_name), ',') FROM claimants")" \
        "53656D 5672696573,4E6F6F72 42616B6B6572204A616E73656E" "names stored without invisible characters"
    run stats --count
    expect_out "2"
}

# Scripts that belong together, and single other scripts, are names like any other.
case_scripts_that_belong_together() {
    {
        echo "$header"
        row R8 'Анна' 'Петрова' a@example.nl
        row R9 'Ελένη' 'Παππά' b@example.nl
        row R10 '山田' 'たろう' c@example.nl
        row R11 'Zoë' "O'Brien-Müller" d@example.nl
    } > scripts.csv
    run import-csv --json scripts.csv
    expect_status 0
    expect_out '{"rows_read":4,"imported":4,"linked":0,"updated":0,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
}

# One word per script is fine: Latin first name, Cyrillic last name.
case_one_word_per_script() {
    {
        echo "$header"
        row R12 'Anna' 'Петрова' e@example.nl
    } > words.csv
    run import-csv --json words.csv
    expect_status 0
    expect_out '{"rows_read":1,"imported":1,"linked":0,"updated":0,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
}

finish
