#!/usr/bin/env bash
# claimreg check-eligibility: ad hoc verdicts and exit statuses, stored verdicts by id and --all.
. "$SRC_DIR/tests/cli/lib.sh"

# checks_of: "id rule_set checked_at" per claimant, as an export reports them.
checks_of() {
    "$CLAIMREG" export --include-withdrawn --format ndjson |
        sed -E 's/.*"id":([0-9]+),.*"rule_set":"([^"]*)","checked_at":"([^"]*)".*/\1 \2 \3/'
}

fixture_people() {
    cat > people.csv <<'CSV'
child_first_name,child_last_name,child_birth_date,country,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent,registered_at
Eva,Smit,2010-01-01,NL,1234 AB,tiktok,2019-06-01,A,a@example.nl,parent,yes,2024-01-15
Adam,Bos,1999-01-01,NL,1234 AB,tiktok,2019-06-01,B,b@example.nl,parent,yes,2024-01-15
Lina,Vos,2008-01-01,NL,1234 AB,musical.ly,2019-01-01,C,c@example.nl,parent,yes,2024-01-15
Finn,Dijk,2010-01-01,BE,2000,tiktok,2019-06-01,D,d@example.nl,parent,no,2024-01-15
Sara,Mol,2009-06-01,NL,1234 AB,tiktok,2023-02-01,E,e@example.nl,self,yes,2024-01-15
CSV
    run -q import-csv people.csv
    expect_status 0
}

# Ad hoc: the verdict word, then `code: explanation` lines; exit 0/1/2; no registry touched.
case_ad_hoc() {
    run check-eligibility --child-birth-date 2010-01-01 --first-use 2019-06-01 --as-of 2026-01-01
    expect_status 0
    expect_out "eligible"
    run check-eligibility --child-birth-date 1999-01-01 --first-use 2019-06-01 --country BE --no-consent --json --as-of 2026-01-01
    expect_status 1
    # Registered on the as-of date (the default) by a parent at 27: that asks for review too.
    expect_out '{"verdict":"ineligible","reasons":["not_resident","adult","no_consent","adult_registered_by_parent"],"age_band":null}'
    run check-eligibility --child-birth-date 1999-01-01 --first-use 2019-06-01 --as-of 2026-01-01
    expect_status 1
    expect_eq "$(printf '%s\n' "$out" | head -1)" "ineligible" "verdict line"
    expect_out_contains "adult: "
    expect_out_contains "Stichting Massaschade & Consument"
    run check-eligibility --child-birth-date 2008-01-01 --first-use 2019-01-01 --platform musical.ly --registered-at 2024-01-15 --as-of 2026-01-01 --json
    expect_status 2
    expect_out '{"verdict":"review","reasons":["musically_after_merge"],"age_band":"under-13"}'
    # The 29 February rule: born 2004-02-29, 18 on 2022-03-01; first use on 2022-02-28 is 17.
    run check-eligibility --child-birth-date 29-02-2004 --first-use 2022-02-28 --registrant-relation zelf --json --as-of 2026-01-01
    expect_out '{"verdict":"eligible","reasons":[],"age_band":"16-17"}'
    run check-eligibility --child-birth-date 29-02-2004 --first-use 2022-03-01 --registrant-relation self --json --as-of 2026-01-01
    expect_out '{"verdict":"ineligible","reasons":["adult"],"age_band":null}'
    # The rule sets differ on use that started after the ruling's window.
    run check-eligibility --child-birth-date 2010-01-01 --first-use 2023-01-01 --json --as-of 2026-01-01
    expect_out '{"verdict":"ineligible","reasons":["outside_period"],"age_band":"13-15"}'
    run check-eligibility --child-birth-date 2010-01-01 --first-use 2023-01-01 --rules as-filed --json --as-of 2026-01-01
    expect_status 0
    expect_out '{"verdict":"eligible","reasons":[],"age_band":"13-15"}'
    [ -e claimreg.db ] && fail "ad hoc mode created a registry"
}

# Usage errors: unknown rule set, bad date, mixing modes, nothing given.
case_ad_hoc_usage_errors() {
    run check-eligibility --child-birth-date 2010-01-01 --first-use 2019-01-01 --rules appeal-2099
    expect_status 64
    expect_err_contains "known: ruling-2024, as-filed"
    run check-eligibility --child-birth-date 2010-01-01 --first-use 2019-01-01 --as-of 2026-13-01
    expect_status 64
    run check-eligibility --all --child-birth-date 2010-01-01 --first-use 2019-01-01
    expect_status 64
    run check-eligibility
    expect_status 64
    run check-eligibility --child-birth-date 2010-02-30 --first-use 2019-01-01
    expect_status 65
    expect_err "claimreg: --child-birth-date: not a real calendar date"
}

# Registry mode needs a registry: 66, nothing created.
case_registry_needed() {
    run check-eligibility --all
    expect_status 66
    [ -e claimreg.db ] && fail "a reading command created a registry"
}

