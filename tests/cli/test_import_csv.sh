#!/usr/bin/env bash
# claimreg import-csv: messy real-world files, duplicates, rejects, transactions, exit statuses.
. "$SRC_DIR/tests/cli/lib.sh"

count() { sql claimreg.db 'SELECT count(*) FROM claimants'; }
linked() { sql claimreg.db 'SELECT count(*) FROM registrations'; }

# Dutch Excel: ';', Windows-1252, CRLF, Dutch headers with odd case and spaces, day-first dates.
fixture_excel_csv() {
    printf 'Referentie;Voornaam;Tussenvoegsel;Achternaam;Geboortedatum;Postcode;Huisnummer;Platform;Eerste gebruik;Naam aanmelder;E-mail;Relatie;Toestemming\r\n' > excel.csv
    printf 'R1;Zo\xeb;van der;Berg;14-03-2011;1012ab;12;TikTok;01-06-2019;Anna Berg;anna@example.nl;ouder;ja\r\n' >> excel.csv
    printf 'R2;Fr\xe9d\xe9rique;;M\xfcller;1-2-2010;3511 ax;7a;musical.ly;2018-07-01;Jos M\xfcller;jos@example.nl;voogd;1\r\n' >> excel.csv
    printf "R3;Sanne;;'t Hart;29-02-2012;9999 ZZ;1;tiktok;15-01-2020;Eva 't Hart;eva@example.nl;ouder;nee\r\n" >> excel.csv
}
# excel.csv imported.
fixture_excel() {
    fixture excel_csv
    "$CLAIMREG" -q import-csv excel.csv || fail "import of excel.csv"
}
# Then bom.csv (two of its rows rejected) and dup.csv (one linked, one unchanged): 5 claimants.
fixture_bom_and_dup() {
    fixture excel
    fixture bom_csv
    "$CLAIMREG" -q import-csv bom.csv 2>/dev/null
    [ $? -eq 65 ] || fail "import of bom.csv"
    "$CLAIMREG" -q import-csv dup.csv || fail "import of dup.csv"
}
# UTF-8 with BOM, ',' delimiter, quoted delimiters, doubled quotes and newlines (bom.csv); accent
# variant of a registered child by the other parent, and an exact resubmission (dup.csv).
fixture_bom_csv() {
    printf '\xef\xbb\xbfexternal_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent,house_number\n' > bom.csv
    printf 'B1,ZOE,,Van der Berg,2011-03-14,1012AB,tiktok,2019-06-01,"Berg, Bram",bram@example.nl,parent,yes,"12\n"\n' >> bom.csv
    printf 'B2,"Jan ""Jr""",,"de Vries",2009-05-05,2511 CV,tiktok,2019-06-01,"Piet de Vries",piet@example.nl,parent,yes,3\n' >> bom.csv
    printf 'B3,Lotte,,Bakker,2009-05-05,2511 CV,tiktok,2019-06-01,"Multi\nline name",l@example.nl,parent,yes,3\n' >> bom.csv
    printf 'B4,Mila,,Visser,2011-01-01,1011 AA,tiktok,2019-06-01,Ria Visser,ria@example.nl,parent,yes,1' >> bom.csv
    printf 'external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent\nB5,ZOE,Van der Berg,2011-03-14,1012AB,tiktok,2019-06-01,Bram,bram@example.nl,parent,yes\nB6,Zoë,"van der Berg",14-03-2011,1012 AB,TikTok,2019-06-01,Anna,ANNA@example.nl,parent,yes\n' > dup.csv
}

case_dutch_excel() {
    fixture excel_csv
    run import-csv excel.csv
    expect_status 0
    expect_out ""
    expect_err "claimreg: 3 rows read: 3 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    expect_mode claimreg.db 600
    expect_eq "$(sql claimreg.db "SELECT child_first_name || '|' || child_last_name || '|' || child_birth_date || '|' || postcode || '|' || platform || '|' || consent || '|' || source_line FROM claimants ORDER BY id")" \
    "Zoë|Berg|2011-03-14|1012 AB|tiktok|1|2
Frédérique|Müller|2010-02-01|3511 AX|musical.ly|1|3
Sanne|'t Hart|2012-02-29|9999 ZZ|tiktok|0|4" "stored rows"
    expect_eq "$(sql claimreg.db "SELECT verdict || ':' || reasons FROM claimants ORDER BY id")" \
    "eligible:
eligible:
ineligible:no_consent" "verdicts stored on import"

}

