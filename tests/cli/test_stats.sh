#!/usr/bin/env bash
# claimreg stats: counts checked against a known fixture and against sqlite3 queries over the
# registry (never against the stats code itself); formats, --count, usage errors, exit statuses.
. "$SRC_DIR/tests/cli/lib.sh"

TAB=$'\t'

# Independent figures: plain SQL over the registry, the table scanned without any index.
q() { sqlite3 -batch -separator "$TAB" claimreg.db "$1"; }
active="FROM claimants NOT INDEXED WHERE state = 'active'"
amount="CASE age_band WHEN 'under-13' THEN 1500 WHEN '13-15' THEN 1250 WHEN '16-17' THEN 1000 ELSE 0 END"

# The fixture: every verdict and band, an adult (no band), a non-resident without a postcode,
# a second registration of the same child (linked: not counted again), an exact resubmission
# (skipped), two files and one `add` (three sources).
fixture_registry() {
    H=external_ref,child_first_name,child_last_name,child_birth_date,country,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent,registered_at
    cat > nightly.csv <<CSV
$H
R01,Anna,Jansen,2010-03-01,NL,1012 AB,tiktok,2019-06-01,Els Jansen,els@example.nl,parent,yes,2024-01-15T10:00:00Z
R02,Bram,Visser,2005-01-10,NL,3511 AX,tiktok,2019-06-01,Rob Visser,rob@example.nl,parent,yes,2020-01-15
R03,Cor,Smit,2002-09-01,NL,3511 BB,tiktok,2019-06-01,Ina Smit,ina@example.nl,guardian,yes,2020-01-20
R04,Dirk,Mol,1999-05-05,NL,9711 AA,tiktok,2019-06-01,Dirk Mol,dirk@example.nl,self,yes,2020-02-01
R05,Eva,Bos,2011-02-02,NL,1012 CD,tiktok,2020-02-02,Tom Bos,tom@example.nl,parent,no,2024-02-01
R06,Fleur,Kok,2010-07-07,NL,2511 CV,musical.ly,2019-01-01,Kim Kok,kim@example.nl,parent,yes,2024-02-10
R07,Gijs,Peeters,2010-08-08,BE,,tiktok,2019-05-05,Jan Peeters,jan@example.be,parent,yes,2024-01-20
R08,Hugo,Dam,2012-04-04,NL,1012 EF,tiktok,2020-01-01,Lies Dam,lies@example.nl,parent,yes,2024-01-16
R09,Iris,Wit,2012-05-05,NL,5611 AA,tiktok,2020-01-01,Piet Wit,piet@example.nl,parent,yes,2024-02-16
R10,Joep,Kuipers,2006-06-06,NL,5611 BB,tiktok,2020-01-01,Ans Kuipers,ans@example.nl,parent,yes,2020-03-01
R11,Anna,Jansen,2010-03-01,NL,1012 AB,tiktok,2019-06-01,Kees Jansen,kees@example.nl,parent,yes,2024-01-17
R02,Bram,Visser,2005-01-10,NL,3511 AX,tiktok,2019-06-01,Rob Visser,rob@example.nl,parent,yes,2020-01-15
CSV
    cat > partner.csv <<CSV
$H
P01,Lotte,Bakker,2009-09-09,NL,1012 GH,TikTok,2019-09-09,Sara Bakker,sara@example.nl,parent,yes,2024-03-01
P02,Mila,Vos,2004-04-04,NL,3011 AA,tiktok,2019-09-09,Mila Vos,mila@example.nl,self,yes,2024-03-02
CSV
    run import-csv nightly.csv --json
    expect_status 0
    expect_out '{"rows_read":12,"imported":10,"linked":1,"updated":0,"unchanged":1,"duplicates":2,"rejected":0,"erased":0}'
    run import-csv partner.csv -q
    expect_status 0
    run add --child-first-name Noor --child-last-name Smit --child-birth-date 2008-08-08 \
        --postcode "1234 AB" --platform tiktok --first-use 2019-08-08 --registrant-name "Jan Smit" \
        --registrant-email jan@example.nl --registrant-relation parent --consent \
        --registered-at 2024-04-01
    expect_status 0
    # There is no withdraw command yet: set the states directly (verdicts left as they were).
    sql claimreg.db "UPDATE claimants SET state = 'withdrawn' WHERE external_ref = 'R09';
                 UPDATE claimants SET state = 'opted-out' WHERE external_ref = 'R10';"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM claimants') $(sql claimreg.db 'SELECT count(*) FROM registrations')" \
        "13 1" "fixture: claimants and linked registrations"
    expect_eq "$(sql claimreg.db "SELECT group_concat(external_ref || ':' || verdict || ':' || age_band, ' ') FROM (SELECT * FROM claimants WHERE external_ref IS NOT NULL ORDER BY external_ref)")" \
        "P01:eligible:under-13 P02:eligible:13-15 R01:eligible:under-13 R02:eligible:13-15 R03:eligible:16-17 R04:ineligible: R05:ineligible:under-13 R06:review:under-13 R07:ineligible:under-13 R08:eligible:under-13 R09:eligible:under-13 R10:eligible:13-15" \
        "fixture: verdicts and bands"
}

