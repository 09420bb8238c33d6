#!/usr/bin/env bash
# import-csv with the source's corrections: unchanged rows change nothing, corrected rows update
# exactly what changed (audit: field names only), --no-update reports, identity conflicts are
# rejected with the other id, a state column withdraws and opts out (final), linked
# registrations update their own fields; export --since and show follow.
. "$SRC_DIR/tests/cli/lib.sh"

header=external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent
# tallies / counted: claimants by state and verdict, from the tallies and from the rows.
tallies() { sql claimreg.db "SELECT state || '|' || verdict || '|' || sum(n) FROM tallies GROUP BY state, verdict ORDER BY 1"; }
counted() { sql claimreg.db "SELECT state || '|' || verdict || '|' || count(*) FROM claimants GROUP BY state, verdict ORDER BY 1"; }
# Every column, and two rows that give each of them.
full_header=external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,country,postcode,house_number,platform,first_use,last_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent,registered_at
row_a='F1,Fenna,van,Bouwman,2012-05-18,NL,1730 RZ,151,tiktok,2020-06-09,2021-01-01,Agnieszka Bouwman,agnieszka@example.nl,+31 6 50534681,parent,ja,2025-03-14T07:30:40Z'
row_b='F2,Luuk,,Kuijpers,2011-07-02,NL,6499 KK,60,tiktok,2020-10-22,,Saskia Kuijpers,saskia@example.nl,06 5179 7271,parent,1,2025-09-17T19:52:11Z'

# base.csv imported, changed long ago (to see which claimants a later import touches).
fixture_base() {
    cat > base.csv <<CSV
$header
A1,Emma,Jansen,2012-05-01,1011 AA,tiktok,2019-01-01,Piet Jansen,piet@example.nl,parent,ja
A2,Lucas,de Boer,2011-02-02,2022 BB,tiktok,2019-01-01,Ria de Boer,ria@example.nl,parent,ja
A3,Sophie,Visser,2013-03-03,3033 CC,tiktok,2019-01-01,Kees Visser,kees@example.nl,parent,ja
,Daan,Smit,2010-04-04,4044 DD,tiktok,2019-01-01,Els Smit,els@example.nl,parent,ja
CSV
    run import-csv base.csv --json
    expect_status 0
    expect_out '{"rows_read":4,"imported":4,"linked":0,"updated":0,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
    sql claimreg.db "UPDATE claimants SET changed_at = '2020-01-01T00:00:00Z'"
}
# A corrected dump: a move (postcode), consent withdrawn, a registrant's name corrected on the
# row without a reference (same child, same e-mail); A3 as before.
fixture_corrected_csv() {
    cat > corrected.csv <<CSV
$header
A1,Emma,Jansen,2012-05-01,1012 AB,tiktok,2019-01-01,Piet Jansen,piet@example.nl,parent,ja
A2,Lucas,de Boer,2011-02-02,2022 BB,tiktok,2019-01-01,Ria de Boer,ria@example.nl,parent,nee
A3,Sophie,Visser,2013-03-03,3033 CC,tiktok,2019-01-01,Kees Visser,kees@example.nl,parent,ja
,Daan,Smit,2010-04-04,4044 DD,tiktok,2019-01-01,Els Smit-de Wit,els@example.nl,parent,ja
CSV
}
fixture_corrected() {
    fixture base
    fixture corrected_csv
    "$CLAIMREG" -q import-csv corrected.csv || fail "import of corrected.csv"
}
# A state column: withdrawn and opted-out as `withdraw` does; Dutch words.
fixture_states_csv() {
    printf '%s,status\nA1,Emma,Jansen,2012-05-01,1012 AB,tiktok,2019-01-01,Piet Jansen,piet@example.nl,parent,ja,ingetrokken\nA2,Lucas,de Boer,2011-02-02,2022 BB,tiktok,2019-01-01,Ria de Boer,ria@example.nl,parent,nee,afgemeld\nA3,Sophie,Visser,2013-03-03,3033 CC,tiktok,2019-01-01,Kees Visser,kees@example.nl,parent,ja,actief\n' "$header" > states.csv
}
# Then A1 withdrawn, A2 opted out, and A1 back to active.
fixture_states() {
    fixture corrected
    fixture states_csv
    "$CLAIMREG" -q import-csv states.csv || fail "import of states.csv"
    sed -e 's/ingetrokken$/active/' -e 's/afgemeld$/actief/' states.csv > back.csv
    "$CLAIMREG" -q import-csv back.csv 2>/dev/null || fail "import of back.csv"
}
# Then A4 imported from a file without some columns.
fixture_few() {
    fixture states
    printf 'external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent\nA4,Noor,Bakker,2012-06-06,5055 EE,tiktok,2019-01-01,Jan Bakker,jan@example.nl,parent,ja\n' > few.csv
    "$CLAIMREG" -q import-csv few.csv || fail "import of few.csv"
}
# Every column given (full.db).
fixture_full() {
    printf '%s\n%s\n%s\n' "$full_header" "$row_a" "$row_b" > full.csv
    run --db full.db import-csv full.csv
    expect_status 0
    expect_eq "$(sql full.db "SELECT count(DISTINCT content_digest) FROM claimants WHERE content_digest != 0")" "2" "content digests stored"
}

