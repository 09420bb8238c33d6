#!/usr/bin/env bash
# claimreg export: formats, columns, filters, atomic files, neutralised formulas, pseudonymised
# output, exit statuses, and the round trip export -> import-csv on a generated registry.
. "$SRC_DIR/tests/cli/lib.sh"

: "${BUILD_DIR:?set BUILD_DIR to the build tree}"
GEN="$BUILD_DIR/bench/gen_registrations"
[ -x "$GEN" ] || { echo "no generator at $GEN" >&2; exit 1; }

CANONICAL="external_ref, child_first_name, child_name_prefix, child_last_name, child_birth_date, country, postcode, house_number, platform, first_use, last_use, registrant_name, registrant_email, registrant_phone, registrant_relation, consent, registered_at"
HEADER="external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,country,postcode,house_number,platform,first_use,last_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent,registered_at,id,state,verdict,reasons,age_band,rule_set,checked_at,source"

# expect_file FILE FORMAT ARGS...: byte-exact content (as printf FORMAT ARGS... writes it).
expect_file() {
    checks=$((checks + 1))
    # shellcheck disable=SC2059
    printf "$2" "${@:3}" > "$WORK/.expected"
    cmp -s "$1" "$WORK/.expected" || fail "$1 differs from the expected bytes: $(diff <(cat -A "$1") <(cat -A "$WORK/.expected") | head -5)"
}
# expect_only_files DIR NAMES: exactly these entries (hidden ones included).
expect_only_files() {
    checks=$((checks + 1))
    local got
    got=$(ls -A "$1" | tr '\n' ' ')
    [ "$got" == "$2" ] || fail "files in $1: got [$got], expected [$2]"
}

# The rows of the small registry (fixture small) in the default CSV export.
ROW1='R1,'"'"'=SUM(A1),,Berg,2011-03-14,NL,1012 AB,,tiktok,2019-06-01,,Anna Berg,anna@example.nl,+31612345678,parent,yes,2024-01-15T10:00:00Z,1,active,eligible,,under-13,ruling-2024,2024-06-01,import-csv:small.csv:2'
ROW2='R2,Daan,,"Smit, de",2000-01-01,NL,3511 AX,,tiktok,2019-06-01,,Piet Smit,piet@example.nl,,parent,no,2024-02-01,2,active,ineligible,"adult,no_consent,adult_registered_by_parent",,ruling-2024,2024-06-01,import-csv:small.csv:3'
ROW3='R3,Mila,,Visser,2012-05-05,NL,2511 CV,,musical.ly,2019-01-01,,Ria Visser,ria@example.nl,,parent,yes,2024-03-01,3,active,review,musically_after_merge,under-13,ruling-2024,2024-06-01,import-csv:small.csv:4'
# ids ARGS...: the ids that the pseudonymised export with ARGS writes.
ids() { "$CLAIMREG" export --pseudonymize --format ndjson "$@" | sed 's/^{"id":\([0-9]*\),.*/\1/' | tr '\n' ' '; }
claimants() { sql "$1" "SELECT $CANONICAL FROM claimants ORDER BY id"; }