# A missing registry: 66, and none is created.
case_missing_registry() {
    for args in "stats" "stats --count" "stats --by age-band"; do
        # shellcheck disable=SC2086
        run --db missing.db $args
        expect_status 66
        expect_out ""
        expect_err_contains "no registry at missing.db"
    done
    expect_eq "$(ls)" "" "files after stats on a missing registry"
}

# The summary: aligned `label  value` lines.
case_summary() {
    fixture registry
    run stats
    expect_status 0
    expect_err ""
    line() { printf '%-12s  %4s\n' "$1" "$2"; }
    expect_out "$(line active 11; line '  eligible' 7; line '  ineligible' 3; line '  review' 1
             line withdrawn 1; line opted_out 1; line erased 0; line duplicates 1
             line claimed_eur 9500)"
    expect_eq "$(awk '$1 == "review" {print $2}' <<<"$out")" "1" "summary line found by awk"
    expect_eq "$(q "SELECT count(*) $active")" "11" "sqlite3: active"
    expect_eq "$(q "SELECT sum($amount) $active AND verdict = 'eligible'")" "9500" "sqlite3: claimed amount"
    expect_eq "$(q "SELECT count(*) FROM registrations r JOIN claimants c ON c.id = r.claimant_id WHERE c.state = 'active'")" \
        "1" "sqlite3: duplicates of active claimants"
    run stats --format json
    expect_status 0
    expect_out '{"active":11,"eligible":7,"ineligible":3,"review":1,"withdrawn":1,"opted_out":1,"erased":0,"duplicates":1,"claimed_eur":9500}'
    run stats --format csv
    expect_out "active,eligible,ineligible,review,withdrawn,opted_out,erased,duplicates,claimed_eur
11,7,3,1,1,1,0,1,9500"
}

# --count: one bare integer.
case_count() {
    fixture registry
    run stats --count
    expect_status 0
    expect_out "11"
    expect_eq "$(q "SELECT count(*) $active")" "$out" "--count vs sqlite3"
    n=$("$CLAIMREG" stats --count --verdict eligible)
    expect_eq "$n" "7" "\$(stats --count --verdict eligible)"
    run stats --count --verdict review --verdict ineligible
    expect_out "4"
    run stats --count --verdict review,eligible
    expect_out "8"
    expect_eq "$(q "SELECT count(*) $active AND verdict IN ('review', 'eligible')")" "8" "sqlite3: review + eligible"
}

# --by age-band: claimed_eur = eligible active claimants in the band x the band's amount;
# the group without a band (18 and over) is named 18+ (JSON: null) and claims 0.
case_by_age_band() {
    fixture registry
    run stats --by age-band
    expect_status 0
    expect_out "age_band${TAB}count${TAB}claimed_eur
under-13${TAB}7${TAB}6000
13-15${TAB}2${TAB}2500
16-17${TAB}1${TAB}1000
18+${TAB}1${TAB}0"
    expect_eq "$(q "SELECT ifnull(nullif(age_band, ''), '18+'), count(*), sum(CASE WHEN verdict = 'eligible' THEN $amount ELSE 0 END) $active GROUP BY 1 ORDER BY 1" | sort)" \
        "$(tail -n +2 <<<"$out" | sort)" "age bands vs sqlite3"
    run stats --by age-band --format json
    expect_out '[
{"age_band":"under-13","count":7,"claimed_eur":6000},
{"age_band":"13-15","count":2,"claimed_eur":2500},
{"age_band":"16-17","count":1,"claimed_eur":1000},
{"age_band":null,"count":1,"claimed_eur":0}
]'
    expect_eq "$(jq -c 'map(.claimed_eur) | add' <<<"$out")" "9500" "json parses; claimed amounts add up"
    run stats --by age-band --format table
    expect_out "age_band  count  claimed_eur
under-13      7         6000
13-15         2         2500
16-17         1         1000
18+           1            0"
    # Rows of other verdicts show 0.
    run stats --by age-band --by verdict --format csv
    expect_out "age_band,verdict,count,claimed_eur
