#!/usr/bin/env bash
# claimreg import-xlsx: workbooks saved by LibreOffice Calc and openpyxl (typed cells, shared,
# rich-text and inline strings, formulas' saved results, both date systems, empty rows, merged
# and out-of-order cells, a second sheet), messages without values, and bad input (not a
# workbook, a zip bomb, entity expansion) refused with 65 in bounded memory.
. "$SRC_DIR/tests/cli/lib.sh"
fixtures=$SRC_DIR/tests/fixtures/xlsx
PY=/usr/bin/python3
"$PY" -c 'import openpyxl' 2>/dev/null || { echo "python3-openpyxl is not installed" >&2; exit 77; }

rows() {
    sql "$1" "SELECT external_ref || '|' || child_first_name || '|' || child_name_prefix || '|' || child_last_name || '|' || child_birth_date || '|' || house_number || '|' || first_use || '|' || coalesce(registrant_phone, '') || '|' || registrant_relation || '|' || consent FROM claimants ORDER BY id"
}

# make.py KIND: hand-made workbooks, written with Python's zipfile so that nothing tidies them up.
fixture_make_py() {
    cat > make.py <<'PY'
import sys, zipfile
def book(path, sheet, strings='', extra=None, doctype=''):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        z.writestr('_rels/.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr('xl/workbook.xml', '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr('xl/_rels/workbook.xml.rels', '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
        z.writestr('xl/styles.xml', '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>')
        if extra is None:
            z.writestr('xl/worksheets/sheet1.xml', doctype + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + sheet + '</sheetData></worksheet>')
        else:
            extra(z)
def inline(col, text): return '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (col, text)
header = '<row r="1">' + ''.join(inline(c + '1', h) for c, h in zip('ABCDEFGHI', ['child_first_name', 'child_last_name', 'child_birth_date', 'platform', 'first_use', 'registrant_name', 'registrant_email', 'registrant_relation', 'postcode'])) + '</row>'
def ok_row(r, first, birth='<c r="C%d" s="1"><v>40000</v></c>'):
    return ('<row r="%d">' % r) + ('<c t="inlineStr"><is><t>%s</t></is></c>' % first) + '<c t="str"><f>UPPER("x")</f><v>Bos</v></c>' + (birth % r if '%d' in birth else birth) + '<c r="E%d" t="d"><v>2019-01-01T00:00:00</v></c>' % r + '<c r="D%d" t="inlineStr"><is><t>tiktok</t></is></c>' % r + inline('F%d' % r, 'Ouder') + inline('G%d' % r, 'o%d@example.nl' % r) + inline('H%d' % r, 'parent') + inline('I%d' % r, '1234 AB') + '</row>'
cmd = sys.argv[1]
if cmd == 'handmade':
    book('hand.xlsx', header + ok_row(2, 'Anna') + '<row r="3"/>' + ok_row(4, 'Bram', '<c r="C%d" s="1"><v>60</v></c>') + ok_row(5, 'Cas', '<c r="C%d" t="e"><v>#N/A</v></c>') + ok_row(6, 'Dirk').replace('</row>', inline('J6', 'extra') + '</row>'))
elif cmd == 'bomb':
    def bomb(z):
        with z.open('xl/worksheets/sheet1.xml', 'w', force_zip64=True) as f:
            f.write(('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + header).encode())
            block = b'<row/>' * (1 << 20)
            for _ in range(12):
                f.write(block)
            f.write(b'</sheetData></worksheet>')
    book('bomb.xlsx', '', extra=bomb)
elif cmd == 'laughs':
    book('laughs.xlsx', header.replace('child_first_name', '&lol9;'), doctype='<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol9 "&lol2;&lol2;&lol2;">]>')
elif cmd in ('many', 'commented', 'broken'):
    # 8,000 rows over several megabytes of XML, one a line; every third row and all from 3000 on
    # without their numbers;
    # two bad rows far in. 'commented': after every row a long comment that starts with a row
    # (not a row: where the sheet is cut into pieces, it is often in one of these);
    # 'broken': a mismatched tag in row 7000.
    rows = []
    for r in range(2, 8002):
        birth = '<c r="C%d" s="1"><v>60</v></c>' if r == 5000 else '<c r="C%d" t="e"><v>#N/A</v></c>' if r == 6000 else '<c r="C%d" s="1"><v>40000</v></c>'
        row = ok_row(r, 'Kind%d' % r, birth)
        if r % 3 == 0 or r >= 3000:
            row = row.replace('<row r="%d">' % r, '<row>', 1)
        if r == 7000 and cmd == 'broken':
            row = row.replace('</t></is>', '</is>', 1)
        if cmd == 'commented':
            row += '<!--<row r="%d">%s</row>%s-->' % (r, inline('A%d' % r, 'Fake'), 'x' * 3000)
        rows.append(row + '\n')
    book(cmd + '.xlsx', header + '\n' + ''.join(rows), doctype='<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
elif cmd == 'spacers':
    # Between two stretches of rows, 5 MB of other elements: no row start tag to cut at for
    # longer than a piece may be, and a `<` every four bytes.
    rows = [ok_row(r, 'Kind%d' % r) for r in range(2, 4002)]
    book('spacers.xlsx', header + ''.join(rows[:2000]) + '<x/>' * 1250000 + ''.join(rows[2000:]))
elif cmd == 'xmlerrors':
    # One XML error each, in a row holding a name; and the hand-made sheet in UTF-16 and Latin-1.
    def raw(path, sheet_bytes):
        book(path, '', extra=lambda z: z.writestr('xl/worksheets/sheet1.xml', sheet_bytes))
    start = '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + header
    end = '</sheetData></worksheet>'
    raw('badbyte.xlsx', (start + ok_row(2, 'Geheimnaam') + end).encode().replace(b'Geheim', b'Geheim\xff'))
    raw('entity.xlsx', (start + ok_row(2, '&Geheimnaam;') + end).encode())
    raw('tagname.xlsx', (start + ok_row(2, '<Geheimnaam>x') + end).encode())
    raw('twice.xlsx', (start + ok_row(2, 'Geheimnaam').replace('<c t="inlineStr">', '<c t="inlineStr" t="inlineStr">', 1) + end).encode())
    raw('nothing.xlsx', b'')
    raw('cutshort.xlsx', (start + ok_row(2, 'Geheimnaam') + end)[:-30].encode())
    raw('junk.xlsx', (start + ok_row(2, 'Geheimnaam') + end + '<Geheimnaam/>').encode())
    hand = start + ok_row(2, 'Anna') + ok_row(3, 'Zoë') + end
    raw('utf16.xlsx', ('<?xml version="1.0" encoding="UTF-16"?>' + hand).encode('utf-16'))
    raw('latin1.xlsx', ('<?xml version="1.0" encoding="ISO-8859-1"?>' + hand).encode('latin-1'))
    raw('utf8.xlsx', ('<?xml version="1.0" encoding="UTF-8"?>' + hand).encode())
elif cmd == 'noworkbook':
    with zipfile.ZipFile('nowb.xlsx', 'w') as z:
        z.writestr('content.xml', '<office/>')
PY
}
# libreoffice.xlsx's first sheet imported into lo.db.
fixture_lo() {
    "$CLAIMREG" -q --db lo.db import-xlsx "$fixtures/libreoffice.xlsx" 2>/dev/null
    [ $? -eq 65 ] || fail "import of libreoffice.xlsx"
}
# openpyxl.xlsx imported into openpyxl.db.
fixture_openpyxl() {
    "$CLAIMREG" -q --db openpyxl.db import-xlsx "$fixtures/openpyxl.xlsx" || fail "import of openpyxl.xlsx"
}

# LibreOffice Calc: Dutch headers, a rich-text name, dates in two display formats, a number
# for a house number, a phone number stored as a number (rejected, not guessed), an empty row,
# a merged cell (its value in the first cell), consent as a boolean and as a TRUE() formula.
case_libreoffice_calc() {
    run --db lo.db import-xlsx "$fixtures/libreoffice.xlsx" --rejects rejects.csv
    expect_status 65
    expect_out ""
    expect_err "claimreg: sheet 'Aanmeldingen' row 4: column L Telefoon (registrant_phone): a number, not text (a spreadsheet drops a phone number's leading 0 or +): store the column as text
claimreg: sheet 'Aanmeldingen': 4 rows read: 3 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 1 rejected, 0 erased"
    expect_not_contains "$err" "31612345678"
    expect_eq "$(rows lo.db)" "00123|Zoë|van der|Berg|2011-03-14|12|2019-06-01|+31612345678|parent|1
R3|Noor||Smit|2012-01-31|1|2020-01-15|+31612345678|parent|0
R4|Lotte||Bakker|2009-05-05|3|2019-06-01||parent|1" "rows from LibreOffice"
    expect_mode rejects.csv 600
    expect_eq "$(tr -d '\r' < rejects.csv)" "Referentie,Voornaam,Tussenvoegsel,Achternaam,Geboortedatum,Postcode,Huisnummer,Platform,Eerste gebruik,Naam aanmelder,E-mail,Telefoon,Relatie,Toestemming,reason
4-A,Sem,,de Vries,2010-02-01,3511 AX,7a,tiktok,2018-07-01,Jos de Vries,jos@example.nl,31612345678,voogd,1,\"row 4: L Telefoon (registrant_phone): a number, not text (a spreadsheet drops a phone number's leading 0 or +): store the column as text\"" "rejects file"
}

# The second sheet, by name and by number; a sheet that is not there (its name not echoed).
case_second_sheet() {
    fixture lo
    run --db lo.db import-xlsx "$fixtures/libreoffice.xlsx" --sheet Tweede --json
    expect_status 0
    expect_out '{"rows_read":1,"imported":1,"linked":0,"updated":0,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
    expect_err "claimreg: sheet 'Tweede': 1 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    run --db lo.db import-xlsx "$fixtures/libreoffice.xlsx" --sheet 2 -q
    expect_status 0
    expect_err ""
    expect_eq "$(sql lo.db 'SELECT count(*) FROM claimants')" 4 "claimants after both sheets"
    run --db lo.db import-xlsx "$fixtures/libreoffice.xlsx" --sheet Geheimnaam
    expect_status 64
    expect_err "claimreg: --sheet: no worksheet of that name or number (the workbook has 2 worksheets)"
    run --db lo.db import-xlsx "$fixtures/libreoffice.xlsx" --sheet 3
    expect_status 64
}

# openpyxl, in the 1900 and the 1904 date system: the same claimants; a date-time cell keeps its
# time; 12.0 reads as 12; a boolean false is no consent.
case_openpyxl_and_both_date_systems() {
    for f in openpyxl openpyxl-1904; do
        run --db "$f.db" import-xlsx "$fixtures/$f.xlsx"
        expect_status 0
        expect_err "claimreg: sheet 'Registrations': 2 rows read: 2 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
        expect_eq "$(rows "$f.db")" "00123|Fleur||Jansen|2011-03-14|12|2019-06-01|+31612345678|parent|1
4-A|Floor||Jansen|2011-03-15|12|2019-07-01||parent|0" "rows from $f"
        expect_eq "$(sql "$f.db" 'SELECT registered_at FROM claimants ORDER BY id')" "2024-05-01T09:30:15
2024-05-02" "registered_at from $f"
    done
}

# --dry-run creates no registry; --strict stores nothing when a row is rejected; re-import is
# all duplicates.
case_dry_run_strict_and_reimport() {
    fixture openpyxl
    run --db dry.db import-xlsx "$fixtures/openpyxl.xlsx" --dry-run
    expect_status 0
    expect_err "claimreg: sheet 'Registrations': 2 rows read: 2 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased (dry run: nothing stored)"
    expect_eq "$(ls dry.db 2>&1 >/dev/null | wc -l)" 1 "no registry after a dry run"
    run --db strict.db import-xlsx "$fixtures/libreoffice.xlsx" --strict -q
    expect_status 65
    expect_eq "$([ -e strict.db ] && echo exists || echo none)" none "strict import into a new registry"
    run --db openpyxl.db import-xlsx "$fixtures/openpyxl.xlsx" --json
    expect_status 0
    expect_out '{"rows_read":2,"imported":0,"linked":0,"updated":0,"unchanged":2,"duplicates":2,"rejected":0,"erased":0}'
    # The same workbook with one cell corrected (4-A's postcode): that row updates, the other not.
    "$PY" - "$fixtures/openpyxl.xlsx" corrected.xlsx <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.active
assert ws['A4'].value == '4-A' and ws['E4'].value == '1012 AB'
ws['E4'] = '3511 AX'
wb.save(sys.argv[2])
PY
    run --db openpyxl.db import-xlsx corrected.xlsx
    expect_status 0
    expect_err "claimreg: sheet 'Registrations': 2 rows read: 0 imported, 0 linked, 1 updated, 1 unchanged, 1 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql openpyxl.db "SELECT group_concat(external_ref || '|' || postcode, ' ') FROM (SELECT * FROM claimants ORDER BY id)")" \
        "00123|1012 AB 4-A|3511 AX" "postcodes after the corrected workbook"
    expect_eq "$(sql openpyxl.db "SELECT claimant_id || '|' || detail FROM audit WHERE action = 'updated'")" "2|fields=postcode" "the update audited"
}

# Hand-made sheets: cells without references and out of order, inline and formula strings, ISO
# date cells, the fictitious 29 February 1900 (serial 60), an error value, a cell beyond the
# header.
case_handmade_sheet() {
    fixture make_py
    "$PY" make.py handmade
    run --db hand.db import-xlsx hand.xlsx
    expect_status 65
    expect_err "claimreg: sheet 'S' row 4: column C child_birth_date: not a real calendar date
claimreg: sheet 'S' row 5: column C child_birth_date: the cell holds an error value, not data
claimreg: sheet 'S' row 6: column J: a value in a column without a header
claimreg: sheet 'S': 4 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 3 rejected, 0 erased"
    expect_eq "$(sql hand.db "SELECT child_first_name || '|' || child_last_name || '|' || child_birth_date || '|' || first_use || '|' || source_line FROM claimants")" \
        "Anna|Bos|2009-07-06|2019-01-01|2" "the row read from out-of-order cells"
}

# A sheet of several megabytes, read in pieces side by side: every row, in order, numbered
# right (also those without a number of their own), the same when comments hold rows.
case_large_sheets() {
    fixture make_py
    for f in many commented; do
        "$PY" make.py "$f"
        run --db "$f.db" import-xlsx "$f.xlsx"
        expect_status 65
        expect_err "claimreg: sheet 'S' row 5000: column C child_birth_date: not a real calendar date
claimreg: sheet 'S' row 6000: column C child_birth_date: the cell holds an error value, not data
claimreg: sheet 'S': 8000 rows read: 7998 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 2 rejected, 0 erased"
        expect_eq "$(sql "$f.db" "SELECT count(*), sum(source_line), sum(child_first_name = 'Kind' || source_line), sum(registrant_email = 'o' || source_line || '@example.nl') FROM claimants")" \
            "7998|32001000|7998|7998" "rows of $f.xlsx by their numbers"
    done
}

# Megabytes without a row start tag between rows: every row read, in order.
case_long_stretch_without_rows() {
    fixture make_py
    "$PY" make.py spacers
    run --db spacers.db import-xlsx spacers.xlsx
    expect_status 0
    expect_err "claimreg: sheet 'S': 4000 rows read: 4000 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql spacers.db "SELECT count(*), sum(source_line), sum(child_first_name = 'Kind' || source_line) FROM claimants")" \
        "4000|8006000|4000" "the rows of spacers.xlsx by their numbers"
}

# An XML error far into the sheet: its line in the sheet (after the rows before it were checked).
case_xml_error_far_in() {
    fixture make_py
    "$PY" make.py broken
    run --db broken.db import-xlsx broken.xlsx
    expect_status 65
    expect_err "claimreg: sheet 'S' row 5000: column C child_birth_date: not a real calendar date
claimreg: sheet 'S' row 6000: column C child_birth_date: the cell holds an error value, not data
claimreg: not a readable xlsx workbook: xl/worksheets/sheet1.xml: XML error at line 7001: mismatched tag"
    expect_eq "$([ -e broken.db ] && echo exists || echo none)" none "no registry from a broken sheet"
}

# An XML error is said by its kind and line, never with the part's text; a sheet in UTF-16 or
# Latin-1 reads as the same sheet in UTF-8.
case_xml_errors_without_text() {
    fixture make_py
    "$PY" make.py xmlerrors
    local f what
    for f in badbyte entity tagname twice nothing cutshort junk; do
        run --db $f.db import-xlsx $f.xlsx
        expect_status 65
        case $f in
            badbyte) what="a character that is not allowed, or not in the part's encoding" ;;
            entity) what="undefined entity" ;;
            tagname) what="mismatched tag" ;;
            twice) what="duplicate attribute" ;;
            nothing) what="no element found" ;;
            cutshort) what="the part ends inside an element" ;;
            junk) what="junk after document element" ;;
        esac
        expect_err "claimreg: not a readable xlsx workbook: xl/worksheets/sheet1.xml: XML error at line 1: $what"
        expect_eq "$([ -e $f.db ] && echo exists || echo none)" none "no registry from $f.xlsx"
    done
    for f in utf8 utf16 latin1; do
        run --db $f.db import-xlsx $f.xlsx
        expect_status 0
        expect_eq "$(sql $f.db "SELECT group_concat(child_first_name, ',') FROM claimants")" "Anna,Zoë" "the names of $f.xlsx"
    done
}