# The same dump twice: nothing changes, changed_at included.
case_same_dump_twice() {
    fixture base
    before=$(sqlite3 claimreg.db .dump)
    run import-csv base.csv
    expect_status 0
    expect_err "claimreg: 4 rows read: 0 imported, 0 linked, 0 updated, 4 unchanged, 4 duplicates, 0 rejected, 0 erased"
    run import-csv base.csv --json
    expect_out '{"rows_read":4,"imported":0,"linked":0,"updated":0,"unchanged":4,"duplicates":4,"rejected":0,"erased":0}'
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after the same dump twice"
}

# --no-update: reported by line, claimant and field names; nothing stored.
case_no_update() {
    fixture base
    fixture corrected_csv
    before=$(sqlite3 claimreg.db .dump)
    run import-csv corrected.csv --no-update --json
    expect_status 0
    expect_out '{"rows_read":4,"imported":0,"linked":0,"updated":0,"unchanged":4,"duplicates":4,"rejected":0,"erased":0}'
    expect_err "claimreg: line 2: differs from claimant 1 in postcode: kept as stored (--no-update)
claimreg: line 3: differs from claimant 2 in consent: kept as stored (--no-update)
claimreg: line 5: differs from claimant 4 in registrant_name: kept as stored (--no-update)
claimreg: 4 rows read: 0 imported, 0 linked, 0 updated, 4 unchanged, 4 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after --no-update"
}

# The corrected dump: exactly what changed; export --since and show follow.
case_corrected_dump() {
    fixture base
    fixture corrected_csv
    run import-csv corrected.csv --json
    expect_status 0
    expect_out '{"rows_read":4,"imported":0,"linked":0,"updated":3,"unchanged":1,"duplicates":1,"rejected":0,"erased":0}'
    expect_eq "$(sql claimreg.db "SELECT id || '|' || postcode || '|' || consent || '|' || registrant_name || '|' || verdict || '|' || reasons || '|' || (changed_at > '2020-01-01T00:00:00Z') FROM claimants ORDER BY id")" \
    "1|1012 AB|1|Piet Jansen|eligible||1
2|2022 BB|0|Ria de Boer|ineligible|no_consent|1
3|3033 CC|1|Kees Visser|eligible||0
4|4044 DD|1|Els Smit-de Wit|eligible||1" "stored after the corrected dump"
    expect_eq "$(sql claimreg.db "SELECT action || '|' || claimant_id || '|' || detail FROM audit WHERE action = 'updated' ORDER BY id")" \
    "updated|1|fields=postcode
updated|2|fields=consent
updated|4|fields=registrant_name" "audit: ids and field names, no values"
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM audit WHERE detail LIKE '%1012%' OR detail LIKE '%Wit%'")" "0" "no values in the audit"
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM claimants")" "4" "no claimant added"
    # export --since carries exactly the updated claimants, with the new values.
    run export --since 2021-01-01 --format csv
    expect_status 0
    expect_eq "$(cut -d, -f1 <<<"$out" | tr -d '\r' | tr '\n' ' ')" "external_ref A1 A2  " "export --since: the updated claimants (the fourth has no reference)"
    expect_eq "$(grep -c . <<<"$out")" "4" "export --since: header and three claimants"
    expect_out_contains "1012 AB"
    # show lists the update event.
    run show 1
    expect_status 0
    expect_out_contains "updated    fields=postcode"
    # The corrected dump again: unchanged.
    before=$(sqlite3 claimreg.db .dump)
    run import-csv corrected.csv --json
    expect_out '{"rows_read":4,"imported":0,"linked":0,"updated":0,"unchanged":4,"duplicates":4,"rejected":0,"erased":0}'
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after the corrected dump twice"
}