# A small registry with a formula-like name, a delimiter inside a name, a phone number.
fixture_small_csv() {
    cat > small.csv <<'CSV'
external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent,registered_at
R1,=SUM(A1),Berg,2011-03-14,1012 AB,tiktok,2019-06-01,Anna Berg,anna@example.nl,06 12345678,parent,yes,2024-01-15T10:00:00Z
R2,Daan,"Smit, de",2000-01-01,3511 AX,tiktok,2019-06-01,Piet Smit,piet@example.nl,,parent,no,2024-02-01
R3,Mila,Visser,2012-05-05,2511 CV,musical.ly,2019-01-01,Ria Visser,ria@example.nl,,parent,yes,2024-03-01
CSV
}
fixture_small() {
    fixture small_csv
    "$CLAIMREG" -q import-csv small.csv || fail "import of small.csv"
    "$CLAIMREG" -q check-eligibility --all --as-of 2024-06-01 >/dev/null || fail "check-eligibility"
}
# A generated registry (gen.db) with small.csv and cells that look like formulas.
fixture_gen() {
    fixture small_csv
    "$GEN" --rows 3000 --seed 7 > gen.csv || fail "gen_registrations"
    "$CLAIMREG" -q --db gen.db import-csv gen.csv || fail "import of the generated file"
    "$CLAIMREG" -q --db gen.db import-csv small.csv || fail "import of small.csv into gen.db"
    printf 'child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent\n@cmd,-Rik,2010-01-01,1234 AB,tiktok,2019-01-01,"+Plus, ""Quoted""",x@example.nl,+44 20 7946 0958,parent,no\n' > odd.csv
    "$CLAIMREG" -q --db gen.db import-csv odd.csv || fail "import of odd.csv"
}

# A missing registry: 66, and neither a registry nor an output file is created.
case_missing_registry() {
    run export -o out.csv
    expect_status 66
    expect_err_contains "no registry at claimreg.db"
    expect_only_files . ".stderr "
}

# CSV on stdout (the default): RFC 4180, CRLF, formulas neutralised, phone numbers kept. Quiet.
case_csv_on_stdout() {
    fixture small
    "$CLAIMREG" export > stdout.csv 2> stderr.txt
    expect_eq "$?" "0" "export status"
    expect_eq "$(cat stderr.txt)" "" "stderr of a successful export"
    expect_file stdout.csv "%s\r\n" "$HEADER" "$ROW1" "$ROW2" "$ROW3"
    run export -o -
    expect_status 0
    expect_eq "$(printf '%s\n' "$out" | tr -d '\r')" "$(tr -d '\r' < stdout.csv)" "export -o -"
}

# --output: atomic, 0600 even over an existing 0644 file, nothing on stdout or stderr.
case_output_file() {
    fixture small
    "$CLAIMREG" export > stdout.csv || fail "export to stdout"
    printf 'old\n' > out.csv
    chmod 644 out.csv
    run export --output out.csv
    expect_status 0
    expect_out ""
    expect_err ""
    expect_mode out.csv 600
    cmp -s out.csv stdout.csv || fail "--output differs from stdout"
    checks=$((checks + 1))
}

# --bom and --delimiter.
case_bom_and_delimiter() {
    fixture small
    run export --bom --delimiter ';' -o bom.csv
    expect_status 0
    expect_eq "$(head -c 3 bom.csv | od -An -tx1 | tr -d ' ')" "efbbbf" "BOM bytes"
    expect_eq "$(head -c 40 bom.csv | tail -c 37)" "external_ref;child_first_name;child_n" "';' header"
    expect_eq "$(sed -n 3p bom.csv | tr -d '\r')" 'R2;Daan;;Smit, de;2000-01-01;NL;3511 AX;;tiktok;2019-06-01;;Piet Smit;piet@example.nl;;parent;no;2024-02-01;2;active;ineligible;adult,no_consent,adult_registered_by_parent;;ruling-2024;2024-06-01;import-csv:small.csv:3' "';' row"
    run export --delimiter tab -o tab.csv
    expect_eq "$(head -c 3 tab.csv)" "ext" "no BOM by default"
    expect_eq "$(sed -n 2p tab.csv | cut -f 2,14,18)" "'=SUM(A1)	+31612345678	1" "tab-separated cells"
}

