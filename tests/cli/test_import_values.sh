#!/usr/bin/env bash
# import-csv and add read what a Dutch partner's sheet holds: relation words in Dutch and English,
# and quotes inside an unquoted field as literal text (an unterminated quoted field is still bad).
. "$SRC_DIR/tests/cli/lib.sh"
set -o pipefail

H=child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent
# row N RELATION: a distinct child registered with RELATION.
row() { printf 'Kind%s,Jansen,2011-03-14,1012 AB,tiktok,2019-06-01,Ouder %s,o%s@example.nl,%s,ja\n' "$1" "$1" "$1" "$2"; }

# ---- relation words ----------------------------------------------------------------------------
words=(parent Ouder vader Moeder father MOTHER mum mom dad papa mama 'ouder/verzorger'
       'Ouder / Verzorger' parent/guardian
       guardian 'legal guardian' voogd verzorger caregiver carer pleegouder 'foster parent'
       self zelf myself ikzelf)
expected=(parent parent parent parent parent parent parent parent parent parent parent parent
          parent parent
          guardian guardian guardian guardian guardian guardian guardian guardian
          self self self self)
fixture_relations_csv() {
    {
        echo "$H"
        for i in "${!words[@]}"; do row "$i" "${words[$i]}"; done
        row 90 oom
        row 91 buurvrouw
        row 92 'ouder verzorger x'
    } >relations.csv
}
fixture_relations() {
    fixture relations_csv
    "$CLAIMREG" -q import-csv relations.csv 2>/dev/null
    [ $? -eq 65 ] || fail "import of relations.csv"
}

case_relation_words() {
    fixture relations_csv
    run import-csv relations.csv
    expect_status 65
    expect_out ""
    expect_err "claimreg: line 28: registrant_relation: not parent, guardian or self
claimreg: line 29: registrant_relation: not parent, guardian or self
claimreg: line 30: registrant_relation: not parent, guardian or self
claimreg: 29 rows read: 26 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 3 rejected, 0 erased"
    expect_eq "$(sql claimreg.db 'SELECT registrant_relation FROM claimants ORDER BY id' | tr '\n' ' ')" \
        "${expected[*]} " "stored relations"
}

# add takes the same words.
case_add_takes_the_same_words() {
    fixture relations
    add=(--child-first-name Lotte --child-last-name Bakker --child-birth-date 2012-01-02
         --postcode '3511 AX' --platform tiktok --first-use 2020-01-01 --registrant-name 'M Bakker'
         --registrant-email m@example.nl --consent)
    run add "${add[@]}" --registrant-relation moeder
    expect_status 0
    expect_out "27"
    expect_eq "$(sql claimreg.db 'SELECT registrant_relation FROM claimants WHERE id = 27')" parent "add: moeder"
    run add "${add[@]}" --registrant-relation oma
    expect_status 65
    expect_err "claimreg: --registrant-relation: not parent, guardian or self"
}

# ---- quotes ------------------------------------------------------------------------------------
case_quotes() {
    printf '%s\n' "$H" \
        'Jan "Jantje",Smit,2011-03-14,1012 AB,tiktok,2019-06-01,Els "E." Smit,els@example.nl,ouder,ja' \
        '"Piet" Jr,Smit,2011-03-15,1012 AB,tiktok,2019-06-01,Els Smit,els@example.nl,ouder,ja' \
        'Kees,"Smit ""de Jonge""",2011-03-16,1012 AB,tiktok,2019-06-01,Els Smit,els@example.nl,ouder,ja' \
        'Mies,5"2,2011-03-17,1012 AB,tiktok,2019-06-01,Els Smit,els@example.nl,ouder,ja' \
        '"Open,Smit,2011-03-18,1012 AB,tiktok,2019-06-01,Els Smit,els@example.nl,ouder,ja' >quotes.csv
    run --db quotes.db import-csv quotes.csv
    expect_status 65
    expect_out ""
    expect_err "claimreg: line 3: malformed quotes
claimreg: line 6: unterminated quoted field
claimreg: 5 rows read: 3 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 2 rejected, 0 erased"
    expect_eq "$(sql quotes.db "SELECT child_first_name || '|' || child_last_name || '|' || registrant_name FROM claimants ORDER BY id")" \
        'Jan "Jantje"|Smit|Els "E." Smit
Kees|Smit "de Jonge"|Els Smit
Mies|5"2|Els Smit' "names with quotes"
    # The same with ; and with a tab as the delimiter, and as Windows-1252.
    tr ',' ';' <quotes.csv >quotes-semicolon.csv
    run --db semicolon.db import-csv quotes-semicolon.csv
    expect_status 65
    expect_eq "$(sql semicolon.db "SELECT group_concat(child_first_name, '|') FROM claimants")" \
        'Jan "Jantje"|Kees|Mies' "names with quotes (;)"
    tr ',' '\t' <quotes.csv | sed 's/Mies/Mi\xebs/' >quotes-tab.csv
    run --db tab.db import-csv quotes-tab.csv
    expect_status 65
    expect_eq "$(sql tab.db "SELECT group_concat(child_first_name, '|') FROM claimants")" \
        'Jan "Jantje"|Kees|Miës' "names with quotes (tab, Windows-1252)"
}

finish