# An invalid correction is rejected and changes nothing.
case_invalid_correction() {
    fixture corrected
    before=$(sqlite3 claimreg.db .dump)
    printf '%s\nA1,Emma,Jansen,2012-05-01,0123 AB,tiktok,2019-01-01,Piet Jansen,piet@example.nl,parent,ja\n' "$header" > invalid.csv
    run import-csv invalid.csv
    expect_status 65
    expect_err "claimreg: line 2: postcode: not a Dutch postcode (use 1234 AB)
claimreg: 1 rows read: 0 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 1 rejected, 0 erased"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after an invalid correction"
}

# Identity conflict: A3 "corrected" into claimant 2's child: rejected, naming claimant 2.
case_identity_conflict() {
    fixture corrected
    before=$(sqlite3 claimreg.db .dump)
    printf '%s\nA3,Lucas,de Boer,2011-02-02,2022 BB,tiktok,2019-01-01,Kees Visser,kees@example.nl,parent,ja\n' "$header" > conflict.csv
    run import-csv conflict.csv --rejects conflict-rejects.csv
    expect_status 65
    expect_err "claimreg: line 2: identity_conflict: the update of claimant 3 (child_first_name, child_last_name, child_birth_date, postcode) would make it the same child as claimant 2
claimreg: 1 rows read: 0 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 1 rejected, 0 erased"
    expect_eq "$(tail -1 conflict-rejects.csv | tr -d '\r')" 'A3,Lucas,de Boer,2011-02-02,2022 BB,tiktok,2019-01-01,Kees Visser,kees@example.nl,parent,yes,"line 2: identity_conflict: the update of claimant 3 (child_first_name, child_last_name, child_birth_date, postcode) would make it the same child as claimant 2"' "rejects file"
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after a conflict"
}

# A state column: withdrawn and opted-out as `withdraw` does; Dutch words; opt-out is final.
case_state_column() {
    fixture corrected
    fixture states_csv
    run import-csv states.csv --json
    expect_status 0
    expect_out '{"rows_read":3,"imported":0,"linked":0,"updated":2,"unchanged":1,"duplicates":1,"rejected":0,"erased":0}'
    expect_eq "$(sql claimreg.db "SELECT id || '|' || state || '|' || verdict || '|' || reasons FROM claimants ORDER BY id")" \
    "1|withdrawn|ineligible|withdrawn
2|opted-out|ineligible|no_consent,opted_out
3|active|eligible|
4|active|eligible|" "states applied"
    expect_eq "$(sql claimreg.db "SELECT action || '|' || claimant_id || '|' || detail FROM audit WHERE action IN ('withdrawn', 'opted-out') ORDER BY id")" \
    "withdrawn|1|from active
opted-out|2|from active" "state changes audited as by withdraw"
    expect_eq "$(tallies)" "$(counted)" "tallies after state changes"
    run show 2
    expect_out_contains "opted-out  from active"
    # Back to active: the withdrawn one is reactivated, the opted-out one refused (reported, exit 0).
    sed -e 's/ingetrokken$/active/' -e 's/afgemeld$/actief/' states.csv > back.csv
    run import-csv back.csv --json
    expect_status 0
    expect_out '{"rows_read":3,"imported":0,"linked":0,"updated":1,"unchanged":2,"duplicates":2,"rejected":0,"erased":0}'
    expect_err "claimreg: line 3: claimant 2 opted out: not made active again (the opt-out is final)
claimreg: 3 rows read: 0 imported, 0 linked, 1 updated, 2 unchanged, 2 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql claimreg.db "SELECT id || '|' || state FROM claimants ORDER BY id")" "1|active
2|opted-out
3|active
4|active" "opt-out is final"
    expect_eq "$(tallies)" "$(counted)" "tallies after reactivation"
    printf '%s,state\nA3,Sophie,Visser,2013-03-03,3033 CC,tiktok,2019-01-01,Kees Visser,kees@example.nl,parent,ja,gone\n' "$header" > badstate.csv
    run import-csv badstate.csv
    expect_status 65
    expect_err "claimreg: line 2: state: not active, withdrawn or opted-out (actief, ingetrokken, afgemeld)