# JSON: one array, typed values, nulls for empty optional values; formulas untouched.
case_json() {
    fixture small
    run export --format json --verdict review
    expect_status 0
    expect_out '[
{"external_ref":"R3","child_first_name":"Mila","child_name_prefix":"","child_last_name":"Visser","child_birth_date":"2012-05-05","country":"NL","postcode":"2511 CV","house_number":"","platform":"musical.ly","first_use":"2019-01-01","last_use":null,"registrant_name":"Ria Visser","registrant_email":"ria@example.nl","registrant_phone":null,"registrant_relation":"parent","consent":true,"registered_at":"2024-03-01","id":3,"state":"active","verdict":"review","reasons":["musically_after_merge"],"age_band":"under-13","rule_set":"ruling-2024","checked_at":"2024-06-01","source":"import-csv:small.csv:4"}
]'
    run export --format json
    expect_out_contains '"child_first_name":"=SUM(A1)"'
    expect_out_contains '"registrant_phone":"+31612345678"'
    expect_not_contains "$out" "'="
    run export --format json --verdict eligible --verdict ineligible --pseudonymize
    expect_out '[
{"id":1,"birth_year":2011,"postcode_digits":"1012","country":"NL","platform":"tiktok","first_use":"2019-06-01","last_use":null,"state":"active","verdict":"eligible","reasons":[],"age_band":"under-13","registered_on":"2024-01-15"},
{"id":2,"birth_year":2000,"postcode_digits":"3511","country":"NL","platform":"tiktok","first_use":"2019-06-01","last_use":null,"state":"active","verdict":"ineligible","reasons":["adult","no_consent","adult_registered_by_parent"],"age_band":null,"registered_on":"2024-02-01"}
]'
}

# NDJSON: one object per line, LF, no BOM.
case_ndjson() {
    fixture small
    run export --format ndjson -o out.ndjson
    expect_status 0
    expect_eq "$(wc -l < out.ndjson)" "3" "ndjson lines"
    expect_eq "$(grep -c '^{"external_ref":"R[123]",.*"source":"import-csv:small.csv:[234]"}$' out.ndjson)" "3" "ndjson objects"
    expect_eq "$(grep -c $'\r' out.ndjson)" "0" "no CR in ndjson"
    expect_mode out.ndjson 600
}

# --pseudonymize: only the research columns; no names, e-mail, phone, house number, reference.
case_pseudonymize() {
    fixture small
    run export --pseudonymize
    expect_status 0
    expect_eq "$(printf '%s\n' "$out" | tr -d '\r')" "id,birth_year,postcode_digits,country,platform,first_use,last_use,state,verdict,reasons,age_band,registered_on
1,2011,1012,NL,tiktok,2019-06-01,,active,eligible,,under-13,2024-01-15
2,2000,3511,NL,tiktok,2019-06-01,,active,ineligible,\"adult,no_consent,adult_registered_by_parent\",,2024-02-01
3,2012,2511,NL,musical.ly,2019-01-01,,active,review,musically_after_merge,under-13,2024-03-01" "pseudonymized CSV"
    for secret in SUM Berg Anna anna@example.nl Smit Daan Mila Ria ria@ +316 R1 "1012 AB" T10:00; do
        expect_not_contains "$out" "$secret"
    done
}

# Filters: --verdict (repeatable, or comma-separated), state, --since.
case_filters() {
    fixture small
    expect_eq "$(ids --verdict eligible)" "1 " "--verdict eligible"
    expect_eq "$(ids --verdict review --verdict eligible)" "1 3 " "--verdict twice"
    expect_eq "$(ids --verdict review,ineligible)" "2 3 " "--verdict a,b"
    sql claimreg.db "UPDATE claimants SET state = 'withdrawn' WHERE id = 1; UPDATE claimants SET state = 'opted-out' WHERE id = 2"
    expect_eq "$(ids)" "3 " "withdrawn and opted-out excluded by default"
    expect_eq "$(ids --include-withdrawn)" "1 2 3 " "--include-withdrawn"
    sql claimreg.db "UPDATE claimants SET state = 'active'"
    sql claimreg.db "UPDATE claimants SET changed_at = CASE id WHEN 1 THEN '2024-05-31T22:59:59Z' WHEN 2 THEN '2024-05-31T23:00:00Z' ELSE '2024-06-01T00:00:00Z' END"
    expect_eq "$(ids --since 2024-06-01)" "3 " "--since DATE"
    expect_eq "$(ids --since 2024-06-01T00:00:00+01:00)" "2 3 " "--since with an offset"
    expect_eq "$(ids --since 2024-05-31T22:59:59Z)" "1 2 3 " "--since TIMESTAMP (inclusive)"
    expect_eq "$(ids --since 2024-05-31T23:00:01Z)" "3 " "--since TIMESTAMP"
    expect_eq "$(ids --since 2030-01-01)" "" "--since in the future"
    run export --since 2030-01-01
    expect_eq "$(printf '%s\n' "$out" | tr -d '\r')" "$HEADER" "an empty CSV export has its header"
    run export --since 2030-01-01 --format json
    expect_out "[]"
}

