#!/usr/bin/env bash
# Messages never echo what the user typed: a name and an e-mail address planted into every
# command's error paths (extra arguments, bad ids, bad option values, unknown options with
# values, a --db that is no registry) appear neither on stderr nor on stdout. Usage errors name
# the option, the position or the count instead, and exit 64 (a field that breaks a rule: 65).
. "$SRC_DIR/tests/cli/lib.sh"
set -o pipefail

name=Geheimberg
mail=geheim@example.nl

# refused STATUS ARGS...: claimreg ARGS exits STATUS with one `claimreg: ` line on stderr,
# nothing on stdout, and neither output holds the planted name or e-mail (in any case).
refused() {
    local want=$1
    shift
    run "$@"
    expect_status "$want"
    expect_out ""
    checks=$((checks + 1))
    [[ "$err" == "claimreg: "* && "$err" != *$'\n'* ]] || fail "stderr is not one claimreg line: [$err]"
    local both=${out,,}${err,,}
    checks=$((checks + 1))
    [[ "$both" != *geheim* ]] || fail "claimreg $* echoed a planted value: [$err]"
}

zoe=(--child-first-name Zoe --child-last-name Berg --child-birth-date 14-03-2011
     --postcode '1012 AB' --platform tiktok --first-use 2019-06-01
     --registrant-name 'Anna Berg' --registrant-email anna@example.com
     --registrant-relation parent --consent)

# Zoe registered (claimant 1); ok.csv beside it.
fixture_zoe() {
    run add "${zoe[@]}"
    expect_status 0
    expect_out "1"
    printf 'child_first_name,child_last_name\nZoe,Berg\n' >ok.csv
}

# ---- the command line itself (CLI11's parse errors) -------------------------------------------
case_command_line() {
    fixture zoe
    refused 64 "$name"
    expect_err "claimreg: unknown command (argument 1; see 'claimreg --help')"
    refused 64 "$mail" stats
    refused 64 "--$name"
    expect_err "claimreg: unknown option (argument 1; see 'claimreg --help')"
    refused 64 --voornaam="$name" stats
    expect_err "claimreg: unknown option --voornaam (argument 1; see 'claimreg stats --help')"
    refused 64 --busy-timeout "$name" stats
    expect_err "claimreg: --busy-timeout (argument 2): not a whole number of milliseconds (see 'claimreg --help')"
    refused 64 --busy-timeout "-$name" stats
    refused 64 --busy-timeout 1.5 stats
    refused 64 --quiet="$name" stats
    expect_err "claimreg: --quiet: takes no value (see 'claimreg --help')"
    refused 64 stats --db
}

# add: extra words of an unquoted name, unknown options with values, flags given values.
case_add_usage() {
    fixture zoe
    refused 64 add "${zoe[@]}" --child-name-prefix "$name" der van
    expect_err "claimreg: 2 unexpected arguments (arguments 23, 24; see 'claimreg add --help')"
    refused 64 add "${zoe[@]}" "$name"
    expect_err "claimreg: 1 unexpected argument (argument 21; see 'claimreg add --help')"
    refused 64 add "${zoe[@]}" --voornaam="$name"
    expect_err "claimreg: unknown option --voornaam (argument 21; see 'claimreg add --help')"
    refused 64 add "${zoe[@]}" --voornaam "$name"
    expect_err "claimreg: unknown option --voornaam (argument 21); 1 unexpected argument (argument 22) (see 'claimreg add --help')"
    refused 64 add "${zoe[@]}" "--$mail=$name"
    refused 64 add "${zoe[@]}" "-$name"
    refused 64 add "${zoe[@]}" --consent="$name"
    expect_err "claimreg: --consent: takes no value (see 'claimreg add --help')"
    refused 64 add "${zoe[@]}" --json="$mail"
    refused 64 add --child-first-name "$name" der van
    expect_err "claimreg: --child-last-name is required (see 'claimreg add --help')"
    refused 64 add "${zoe[@]}" --child-last-name
    expect_err "claimreg: --child-last-name: a value is missing (see 'claimreg add --help')"
}

# add: a field that breaks a rule names the option and the rule (65).
case_add_rules() {
    fixture zoe
    refused 65 add "${zoe[@]}" --child-birth-date "$name"
    expect_err "claimreg: --child-birth-date: not a date (use YYYY-MM-DD or DD-MM-YYYY)"
    for opt in --first-use --last-use --registered-at --postcode --platform --registrant-relation \
        --country --registrant-phone --registrant-email; do
        refused 65 add "${zoe[@]}" "$opt" "$name"
        refused 65 add "${zoe[@]}" "$opt" "$mail x"
    done
    refused 65 add "${zoe[@]}" --registrant-email "$name"
    refused 65 add "${zoe[@]}" --child-first-name "$name"$'\t'x
    refused 65 add "${zoe[@]}" --external-ref "$name$name$name$name$name$name$name"
}