claimreg: 1 rows read: 0 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 1 rejected, 0 erased"
}

# An export re-imported changes nothing (its state column included).
case_export_reimported() {
    fixture states
    run export --include-withdrawn --output all.csv
    expect_status 0
    before=$(sqlite3 claimreg.db .dump)
    run import-csv all.csv --json
    expect_status 0
    expect_out '{"rows_read":4,"imported":0,"linked":0,"updated":0,"unchanged":4,"duplicates":4,"rejected":0,"erased":0}'
    expect_eq "$(sqlite3 claimreg.db .dump)" "$before" "registry after re-importing its export"
}

# A linked registration (the other parent) updates its own registrant fields only.
case_linked_registration() {
    fixture states
    printf '%s,registrant_phone\nL1,Sophie,Visser,2013-03-03,3033 CC,tiktok,2019-01-01,Mia Visser,mia@example.nl,parent,ja,0612345678\n' "$header" > linked.csv
    run import-csv linked.csv --json
    expect_out '{"rows_read":1,"imported":0,"linked":1,"updated":0,"unchanged":0,"duplicates":1,"rejected":0,"erased":0}'
    sed 's/0612345678$/0687654321/' linked.csv > linked2.csv
    claimant_before=$(sql claimreg.db "SELECT registrant_name, registrant_phone, postcode FROM claimants WHERE id = 3")
    run import-csv linked2.csv --json
    expect_status 0
    expect_out '{"rows_read":1,"imported":0,"linked":0,"updated":1,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
    expect_eq "$(sql claimreg.db "SELECT claimant_id || '|' || registrant_name || '|' || registrant_phone FROM registrations")" "3|Mia Visser|+31687654321" "linked registration updated"
    expect_eq "$(sql claimreg.db "SELECT registrant_name, registrant_phone, postcode FROM claimants WHERE id = 3")" "$claimant_before" "the claimant's own registration untouched"
    expect_eq "$(sql claimreg.db "SELECT detail FROM audit WHERE action = 'updated' ORDER BY id DESC LIMIT 1")" "registration=1 fields=registrant_phone" "audit of a linked update"
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM registrations")" "1" "no registration added"
    # Its state cell does not withdraw the child: the claimant's own registration decides.
    sed '1s/$/,state/; 2s/$/,withdrawn/' linked2.csv > linked3.csv
    run import-csv linked3.csv --json
    expect_status 0
    expect_out '{"rows_read":1,"imported":0,"linked":0,"updated":0,"unchanged":1,"duplicates":1,"rejected":0,"erased":0}'
    expect_err "claimreg: line 2: a registration linked to claimant 3: its state is not applied
claimreg: 1 rows read: 0 imported, 0 linked, 0 updated, 1 unchanged, 1 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql claimreg.db "SELECT state FROM claimants WHERE id = 3")" "active" "the claimant stays active"
}

# A file without some columns keeps the stored values of those (no registered_at: not now).
case_file_without_some_columns() {
    fixture states
    printf 'external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_relation,consent\nA4,Noor,Bakker,2012-06-06,5055 EE,tiktok,2019-01-01,Jan Bakker,jan@example.nl,parent,ja\n' > few.csv
    run import-csv few.csv
    cut -d, -f1-10 few.csv | sed '1s/$/,house_number/; 2s/$/,7/' > few2.csv
    run import-csv few2.csv --json
    expect_out '{"rows_read":1,"imported":0,"linked":0,"updated":1,"unchanged":0,"duplicates":0,"rejected":0,"erased":0}'
    expect_eq "$(sql claimreg.db "SELECT house_number || '|' || consent FROM claimants WHERE external_ref = 'A4'")" "7|1" "only the given columns compared and updated"
}

