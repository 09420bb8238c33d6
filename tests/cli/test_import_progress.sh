#!/usr/bin/env bash
# import-csv's and import-xlsx's progress on a terminal (run under script(1), a pseudo-terminal):
# for a regular file (or a worksheet) the percentage and an ETA, for a pipe rows and MiB; then a
# last line for the index build. Not shown when stderr is no terminal, nor with -q.
. "$SRC_DIR/tests/cli/lib.sh"
set -o pipefail
command -v script >/dev/null || { fail "script(1) (util-linux) is not installed"; finish; }

H=child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent
rows=120000
summary="claimreg: $rows rows read: $rows imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"

# on_terminal COMMAND: runs COMMAND (a shell command line) with a terminal as stdin, stdout and
# stderr; $screen gets what it wrote, one line per line or carriage return, erase codes removed.
on_terminal() {
    local raw
    raw=$(script -qec "$1" /dev/null </dev/null)
    status=$?
    screen=$(printf '%s' "$raw" | sed 's/\x1b\[K//g' | tr '\r' '\n' | sed '/^$/d')
}

fixture_big_csv() {
    {
        echo "$H"
        awk -v n=$rows 'BEGIN { for (i = 1; i <= n; i++)
        printf "Kind%d,Jansen,2011-03-14,1012 AB,tiktok,2019-06-01,Ouder %d,o%d@example.nl,ouder,ja\n", i, i, i }'
    } >big.csv
}
# big.csv imported into file.db.
fixture_file_db() {
    fixture big_csv
    "$CLAIMREG" -q --db file.db import-csv big.csv || fail "import of big.csv"
}

# A regular file: rows updated so far, percentage and ETA; then the finishing line; then the summary alone.
case_regular_file() {
    fixture big_csv
    on_terminal "'$CLAIMREG' --db file.db import-csv big.csv"
    expect_eq "$status" 0 "exit status on a terminal"
    size=$(stat -c %s big.csv)
    total=$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')
    progress=$(grep -c "^claimreg: [0-9]* rows, 0 updated, [0-9.]* of $total MiB ([0-9]*%), [0-9]* rows/s, ETA [0-9]*:[0-5][0-9]\$" <<<"$screen")
    expect_eq "$progress" 2 "progress lines at 50000 and 100000 rows [$screen]"
    expect_eq "$(grep -c "^claimreg: 50000 rows, " <<<"$screen") $(grep -c "^claimreg: 100000 rows, " <<<"$screen")" "1 1" "rows counted in the progress lines"
    expect_eq "$(tail -n 2 <<<"$screen")" "claimreg: $rows rows (100%), finishing: building indexes
$summary" "the last lines on a terminal"
    percent=$(sed -nE 's/^claimreg: 50000 rows, .*\(([0-9]+)%\).*/\1/p' <<<"$screen")
    expect_eq "$([ "${percent:-0}" -ge 30 ] && [ "${percent:-0}" -le 50 ] && echo ok)" ok "50000 of $rows rows is about 40% ($percent%)"
    expect_eq "$(sql file.db 'SELECT count(*) FROM claimants')" "$rows" "claimants imported"
}

# A pipe: no size, so rows and MiB as before; the finishing line too.
case_pipe() {
    fixture big_csv
    on_terminal "cat big.csv | '$CLAIMREG' --db pipe.db import-csv -"
    expect_eq "$status" 0 "exit status from a pipe"
    expect_eq "$(grep -cE '^claimreg: (50000|100000) rows, 0 updated, [0-9.]+ MiB \([0-9]+ rows/s\)$' <<<"$screen")" 2 "progress from a pipe [$screen]"
    expect_eq "$(tail -n 2 <<<"$screen")" "claimreg: $rows rows, finishing: building indexes
$summary" "the last lines from a pipe"
}

# A workbook: the share of the worksheet's XML read (its size as the workbook gives it).
case_workbook() {
    fixture file_db
    run --db file.db export --format xlsx --output big.xlsx
    expect_status 0
    on_terminal "'$CLAIMREG' --db xlsx.db import-xlsx big.xlsx"
    expect_eq "$status" 0 "exit status of import-xlsx on a terminal"
    sheet_size=$(/usr/bin/python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).getinfo("xl/worksheets/sheet1.xml").file_size)' big.xlsx)
    total=$(awk -v s="$sheet_size" 'BEGIN { printf "%.1f", s / 1048576 }')
    progress=$(grep -c "^claimreg: [0-9]* rows, 0 updated, [0-9.]* of $total MiB ([0-9]*%), [0-9]* rows/s, ETA [0-9]*:[0-5][0-9]\$" <<<"$screen")
    expect_eq "$progress" 2 "import-xlsx progress lines at 50000 and 100000 rows [$screen]"
    expect_eq "$(tail -n 2 <<<"$screen")" "claimreg: $rows rows (100%), finishing: building indexes
claimreg: sheet 'claimants': ${summary#claimreg: }" "the last lines of import-xlsx on a terminal"
    percent=$(sed -nE 's/^claimreg: 50000 rows, .*\(([0-9]+)%\).*/\1/p' <<<"$screen")
    expect_eq "$([ "${percent:-0}" -ge 30 ] && [ "${percent:-0}" -le 50 ] && echo ok)" ok "50000 of $rows rows is about 40% of the sheet ($percent%)"
    expect_eq "$(sql xlsx.db 'SELECT count(*) FROM claimants')" "$rows" "claimants imported from the workbook"
    on_terminal "'$CLAIMREG' -q --db xlsx-quiet.db import-xlsx big.xlsx"
    expect_eq "$status" 0 "exit status of import-xlsx with -q"
    expect_eq "$screen" "" "import-xlsx -q on a terminal"
    run --db xlsx-plain.db import-xlsx big.xlsx
    expect_status 0
    expect_err "claimreg: sheet 'claimants': ${summary#claimreg: }"
}

# -q: nothing at all on a terminal.
case_quiet() {
    fixture big_csv
    on_terminal "'$CLAIMREG' -q --db quiet.db import-csv big.csv"
    expect_eq "$status" 0 "exit status with -q"
    expect_eq "$screen" "" "-q on a terminal"
}

# stderr not a terminal: the summary only, no control characters.
case_not_a_terminal() {
    fixture big_csv
    run --db plain.db import-csv big.csv
    expect_status 0
    expect_out ""
    expect_err "$summary"
}

finish
