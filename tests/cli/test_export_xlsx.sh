#!/usr/bin/env bash
# claimreg export --format xlsx: typed cells read back with a real xlsx reader (openpyxl), a
# bold frozen header with an autofilter, filters and --pseudonymize, atomic 0600 files, pipes
# allowed and terminals refused, no --encrypt-to, and a round trip through import-xlsx.
. "$SRC_DIR/tests/cli/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import openpyxl' 2>/dev/null || { echo "python3-openpyxl is not installed" >&2; exit 77; }

# in.csv imported; cells.py beside it.
fixture_registry() {
    cat > in.csv <<'CSV'
external_ref,child_first_name,child_last_name,child_birth_date,postcode,house_number,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent,registered_at
00123,Noor,Smit,2010-01-01,1234 AB,4-A,tiktok,2019-01-01,Els Smit,els@example.nl,+31612345678,parent,yes,2024-05-01T09:30:00Z
=1+2,Sem,de Vries,2011-05-06,2511 CV,12,tiktok,2019-06-01,Piet,piet@example.nl,,parent,no,2024-05-02T10:00:00Z
CSV
    run import-csv in.csv -q
    expect_status 0
    # cells FILE: every sheet's title, frozen pane, autofilter, then each cell as
    # value:type:number format (openpyxl: s text, n number, d date, b boolean, f formula).
    cat > cells.py <<'PY'
import sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
for ws in wb:
    print(ws.title, ws.freeze_panes, ws.auto_filter.ref, all(c.font.b for c in ws[1]))
    for row in ws.iter_rows(min_row=2 if len(sys.argv) < 3 else 1):
        print(' '.join('%s:%s:%s' % (c.value.date() if c.is_date else c.value, c.data_type, c.number_format) for c in row if c.value is not None))
PY
}
# Then its workbook, out.xlsx.
fixture_workbook() {
    fixture registry
    "$CLAIMREG" export --format xlsx --output out.xlsx || fail "export of out.xlsx"
}

case_workbook() {
    fixture registry
    run export --format xlsx --output out.xlsx
    expect_status 0
    expect_out ""
    expect_err ""
    expect_mode out.xlsx 600
    expect_eq "$(ls -A | grep -c '^\.out\.xlsx\|^tmp')" 0 "temporary files left"
    today=$(date -u +%F)
    got=$("$PY" cells.py out.xlsx | sed "s/ $today:d:yyyy-mm-dd / TODAY:d:yyyy-mm-dd /g")
    expect_eq "$got" "claimants A2 A1:Y3 True
00123:s:General Noor:s:General Smit:s:General 2010-01-01:d:yyyy-mm-dd NL:s:General 1234 AB:s:General 4-A:s:General tiktok:s:General 2019-01-01:d:yyyy-mm-dd Els Smit:s:General els@example.nl:s:General +31612345678:s:General parent:s:General yes:s:General 2024-05-01T09:30:00Z:s:General 1:n:General active:s:General eligible:s:General under-13:s:General ruling-2024:s:General TODAY:d:yyyy-mm-dd import-csv:in.csv:2:s:General
=1+2:s:General Sem:s:General de Vries:s:General 2011-05-06:d:yyyy-mm-dd NL:s:General 2511 CV:s:General 12:s:General tiktok:s:General 2019-06-01:d:yyyy-mm-dd Piet:s:General piet@example.nl:s:General parent:s:General no:s:General 2024-05-02T10:00:00Z:s:General 2:n:General active:s:General ineligible:s:General no_consent:s:General under-13:s:General ruling-2024:s:General TODAY:d:yyyy-mm-dd import-csv:in.csv:3:s:General" "cells of the export (=1+2 a text cell, not a formula)"
    expect_eq "$("$PY" cells.py out.xlsx header | sed -n 2p)" "external_ref:s:General child_first_name:s:General child_name_prefix:s:General child_last_name:s:General child_birth_date:s:General country:s:General postcode:s:General house_number:s:General platform:s:General first_use:s:General last_use:s:General registrant_name:s:General registrant_email:s:General registrant_phone:s:General registrant_relation:s:General consent:s:General registered_at:s:General id:s:General state:s:General verdict:s:General reasons:s:General age_band:s:General rule_set:s:General checked_at:s:General source:s:General" "header row"
    widths=$("$PY" -c 'import sys, openpyxl; ws = openpyxl.load_workbook(sys.argv[1]).active; print(ws.column_dimensions["A"].width, ws.column_dimensions["M"].width)' out.xlsx)
    expect_eq "$widths" "15.7109375 28.7109375" "column widths"
}