under-13,eligible,4,6000
under-13,ineligible,2,0
under-13,review,1,0
13-15,eligible,2,2500
16-17,eligible,1,1000
18+,ineligible,1,0"
    run stats --by age-band --verdict eligible --format csv
    expect_out "age_band,count,claimed_eur
under-13,4,6000
13-15,2,2500
16-17,1,1000"
}

# --chart: the same counts as bars (eighth blocks), fitted to $COLUMNS: 40 columns leave 27
# for the bars after "under-13  7  "; 2/7 of 27 is 7 and 6/8 blocks, 1/7 is 3 and 7/8.
case_chart() {
    fixture registry
    B=$'\xe2\x96\x88' E4=$'\xe2\x96\x8c' E6=$'\xe2\x96\x8a' E7=$'\xe2\x96\x89' # U+2588, 258C, 258A, 2589
    blocks() { local s="" i; for ((i = 0; i < $1; i++)); do s+=$B; done; printf '%s' "$s"; }
    widest() { while IFS= read -r line; do printf '%s' "$line" | LC_ALL=C.UTF-8 wc -m; done <<<"$1" | sort -n | tail -n 1; }
    COLUMNS=40 run stats --by age-band --chart
    expect_status 0
    expect_out "under-13  7  $(blocks 27)
13-15     2  $(blocks 7)$E6
16-17     1  $(blocks 3)$E7
18+       1  $(blocks 3)$E7"
    expect_eq "$(widest "$out")" 40 "widest chart line (characters) at COLUMNS=40"
    COLUMNS=120 run stats --by age-band --chart
    expect_eq "$(widest "$out")" 120 "widest chart line at COLUMNS=120"
    # Without COLUMNS and not on a terminal: 80. --verdict filters; several groups share a label.
    env -u COLUMNS "$CLAIMREG" stats --by age-band --chart > chart.txt
    expect_eq "$(widest "$(cat chart.txt)")" 80 "chart width without COLUMNS"
    COLUMNS=40 run stats --by age-band --verdict eligible --chart
    expect_out "under-13  4  $(blocks 27)
13-15     2  $(blocks 13)$E4
16-17     1  $(blocks 6)$E6"
    COLUMNS=40 run stats --by age-band --by verdict --verdict review --chart
    expect_out "under-13 review  1  $(blocks 20)"
    # No colour, so NO_COLOR changes nothing; no escape sequence at all.
    NO_COLOR=1 COLUMNS=40 run stats --by age-band --chart
    expect_eq "$out" "$(COLUMNS=40 "$CLAIMREG" stats --by age-band --chart)" "chart with NO_COLOR"
    expect_not_contains "$out" $'\e'
    for args in "--chart" "--chart --by age-band --format csv" "--chart --count"; do
        # shellcheck disable=SC2086
        run stats $args
        expect_status 64
        expect_err "claimreg: --chart draws the counts of --by: it takes --by, and no --format or --count"
    done
}

# --by state counts every state (natural order); withdrawn and opted-out claim nothing.
case_by_state() {
    fixture registry
    run stats --by state
    expect_out "state${TAB}count
active${TAB}11
withdrawn${TAB}1
opted-out${TAB}1"
    run stats --by state --by age-band --format csv
    expect_out "state,age_band,count,claimed_eur
active,under-13,7,6000
active,13-15,2,2500
active,16-17,1,1000
active,18+,1,0
withdrawn,under-13,1,0
opted-out,13-15,1,0"
    run stats --by state --verdict eligible --format json
    expect_out '[
{"state":"active","count":7},
{"state":"withdrawn","count":1},
{"state":"opted-out","count":1}
]'
}

# Every other group against sqlite3 (tsv without its header = sqlite3's tab-separated rows).
case_other_groups() {
    fixture registry
    check_by() { # check_by "--by args" "SQL select list"
        # shellcheck disable=SC2086
        run stats $1
        expect_status 0
        expect_eq "$(tail -n +2 <<<"$out")" "$(q "SELECT $2, count(*) $active GROUP BY $2 ORDER BY $2")" "stats $1"
    }
    check_by "--by verdict" "verdict"
    check_by "--by platform" "platform"
    check_by "--by birth-year" "substr(child_birth_date, 1, 4)"
    check_by "--by postcode-area" "substr(postcode, 1, 2)"
    check_by "--by registration-month" "substr(registered_at, 1, 7)"
    check_by "--by relation" "registrant_relation"
    source_name="(SELECT name FROM sources WHERE sources.id = source_id)"
    check_by "--by source" "$source_name"
    check_by "--by platform --by verdict" "platform, verdict"
    check_by "--by birth-year --by verdict" "substr(child_birth_date, 1, 4), verdict"
    check_by "--by verdict,relation" "verdict, registrant_relation"
    check_by "--by postcode-area --by registration-month --by source" \
        "substr(postcode, 1, 2), substr(registered_at, 1, 7), $source_name"
    run stats --by postcode-area --by birth-year --format csv
    expect_eq "$(head -3 <<<"$out")" "postcode_area,birth_year,count
,2010,1
10,2009,1" "postcode area: empty for a non-resident without a postcode"
    run stats --by registration-month --by source --format json --verdict review
    expect_out '[
{"registration_month":"2024-02","source":"import-csv:nightly.csv","count":1}
]'
    run stats --by source --format tsv
    expect_out "source${TAB}count