# A linked registration (the other parent) bumps the claimant's changed_at: the nightly
# incremental export sees it.
case_linked_registration_bumps_changed_at() {
    fixture small
    sql claimreg.db "UPDATE claimants SET changed_at = '2020-01-01T00:00:00Z'"
    run add --child-first-name Mila --child-last-name Visser --child-birth-date 2012-05-05 \
        --postcode '2511 CV' --platform musical.ly --first-use 2019-01-01 --registrant-name 'Kees Visser' \
        --registrant-email kees@example.nl --registrant-relation parent --consent
    expect_status 0
    expect_out "3"
    expect_eq "$(sql claimreg.db 'SELECT count(*) FROM registrations')" "1" "linked registration stored"
    expect_eq "$(ids --since "$(date -u +%Y-%m-%d)")" "3 " "--since sees the linked registration"
    expect_eq "$(sql claimreg.db "SELECT id FROM claimants WHERE changed_at > '2020-01-01T00:00:00Z'")" "3" "only that claimant changed"
}

# Atomicity: a failed export leaves the previous file byte-identical and no temporary file.
case_failed_export_keeps_the_previous_file() {
    fixture small
    mkdir outdir
    printf 'previous export\n' > outdir/nightly.csv
    chmod 600 outdir/nightly.csv
    cp outdir/nightly.csv previous.csv
    run export --since yesterday -o outdir/nightly.csv
    expect_status 64
    expect_err "claimreg: --since: expected a date YYYY-MM-DD or a date-time YYYY-MM-DDTHH:MM:SS with Z or an offset such as +01:00"
    run export --since 2024-06-01T10:00:00 -o outdir/nightly.csv
    expect_status 64
    expect_err_contains "time zone"
    run export --verdict maybe -o outdir/nightly.csv
    expect_status 64
    run --db missing.db export -o outdir/nightly.csv
    expect_status 66
    cmp -s outdir/nightly.csv previous.csv || fail "a failed export changed the previous file"
    checks=$((checks + 1))
    expect_only_files outdir "nightly.csv "
    # Cannot create: a missing directory, a directory as the target, an unwritable directory (73).
    run export -o no-such-dir/out.csv
    expect_status 73
    expect_err_contains "cannot create no-such-dir/out.csv"
    run export -o outdir
    expect_status 73
    if [ "$(id -u)" != 0 ]; then # root may write anywhere
        chmod 500 outdir
        run export -o outdir/nightly.csv
        expect_status 73
        chmod 700 outdir
    fi
    cmp -s outdir/nightly.csv previous.csv || fail "a failed export changed the previous file"
    checks=$((checks + 1))
    expect_only_files outdir "nightly.csv "
    # The output must not be the registry itself.
    cp claimreg.db registry-copy.db
    run export -o claimreg.db
    expect_status 64
    expect_err "claimreg: --output is the registry itself"
    cmp -s claimreg.db registry-copy.db || fail "export -o claimreg.db touched the registry"
    checks=$((checks + 1))
}