# Filters and --pseudonymize.
case_filters_and_pseudonymize() {
    fixture registry
    run export --format xlsx --verdict eligible --pseudonymize -o pseudo.xlsx
    expect_status 0
    expect_eq "$("$PY" cells.py pseudo.xlsx header)" "claimants A2 A1:L2 True
id:s:General birth_year:s:General postcode_digits:s:General country:s:General platform:s:General first_use:s:General last_use:s:General state:s:General verdict:s:General reasons:s:General age_band:s:General registered_on:s:General
1:n:General 2010:n:General 1234:s:General NL:s:General tiktok:s:General 2019-01-01:d:yyyy-mm-dd active:s:General eligible:s:General under-13:s:General 2024-05-01:d:yyyy-mm-dd" "pseudonymised eligible export"
    expect_not_contains "$(unzip -p pseudo.xlsx 2>/dev/null)" "Noor"
}

# A pipe is fine; a terminal and --encrypt-to are refused and write nothing; --delimiter and
# --bom are CSV only.
case_pipes_terminals_and_refusals() {
    fixture registry
    "$CLAIMREG" export --format xlsx | cat > piped.xlsx
    expect_eq "$?" 0 "export into a pipe"
    piped=$("$PY" cells.py piped.xlsx)
    expect_eq "${piped%%$'\n'*}" "claimants A2 A1:Y3 True" "the piped workbook"
    mkfifo workbook.fifo
    cat workbook.fifo > fifo.xlsx &
    reader=$!
    run export --format xlsx -o workbook.fifo
    expect_status 0
    wait "$reader"
    expect_eq "$("$PY" cells.py fifo.xlsx | sed -n 1p)" "claimants A2 A1:Y3 True" "the workbook written into a FIFO"
    if script -qec true /dev/null >/dev/null 2>&1; then
        tty_out=$(script -qec "'$CLAIMREG' export --format xlsx" /dev/null </dev/null | tr -d '\r')
        expect_eq "$?" "64" "a workbook to a terminal: exit status"
        expect_eq "$tty_out" "claimreg: --format xlsx: a workbook is binary and not written to a terminal; use --output FILE or a pipe" "a workbook to a terminal: message"
    fi
    run export --format xlsx --encrypt-to someone@example.nl -o enc.xlsx
    expect_status 64
    expect_err "claimreg: --encrypt-to: an xlsx workbook is assembled in temporary files on disk, so it cannot be encrypted without plaintext reaching the disk; encrypt a csv, json or ndjson export"
    expect_eq "$([ -e enc.xlsx ] && echo exists || echo none)" none "no file after a refused --encrypt-to"
    run export --format xlsx --bom -o bom.xlsx
    expect_status 64
}

# Atomic: a failed export leaves the previous file as it was.
case_failed_export_keeps_the_previous_file() {
    fixture workbook
    cp out.xlsx before.xlsx
    run --db missing.db export --format xlsx -o out.xlsx
    expect_status 66
    cmp -s out.xlsx before.xlsx && r=same || r=changed
    expect_eq "$r" same "previous workbook after a failed export"
}

# Round trip: the workbook imports into an empty registry as the same claimants.
case_round_trip() {
    fixture workbook
    run --db copy.db import-xlsx out.xlsx
    expect_status 0
    expect_err "claimreg: sheet 'claimants': 2 rows read: 2 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    fields="external_ref, child_first_name, child_name_prefix, child_last_name, child_birth_date, country, postcode, house_number, platform, first_use, last_use, registrant_name, registrant_email, registrant_phone, registrant_relation, consent, registered_at, state, verdict, reasons, age_band"
    expect_eq "$(sql copy.db "SELECT $fields FROM claimants ORDER BY id")" "$(sql claimreg.db "SELECT $fields FROM claimants ORDER BY id")" "claimants after the round trip"
}

finish