# Verdicts are stored at import under the default rules.
case_stored_at_import() {
    fixture people
    expect_eq "$(sql claimreg.db "SELECT group_concat(verdict || ':' || reasons || ':' || age_band, ' ') FROM (SELECT * FROM claimants ORDER BY id)")" \
        "eligible::under-13 ineligible:adult,adult_registered_by_parent: review:musically_after_merge:under-13 ineligible:not_resident,no_consent:under-13 ineligible:outside_period,minor_registered_self:13-15" "stored verdicts"
}

# One id: the line, and the verdict's exit status.
case_ids() {
    fixture people
    run check-eligibility 1
    expect_status 0
    expect_out "$(printf '1\teligible\t-')"
    run check-eligibility 2
    expect_status 1
    expect_out "$(printf '2\tineligible\tadult,adult_registered_by_parent')"
    run check-eligibility 3 --json
    expect_status 2
    expect_out '{"id":3,"verdict":"review","reasons":["musically_after_merge"],"age_band":"under-13"}'
    # Several ids: one line each, exit 0.
    run check-eligibility 1 4 5
    expect_status 0
    expect_out "$(printf '1\teligible\t-\n4\tineligible\tnot_resident,no_consent\n5\tineligible\toutside_period,minor_registered_self')"
    run check-eligibility 1 99
    expect_status 66
    expect_err "claimreg: no claimant with id 99"
}

# --all: counts by verdict, computed independently from the stored verdicts; rule set and as-of
# stored on every claimant.
case_all() {
    fixture people
    run check-eligibility --all --rules as-filed --as-of 2026-06-30
    expect_status 0
    expected=$(for v in eligible ineligible review; do printf '%s\t%s\n' "$v" "$(sql claimreg.db "SELECT count(*) FROM claimants WHERE verdict = '$v'")"; done)
    expect_out "$expected"
    all_ids=$(sql claimreg.db "SELECT id FROM claimants ORDER BY id")
    expect_eq "$(checks_of)" "$(sed 's/$/ as-filed 2026-06-30/' <<<"$all_ids")" "rule set and as-of stored"
    expect_eq "$(sql claimreg.db "SELECT verdict || ':' || reasons FROM claimants WHERE id = 5")" "review:minor_registered_self" "as-filed verdict of a 2023 first use"
    run check-eligibility --all --json
    expect_out_contains '"eligible":'
    expect_eq "$(checks_of | cut -d' ' -f2 | sort -u)" "ruling-2024" "default rule set stored"
    # A check of one claimant is its own; a later --all covers everyone again; a claimant added
    # after it has the check of its `add`.
    run check-eligibility 2 --rules as-filed --as-of 2026-01-31
    expect_eq "$(checks_of | grep -c '2026-01-31')" "1" "one claimant checked on its own"
    expect_eq "$(checks_of | grep '^2 ')" "2 as-filed 2026-01-31" "the single check is stored"
    run check-eligibility --all --as-of 2026-02-01
    expect_eq "$(checks_of | cut -d' ' -f2,3 | sort -u)" "ruling-2024 2026-02-01" "--all covers every claimant"
    run -q add --child-first-name Late --child-last-name Komer --child-birth-date 2015-01-01 \
        --postcode 1234AB --platform tiktok --first-use 2021-01-01 --registrant-name X \
        --registrant-email late@example.nl --registrant-relation parent --consent
    expect_status 0
    expect_eq "$(checks_of | grep "^$out ")" "$out ruling-2024 $(date +%F)" "a claimant added after --all"
    expect_eq "$(checks_of | grep -vc "^$out ")" "$(wc -l <<<"$all_ids")" "the others keep the --all check"
}

# A rule set that changes thousands of verdicts moves their stats counts (tallies) in one pass;
# they still agree with the claimants, and back again.
case_tallies_in_one_pass() {
    "$BUILD_DIR/bench/gen_registrations" --rows 6000 --seed 3 > many.csv
    run -q --db many.db import-csv many.csv
    expect_status 0
    tally_sql="SELECT state, verdict, age_band, child_birth_date, n FROM tallies ORDER BY 1, 2, 3, 4"
    count_sql="SELECT state, verdict, age_band, child_birth_date, count(*) FROM claimants GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    sql many.db "SELECT id, verdict, age_band FROM claimants ORDER BY id" > verdicts.before
    for rules in as-filed ruling-2024; do
        run -q --db many.db check-eligibility --all --rules "$rules"
        expect_status 0
        expect_eq "$(sql many.db "$tally_sql")" "$(sql many.db "$count_sql")" "tallies after --all --rules $rules"
        expect_eq "$(sql many.db "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'tallies_%'")" "3" "tallies triggers after --all --rules $rules"
    done
    changed=$(sql many.db "SELECT id, verdict, age_band FROM claimants ORDER BY id" | diff verdicts.before - | grep -c '^>')
    expect_eq "$changed" "0" "verdicts back under the default rules"
    "$CLAIMREG" -q --db many.db check-eligibility --all --rules as-filed >/dev/null
    changed=$(sql many.db "SELECT id, verdict, age_band FROM claimants ORDER BY id" | diff verdicts.before - | grep -c '^>')
    [ "$changed" -ge 1000 ] || fail "only $changed verdicts changed under as-filed (the one-pass path needs 1000)"
}

finish