# Write errors are 74: a full disk, a closed stdout, a closed pipe, a file-size limit.
case_write_errors() {
    fixture small
    out=$("$CLAIMREG" export 2>&1 >/dev/full); status=$?
    expect_eq "$status" "74" "export to a full disk"
    expect_eq "$out" "claimreg: cannot write the output: No space left on device" "full disk message"
    out=$("$CLAIMREG" export 2>&1 >&-); status=$?
    expect_eq "$status" "74" "export to a closed stdout"
    expect_eq "$out" "claimreg: cannot write the output: standard output is closed" "closed stdout message"
}

# The round trip on a generated registry: export (any delimiter, with or without BOM)
# re-imports into an empty registry as the same claimants.
case_round_trip() {
    fixture gen
    total=$(sql gen.db 'SELECT count(*) FROM claimants')
    checks=$((checks + 1))
    [ "$total" -gt 2500 ] || fail "generated registry has only $total claimants"
    claimants gen.db > gen.rows
    for variant in "" "--delimiter ; --bom" "--delimiter tab" "--bom"; do
        rm -f back.db back.db-wal back.db-shm
        # shellcheck disable=SC2086
        run --db gen.db export $variant -o roundtrip.csv
        expect_status 0
        expect_eq "$(($(grep -c $'\r$' roundtrip.csv) - 1))" "$total" "rows exported ($variant)"
        run --db back.db import-csv roundtrip.csv
        expect_status 0
        expect_err "claimreg: $total rows read: $total imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
        claimants back.db > back.rows
        cmp -s gen.rows back.rows || fail "round trip ($variant) changed the claimants: $(diff gen.rows back.rows | head -4)"
        checks=$((checks + 1))
    done
    expect_eq "$(grep -cF ",'@cmd,,'-Rik,2010-01-01,NL,1234 AB,,tiktok,2019-01-01,,\"'+Plus, \"\"Quoted\"\"\",x@example.nl,+442079460958,parent,no," roundtrip.csv)" \
        "1" "neutralised cells in the generated export"
}

# A closed pipe: 74 with a message, not a silent death by SIGPIPE.
case_closed_pipe() {
    fixture gen
    "$CLAIMREG" --db gen.db export 2> pipe.err | head -c 10 > /dev/null
    expect_eq "${PIPESTATUS[0]}" "74" "export into a closed pipe"
    expect_eq "$(cat pipe.err)" "claimreg: cannot write the output: Broken pipe" "closed pipe message"
}

# A file-size limit hit half way: 74, the previous file intact, no temporary file left.
case_file_size_limit() {
    fixture gen
    mkdir outdir
    "$CLAIMREG" --db gen.db export --bom -o roundtrip.csv || fail "export of gen.db"
    sql gen.db 'PRAGMA wal_checkpoint(TRUNCATE)' > /dev/null
    cp roundtrip.csv outdir/nightly.csv
    cp roundtrip.csv previous.csv
    ( ulimit -f 100; "$CLAIMREG" --db gen.db export --format json -o outdir/nightly.csv 2> limit.err )
    expect_eq "$?" "74" "export past the file-size limit"
    expect_eq "$(cat limit.err)" "claimreg: cannot write the output: File too large" "file-size limit message"
    cmp -s outdir/nightly.csv previous.csv || fail "a failed export changed the previous file"
    checks=$((checks + 1))
    expect_only_files outdir "nightly.csv "
}

# Usage errors: 64.
case_usage_errors() {
    fixture small
    for args in "--format xml" "--delimiter |" "--format json --bom" "--format ndjson --delimiter ;" "--verdict" "--since 2024-02-30" "extra"; do
        # shellcheck disable=SC2086
        run export $args
        expect_status 64
    done
}

# --help: purpose, grouped options, examples, exit statuses.
case_help() {
    run export --help
    expect_status 0
    expect_out_contains "Write claimants as CSV, JSON or NDJSON"
    for text in "Output:" "Filters:" "Encryption:" "--pseudonymize" "--include-withdrawn" "--encrypt-to KEY" "--trust-key FPR" "Examples:" "Exit status: 0 ok, 64" "73 cannot create" "74 write or encryption error"; do
        expect_out_contains "$text"
    done
}

finish