case_import_csv() {
    fixture zoe
    refused 64 import-csv ok.csv "$name" der van
    expect_err "claimreg: 3 unexpected arguments (arguments 3, 4, 5; see 'claimreg import-csv --help')"
    refused 64 import-csv --delimiter "$name" ok.csv
    expect_err "claimreg: --delimiter: not a delimiter (use , ; or tab)"
    refused 64 import-csv --encoding "$mail" ok.csv
    expect_err "claimreg: --encoding: not an encoding (use utf-8 or windows-1252)"
    refused 64 import-csv --strict="$name" ok.csv
    refused 64 import-csv --voornaam="$name" ok.csv
    refused 64 import-csv --rejects
    # A file without a header row: its first row is data, and is never named.
    printf '%s,%s,2011-03-14\n' "$name" "$mail" >no-header.csv
    refused 65 import-csv --dry-run no-header.csv
}

case_check_eligibility() {
    fixture zoe
    refused 64 check-eligibility 1 "$name"
    expect_err "claimreg: ID (argument 3): not a claimant id (a positive whole number) (see 'claimreg check-eligibility --help')"
    refused 64 check-eligibility --rules as-filed 7 "$mail"
    expect_err "claimreg: ID (argument 5): not a claimant id (a positive whole number) (see 'claimreg check-eligibility --help')"
    refused 64 check-eligibility --all --rules "$name"
    expect_err "claimreg: --rules: unknown rule set (known: ruling-2024, as-filed)"
    refused 64 check-eligibility --all --as-of "$name"
    expect_err "claimreg: --as-of: not a date (use YYYY-MM-DD or DD-MM-YYYY)"
    refused 64 check-eligibility --all --json="$name"
    refused 64 check-eligibility --all --voornaam="$name"
    refused 65 check-eligibility --child-birth-date "$name" --first-use 2019-01-01
    refused 65 check-eligibility --child-birth-date 2011-01-01 --first-use 2019-01-01 \
        --registrant-relation "$mail"
}

case_export() {
    fixture zoe
    refused 64 export "$name"
    expect_err "claimreg: 1 unexpected argument (argument 2; see 'claimreg export --help')"
    refused 64 export --format "$name"
    expect_err "claimreg: --format: unknown format (use csv, json, ndjson or xlsx)"
    refused 64 export --verdict "$name"
    expect_err "claimreg: --verdict: unknown verdict (known: eligible, ineligible, review)"
    refused 64 export --verdict "eligible,$mail"
    refused 64 export --since "$name"
    refused 64 export --delimiter "$mail"
    refused 64 export --bom="$name"
    refused 64 export --pseudonymize="$name"
}

case_stats() {
    fixture zoe
    refused 64 stats "$name"
    refused 64 stats --by "$name"
    expect_err "claimreg: --by: unknown group (use state|verdict|platform|age-band|birth-year|postcode-area|registration-month|relation|source)"
    refused 64 stats --by "state,$mail"
    refused 64 stats --by state --verdict "$mail"
    refused 64 stats --by state --format "$name"
    expect_err "claimreg: --format: unknown format (use table|csv|tsv|json)"
    refused 64 stats --count="$name"
}

case_show_withdraw_erase() {
    fixture zoe
    refused 64 show "$name"
    expect_err "claimreg: ID (argument 2): not a claimant id (a positive whole number) (see 'claimreg show --help')"
    refused 64 show 1 "$name"
    expect_err "claimreg: 1 unexpected argument (argument 3; see 'claimreg show --help')"
    refused 64 show --json="$name" 1
    refused 64 withdraw "$mail"
    refused 64 withdraw 1 "$name" der van
    refused 64 withdraw --opt-out="$name" 1
    refused 64 erase --force "$name"
    refused 64 erase --force=="$name" 1
    refused 64 erase --force 1 "$mail"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants')" "1" "claimants after refused commands"
}

# ---- a --db that is no registry: its contents are never shown (65) -----------------------------
case_db_that_is_no_registry() {
    fixture zoe
    printf '%s <%s>\n' "$name" "$mail" >notes.txt
    sqlite3 -batch people.db "CREATE TABLE people(name TEXT, email TEXT);
    INSERT INTO people VALUES ('$name', '$mail');"
    for db in notes.txt people.db; do
        refused 65 --db "$db" stats
        refused 65 --db "$db" show 1
        refused 65 --db "$db" export
        refused 65 --db "$db" check-eligibility --all
        refused 65 --db "$db" withdraw 1
        refused 65 --db "$db" erase --force 1
        refused 65 --db "$db" add "${zoe[@]}"
        run --db "$db" import-csv ok.csv
        expect_status 65
        expect_not_contains "${out,,}${err,,}" geheim
    done
    expect_eq "$(cat notes.txt)" "$name <$mail>" "the non-registry file is unchanged"
}

finish