# Within one bulk import: a claimant whose identity changed is found under its new key.
case_identity_change_in_one_import() {
    fixture few
    cut -d, -f1-10 few.csv | sed '1s/$/,house_number/; 2s/$/,7/' > few2.csv
    "$CLAIMREG" -q import-csv few2.csv || fail "import of few2.csv"
    printf '%s\nA4,Noor,Bakker,2012-06-07,5055 EE,tiktok,2019-01-01,Jan Bakker,jan@example.nl,parent,ja\n,Noor,Bakker,2012-06-07,5055 EE,tiktok,2019-01-01,Jan Bakker,jan@example.nl,parent,ja\n,Noor,Bakker,2012-06-07,5055 EE,tiktok,2019-01-01,Mama Bakker,mama@example.nl,parent,ja\n' "$header" > moved.csv
    run import-csv moved.csv --json
    expect_status 0
    expect_out '{"rows_read":3,"imported":0,"linked":1,"updated":1,"unchanged":1,"duplicates":2,"rejected":0,"erased":0}'
    expect_eq "$(tallies)" "$(counted)" "tallies after an identity change"
}

# Bulk: a generated dump and the same dump after corrections (1% of the submissions: postcode,
# consent, state). Exactly those update, the tallies stay right, and the dump again changes nothing.
case_bulk_corrections() {
    gen="$BUILD_DIR/bench/gen_registrations"
    "$gen" --rows 20000 > gen.csv || fail "gen_registrations"
    "$gen" --rows 20000 --changed 1 > gen-changed.csv || fail "gen_registrations --changed"
    run --db gen.db import-csv gen.csv --json
    expect_out '{"rows_read":20000,"imported":19575,"linked":236,"updated":0,"unchanged":189,"duplicates":425,"rejected":0,"erased":0}'
    run --db gen.db import-csv gen-changed.csv --json
    expect_status 0
    expect_out '{"rows_read":20000,"imported":0,"linked":0,"updated":215,"unchanged":19785,"duplicates":19785,"rejected":0,"erased":0}'
    expect_eq "$(sql gen.db "SELECT count(DISTINCT claimant_id) FROM audit WHERE action IN ('updated', 'withdrawn', 'opted-out')")" "215" "claimants updated"
    expect_eq "$(sql gen.db "SELECT state || '|' || verdict || '|' || sum(n) FROM tallies GROUP BY state, verdict ORDER BY 1")" \
        "$(sql gen.db "SELECT state || '|' || verdict || '|' || count(*) FROM claimants GROUP BY state, verdict ORDER BY 1")" "tallies after a bulk update"
    before=$(sqlite3 gen.db .dump)
    run --db gen.db import-csv gen-changed.csv --json
    expect_out '{"rows_read":20000,"imported":0,"linked":0,"updated":0,"unchanged":20000,"duplicates":20000,"rejected":0,"erased":0}'
    expect_eq "$(sqlite3 gen.db .dump)" "$before" "the corrected dump again"
}

# Each registry has its own random secret.
case_own_secret() {
    fixture base
    "$CLAIMREG" -q --db other.db import-csv base.csv
    expect_eq "$(sql claimreg.db "SELECT hex(value) FROM secrets" | grep -c '^[0-9A-F]\{64\}$')" "1" "a 32-byte secret"
    [ "$(sql claimreg.db "SELECT hex(value) FROM secrets")" != "$(sql other.db "SELECT hex(value) FROM secrets")" ] || fail "two registries share a secret"
}

# Every column given: an unchanged row is known by the content digest stored with its claimant
# (no read of its row); a change of any one field is still found, and named.
case_full_dump_twice() {
    fixture full
    before_full=$(sqlite3 full.db .dump)
    run --db full.db import-csv full.csv
    expect_status 0
    expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 0 updated, 2 unchanged, 2 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sqlite3 full.db .dump)" "$before_full" "registry after the full dump twice"
}