# Re-importing the same file changes nothing.
case_reimport() {
    fixture excel
    before=$(sqlite3 claimreg.db .dump)
    run import-csv excel.csv --json
    expect_status 0
    expect_out '{"rows_read":3,"imported":0,"linked":0,"updated":0,"unchanged":3,"duplicates":3,"rejected":0,"erased":0}'
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after re-import"

}

# UTF-8 with BOM, ',' delimiter, quoted delimiters, doubled quotes and newlines; accent variant
# of a registered child by the other parent (linked), and an exact resubmission (skipped).
case_bom_quotes_and_linked_duplicates() {
    fixture excel
    fixture bom_csv
    run import-csv bom.csv
    expect_status 65
    expect_err "claimreg: line 2: house_number: contains a control character
claimreg: line 5: registrant_name: contains a control character
claimreg: 4 rows read: 2 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 2 rejected, 0 erased"
    run import-csv dup.csv --json
    expect_status 0
    expect_out '{"rows_read":2,"imported":0,"linked":1,"updated":0,"unchanged":1,"duplicates":2,"rejected":0,"erased":0}'
    expect_eq "$(count) $(linked)" "5 1" "claimants and linked registrations"

}

# Ragged rows, bad fields and bad quoting: line numbers (of the record's first line), column,
# rule; never the values. Good rows are kept; --rejects gets the bad ones (0600) with reasons.
case_bad_rows() {
    fixture bom_and_dup
    cat > bad.csv <<'CSV'
child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation
Noor,Smit,2010-01-01,1234 AB,tiktok,2019-01-01,Els Smit,els@example.nl,parent
Geheim,Persoon,2010-01-01,0123 AB,tiktok,2019-01-01,X,x@example.nl,parent
"Two
lines",Bos,2010-01-01,1234 AB,tiktok,2019-01-01,Y,y@example.nl
Secret,Name,31-04-2010,1234 AB,tiktok,2019-01-01,Z,z@example.nl,parent
Bram,Kok,2010-01-01,1234 SS,tiktok,2019-01-01,W,w@example.nl,parent
Dirk,Mol,2010-01-01,1234 AB,myspace,2019-01-01,V,v@example.nl,parent
CSV
    run import-csv bad.csv --rejects rejects.csv
    expect_status 65
    expect_err "claimreg: line 3: postcode: not a Dutch postcode (use 1234 AB)
claimreg: line 4: expected 9 fields, found 8
claimreg: line 6: child_birth_date: not a real calendar date
claimreg: line 7: postcode: letters SA, SD and SS are not used in Dutch postcodes
claimreg: line 8: platform: not tiktok or musical.ly
claimreg: 6 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 5 rejected, 0 erased"
    for secret in Geheim Persoon 0123 Secret 31-04-2010 myspace; do expect_not_contains "$err" "$secret"; done
    expect_mode rejects.csv 600
    expect_eq "$(head -1 rejects.csv | tr -d '\r')" "child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,reason" "rejects header"
    expect_eq "$(grep -c 'line [0-9]*:' rejects.csv)" "5" "rejected rows in rejects file"
    expect_eq "$(count)" "6" "good row of bad.csv kept"

}

# --strict: nothing stored when a row is bad.
case_strict() {
    fixture excel
    printf 'child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation\nKees,Dam,2010-01-01,1234 AB,tiktok,2019-01-01,A,a@example.nl,parent\nKees,Dam,2010-02-30,1234 AB,tiktok,2019-01-01,A,a@example.nl,parent\n' > strict.csv
    before=$(sqlite3 claimreg.db .dump)
    run import-csv --strict strict.csv
    expect_status 65
    expect_err_contains "(strict: nothing stored)"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after --strict"

}

# --dry-run: counts, writes nothing, creates no registry.
case_dry_run() {
    fixture excel
    before=$(sqlite3 claimreg.db .dump)
    run --db none.db import-csv --dry-run --json excel.csv
    expect_status 0
    expect_out '{"rows_read":3,"imported":3,"linked":0,"updated":0,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
    [ -e none.db ] && fail "--dry-run created a registry"
    run import-csv --dry-run --json excel.csv
    expect_out '{"rows_read":3,"imported":0,"linked":0,"updated":0,"unchanged":3,"duplicates":3,"rejected":0,"erased":0}'
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after --dry-run"

}