add${TAB}1
import-csv:nightly.csv${TAB}8
import-csv:partner.csv${TAB}2"
    # Nothing matches: a header only, or an empty array.
    sql claimreg.db "UPDATE claimants SET state = 'withdrawn' WHERE verdict = 'review'"
    run stats --by platform --verdict review
    expect_status 0
    expect_out "platform${TAB}count"
    run stats --by platform --verdict review --format json
    expect_out "[]"
    run stats --count --verdict review
    expect_out "0"
    sql claimreg.db "UPDATE claimants SET state = 'active' WHERE verdict = 'review'"
}

# On a terminal the default is the aligned table.
case_table_on_a_terminal() {
    fixture registry
    if script -qec true /dev/null >/dev/null 2>&1; then
        out=$(script -qec "\"$CLAIMREG\" stats --by relation" /dev/null | tr -d '\r')
        expect_eq "$out" "relation  count
guardian      1
parent        8
self          2" "table on a terminal"
    fi
}

# Usage errors: 64, nothing on stdout.
case_usage_errors() {
    fixture registry
    for args in "--count --by verdict" "--count --format json" "--by colour" "--verdict maybe --by state" \
        "--format xml --by state" "--verdict eligible" "--by state --by state" "--bogus"; do
        # shellcheck disable=SC2086
        run stats $args
        expect_status 64
        expect_out ""
    done
    run stats --count --by verdict
    expect_err_contains "--count"
    run stats --by colour
    expect_err_contains "age-band"
}

# --help: purpose, options, examples, exit statuses.
case_help() {
    run stats --help
    expect_status 0
    for text in "Count active claimants" "--by GROUP" "--verdict" "--format" "--count" "Examples:" \
        "claimreg stats --by age-band" "Exit status:" "66"; do
        expect_out_contains "$text"
    done
}

# The tallies (schema migration 5; the unit tests check that stats reads them) agree with the
# claimants after the imports, adds, withdrawals and checks of the fixture, and after a state
# changed and changed back.
case_tallies() {
    fixture registry
    sql claimreg.db "UPDATE claimants SET state = 'withdrawn' WHERE verdict = 'review'"
    sql claimreg.db "UPDATE claimants SET state = 'active' WHERE verdict = 'review'"
    tally_sql="SELECT state, verdict, age_band, child_birth_date, n FROM tallies ORDER BY 1, 2, 3, 4"
    expect_eq "$(sql claimreg.db "$tally_sql")" \
        "$(sql claimreg.db "SELECT state, verdict, age_band, child_birth_date, count(*) FROM claimants GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4")" "tallies"
}

# A stats run during an import sees a snapshot (before or after it) and does not fail.
case_stats_during_an_import() {
    fixture registry
    GEN="${BUILD_DIR:-}/bench/gen_registrations"
    if [ -x "$GEN" ]; then
        "$GEN" --rows 20000 > many.csv
        before=$("$CLAIMREG" stats --count)
        "$CLAIMREG" import-csv many.csv -q 2>/dev/null &
        import=$!
        seen=""
        for _ in $(seq 20); do
            run stats --count
            [ "$status" -eq 0 ] || { expect_status 0; break; }
            seen="$seen $out"
        done
        wait "$import"
        after=$("$CLAIMREG" stats --count)
        for n in $seen; do
            checks=$((checks + 1))
            [ "$n" == "$before" ] || [ "$n" == "$after" ] || fail "count during import: $n (before $before, after $after)"
        done
        expect_eq "$after" "$(q "SELECT count(*) $active")" "count after import vs sqlite3"
        run stats --by birth-year
        expect_eq "$(tail -n +2 <<<"$out")" "$(q "SELECT substr(child_birth_date, 1, 4), count(*) $active GROUP BY 1 ORDER BY 1")" \
            "birth years after import vs sqlite3"
    fi
}

finish
