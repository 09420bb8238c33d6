# A registry for the report suites (sourced after lib.sh): 66 active claimants, every name,
# e-mail, reference and house number unlike anything the report itself could print.
#   30 under-13, tiktok, postcode area 10, eligible, registered in the week of 2024-01-15
#      (10 of them registered again by the other parent: linked)
#   12 13-15, tiktok, area 35, eligible, week of 2024-01-22
#   20 under-13, musical.ly after the merge, area 25, review, week of 2024-02-05
#    4 under-13, tiktok, area 97, no consent (ineligible), week of 2024-02-05
# plus one rejected row. Expected, with --min-count 10: verdicts 42 / <10 / >=10 (the 4 hidden,
# and the 20 with it); postcode areas: only 10 shown (97 <10, then 35 and 25 hidden with it).
build_report_fixture() {
    local H=external_ref,child_first_name,child_last_name,child_birth_date,country,postcode,house_number,platform,first_use,registrant_name,registrant_email,registrant_relation,consent,registered_at
    {
        echo "$H"
        local i
        for i in $(seq 1 30); do
            echo "QZREF-A$i,Zwaantje$i,Quispelaar,2010-03-01,NL,1012 AB,4321-Q$i,tiktok,2019-06-01,Hendrikus Vermeulen$i,geheim$i@voorbeeld-privé.nl,parent,yes,2024-01-15T10:00:00Z"
        done
        for i in $(seq 1 10); do
            echo "QZREF-L$i,Zwaantje$i,Quispelaar,2010-03-01,NL,1012 AB,4321-Q$i,tiktok,2019-06-01,Gerarda Vermeulen$i,moeder$i@voorbeeld-privé.nl,parent,yes,2024-01-16"
        done
        for i in $(seq 1 12); do
            echo "QZREF-B$i,Xandertje$i,Quispelaar,2005-01-10,NL,3511 AX,4321-R$i,tiktok,2019-06-01,Hendrikus Vermeulen$i,geheimb$i@voorbeeld-privé.nl,parent,yes,2024-01-22"
        done
        for i in $(seq 1 20); do
            echo "QZREF-C$i,Ypeltje$i,Quispelaar,2010-07-07,NL,2511 CV,4321-S$i,musical.ly,2019-01-01,Hendrikus Vermeulen$i,geheimc$i@voorbeeld-privé.nl,parent,yes,2024-02-05"
        done
        for i in $(seq 1 4); do
            echo "QZREF-D$i,Wubbetje$i,Quispelaar,2012-04-04,NL,9711 AA,4321-T$i,tiktok,2020-01-01,Hendrikus Vermeulen$i,geheimd$i@voorbeeld-privé.nl,parent,no,2024-02-06"
        done
        echo "QZREF-X1,Vreemdje,Quispelaar,2012-13-45,NL,9711 AA,4321-U1,tiktok,2020-01-01,Hendrikus X,x@voorbeeld-privé.nl,parent,yes,2024-02-06"
    } > fixture.csv
    "$CLAIMREG" --db "$1" import-csv fixture.csv -q 2>/dev/null
    [ $? -eq 65 ] || { echo "report fixture: import failed" >&2; exit 1; }
}

# The personal values planted in the fixture, one a line, for "none of these appears" checks.
planted_values() {
    printf '%s\n' Zwaantje Xandertje Ypeltje Wubbetje Vreemdje Quispelaar Vermeulen Hendrikus \
        Gerarda geheim moeder voorbeeld QZREF 4321- fixture.csv 2010-03-01 2005-01-10 '1012 AB' \
        '3511 AX'
}

# The fixture as a registry (claimreg.db) for the cases of a suite.
fixture_report_registry() { build_report_fixture claimreg.db; }