# Bad input: 65, and said what is wrong without values.
case_bad_input() {
    fixture make_py
    "$PY" make.py bomb
    [ "$(stat -c %s bomb.xlsx)" -lt 1000000 ] || fail "the zip bomb is not small"
    run --db bad.db import-xlsx bomb.xlsx
    expect_status 65
    expect_err "claimreg: not a readable xlsx workbook: xl/worksheets/sheet1.xml: inflates more than 100 times its compressed size (a zip bomb)"
    "$PY" make.py laughs
    run --db bad.db import-xlsx laughs.xlsx
    expect_status 65
    expect_err "claimreg: not a readable xlsx workbook: xl/worksheets/sheet1.xml: a document type declaration"
    "$PY" make.py noworkbook
    run --db bad.db import-xlsx nowb.xlsx
    expect_status 65
    expect_err "claimreg: not an xlsx workbook (no workbook part)"
    printf 'child_first_name,child_last_name\nA,B\n' > plain.csv
    run --db bad.db import-xlsx plain.csv
    expect_status 65
    expect_err "claimreg: not an xlsx workbook (not a zip archive)"
    head -c 3000 "$fixtures/openpyxl.xlsx" > truncated.xlsx
    run --db bad.db import-xlsx truncated.xlsx
    expect_status 65
    run --db bad.db import-xlsx missing.xlsx
    expect_status 66
    run --db bad.db import-xlsx -
    expect_status 64
    expect_eq "$([ -e bad.db ] && echo exists || echo none)" none "no registry from bad input"
}

finish