# Standard input; a leading apostrophe is removed only before = + - @ (formula guard).
case_stdin_and_apostrophes() {
    fixture excel
    printf "child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation\n'=Eva,'t Hooft,2010-01-01,1234 AB,tiktok,2019-01-01,'-Rik,r@example.nl,parent\n" | "$CLAIMREG" -q import-csv -
    expect_eq "$?" "0" "stdin import status"
    expect_eq "$(sql claimreg.db "SELECT child_first_name || '|' || child_last_name || '|' || registrant_name || '|' || s.name FROM claimants JOIN sources AS s ON s.id = source_id WHERE claimants.id = (SELECT max(id) FROM claimants)")" "=Eva|'t Hooft|-Rik|import-csv:-" "apostrophes"

}

# Header problems: one clear error before any row, nothing stored, no registry created.
case_header_problems() {
    printf 'voornaam,achternaam\nA,B\n' > nohead.csv
    run --db fresh.db import-csv nohead.csv
    expect_status 65
    expect_err "claimreg: line 1: missing required columns: child_birth_date, platform, first_use, registrant_name, registrant_email, registrant_relation"
    # A file without a header: its first row is data, so its cells are never named as columns.
    printf 'Geheimnaam,Berg,2010-01-01,1234 AB,tiktok,2019-01-01,A,a@example.nl,parent\n' > datafirst.csv
    run --db fresh.db import-csv datafirst.csv
    expect_status 65
    expect_not_contains "$err" "Geheimnaam"
    expect_not_contains "$err" "a@example.nl"
    [ -e fresh.db ] && fail "a refused file created a registry"
    : > empty.csv
    run --db fresh.db import-csv empty.csv
    expect_status 65
    expect_err_contains "empty"
}

# Unknown columns are named in a warning; export-only columns are ignored silently.
case_unknown_columns() {
    fixture excel
    printf 'id,verdict,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,shoe_size\n9,eligible,Tim,Berg,2010-01-01,1234 AB,tiktok,2019-01-01,A,t@example.nl,parent,42\n' > extra.csv
    run import-csv extra.csv
    expect_status 0
    expect_err "claimreg: warning: ignoring unknown column 'shoe_size'
claimreg: 1 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    run -q import-csv extra.csv
    expect_err ""

}

# Missing file or a directory: 66. Bad options: 64.
case_missing_file_and_bad_options() {
    fixture excel_csv
    run import-csv no-such.csv
    expect_status 66
    mkdir adir
    run import-csv adir
    expect_status 66
    run import-csv excel.csv --encoding latin-9
    expect_status 64
    run import-csv
    expect_status 64

}

# --delimiter and --encoding given explicitly.
case_delimiter_and_encoding() {
    printf 'child_first_name\tchild_last_name\tchild_birth_date\tpostcode\tplatform\tfirst_use\tregistrant_name\tregistrant_email\tregistrant_relation\nJo\xebl\tBerg\t2010-01-01\t1234 AB\ttiktok\t2019-01-01\tA\tjoel@example.nl\tparent\n' > tab.csv
    run --db tab.db import-csv --delimiter tab --encoding windows-1252 tab.csv
    expect_status 0
    expect_eq "$(sql tab.db 'SELECT child_first_name FROM claimants')" "Joël" "cp1252 name"
}

# Invalid UTF-8 in a UTF-8 file: that row is rejected as bad encoding.
case_invalid_utf8() {
    printf 'child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation\nZo\xc3\xab,Berg,2010-01-01,1234 AB,tiktok,2019-01-01,A,z@example.nl,parent\nBad\xff,Berg,2010-01-01,1234 AB,tiktok,2019-01-01,A,b@example.nl,parent\n' > mixed.csv
    run --db mixed.db import-csv mixed.csv
    expect_status 65
    expect_err_contains "line 3: invalid UTF-8"
    expect_eq "$(sql mixed.db 'SELECT count(*) FROM claimants')" "1" "good row of a file with bad encoding"

}

finish