# One field of F1 changed at a time (its external reference would make it another submission).
case_one_field_changed() {
    fixture full
    changes=(
        "child_first_name:Femke" "child_name_prefix:" "child_last_name:Bouman"
        "child_birth_date:2012-05-19" "country:BE" "postcode:1731 RZ" "house_number:152"
        "platform:musically" "first_use:2020-06-10" "last_use:2021-01-02"
        "registrant_name:Agnieszka Nowak" "registrant_email:a.nowak@example.nl"
        "registrant_phone:+31 6 50534682" "registrant_relation:guardian" "consent:nee"
        "registered_at:2025-03-15T07:30:40Z")
    for change in "${changes[@]}"; do
        field=${change%%:*} value=${change#*:}
        IFS=, read -r -a header_cells <<< "$full_header"
        IFS=, read -r -a cells <<< "$row_a,"
        for i in "${!header_cells[@]}"; do [ "${header_cells[$i]}" == "$field" ] && cells[$i]=$value; done
        changed_row=$(IFS=,; printf '%s' "${cells[*]:0:${#header_cells[@]}}")
        printf '%s\n%s\n%s\n' "$full_header" "$changed_row" "$row_b" > one.csv
        cp full.db one.db
        run --db one.db import-csv one.csv
        expect_status 0
        expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 1 updated, 1 unchanged, 1 duplicates, 0 rejected, 0 erased"
        expect_eq "$(sql one.db "SELECT claimant_id || '|' || detail FROM audit WHERE action = 'updated'")" "1|fields=$field" "the update of $field"
        [ "$(sql one.db "SELECT content_digest FROM claimants WHERE id = 1")" != "$(sql full.db "SELECT content_digest FROM claimants WHERE id = 1")" ] ||
            fail "content digest after the update of $field"
        # Stored as a new registry stores the changed row (every column, the identity digest and
        # verdict too), and its content digest holds: the same file again changes nothing.
        stored="SELECT $full_header, identity_digest, verdict, reasons, age_band FROM claimants WHERE id = 1"
        rm -f new.db; "$CLAIMREG" -q --db new.db import-csv one.csv
        expect_eq "$(sql one.db "$stored")" "$(sql new.db "$stored")" "the claimant after the update of $field"
        run --db one.db import-csv one.csv
        expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 0 updated, 2 unchanged, 2 duplicates, 0 rejected, 0 erased"
    done
}

# The same submission corrected and then sent as before, in one file: both rows update (the
# digest loaded at the start no longer holds after the first).
case_corrected_and_sent_as_before() {
    fixture full
    printf '%s\n%s\n%s\n' "$full_header" "${row_a/1730 RZ/1731 RZ}" "$row_a" > twice.csv
    cp full.db twice.db
    run --db twice.db import-csv twice.csv
    expect_status 0
    expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 2 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql twice.db "SELECT postcode || '|' || content_digest FROM claimants WHERE id = 1")" \
        "$(sql full.db "SELECT postcode || '|' || content_digest FROM claimants WHERE id = 1")" "sent as before: as before, content digest too"
}

# The state comes with the digest: a withdrawn claimant sent as active is reactivated, an
# opted-out one is refused; withdrawn and then active in one file is active again.
case_state_with_the_digest() {
    fixture full
    printf '%s,state\n%s,withdrawn\n%s,opted-out\n' "$full_header" "$row_a" "$row_b" > full-states.csv
    cp full.db states.db
    run --db states.db import-csv full-states.csv
    expect_status 0
    expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 2 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    run --db states.db import-csv full-states.csv
    expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 0 updated, 2 unchanged, 2 duplicates, 0 rejected, 0 erased"
    printf '%s,state\n%s,active\n%s,active\n' "$full_header" "$row_a" "$row_b" > full-active.csv
    run --db states.db import-csv full-active.csv
    expect_status 0
    expect_err "claimreg: line 3: claimant 2 opted out: not made active again (the opt-out is final)
claimreg: 2 rows read: 0 imported, 0 linked, 1 updated, 1 unchanged, 1 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql states.db "SELECT group_concat(id || '|' || state, ' ') FROM claimants")" "1|active 2|opted-out" "states after the active dump"
    printf '%s,state\n%s,withdrawn\n%s,active\n' "$full_header" "$row_a" "$row_a" > back-and-forth.csv
    run --db states.db import-csv back-and-forth.csv
    expect_status 0
    expect_err "claimreg: 2 rows read: 0 imported, 0 linked, 2 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql states.db "SELECT state FROM claimants WHERE id = 1")" "active" "withdrawn and active again in one file"
}

finish
