#!/usr/bin/env bash
# claimreg link, distinct, unlink and resolve: a person's decisions on near-duplicates. Counts
# before and after, what a linked claimant is refused, the audit rows, decisions that survive
# re-imports, a reviewed CSV applied whole or not at all, erasure of one child, and no personal
# value in any message.
. "$SRC_DIR/tests/cli/lib.sh"

messages="" # every stdout and stderr of a case, searched for personal values at its end
keep() { messages+="$out"$'\n'"$err"$'\n'; }
count() { "$CLAIMREG" stats --count; }
export_ids() { "$CLAIMREG" export --format ndjson "$@" | sed 's/.*"id":\([0-9]*\).*/\1/' | tr '\n' ' '; }
decisions() { sql claimreg.db "SELECT a || ' ' || b || ' ' || decision FROM pair_decisions ORDER BY a, b" | tr '\n' ','; }
review_audit() {
    sql claimreg.db "SELECT claimant_id || ' ' || action || ' ' || detail FROM audit WHERE action IN ('linked', 'unlinked', 'distinct') AND id > ${1:-0} ORDER BY id"
}
last_audit() { sql claimreg.db "SELECT coalesce(max(id), 0) FROM audit"; }
# No personal value in any message of the case.
expect_no_personal_values() {
    for value in Sem Semm Vries Lotte Lotta Bakker Fleur Floor Jansen ouder example.nl '1234 AB' '3511' REF- 2012-04-05; do
        expect_not_contains "$messages" "$value"
    done
}
# Sem (1) and his near-duplicate Semm (2), Lotte (3) and Lotta (4), the twins Fleur (5) and
# Floor (6) registered by one parent.
header=external_ref,child_first_name,child_name_prefix,child_last_name,child_birth_date,postcode,house_number,platform,first_use,registrant_name,registrant_email,registrant_relation,consent,registered_at
# OTHER's child, to be added by hand by OTHER's registrant.
semm=(--child-first-name Semm --child-name-prefix de --child-last-name Vries --child-birth-date 2012-04-05
      --postcode '1234 AB' --platform tiktok --first-use 2019-06-01 --registrant-name X
      --registrant-email ouder2@example.nl --registrant-relation parent --consent)

fixture_imported() {
    cat > dump.csv <<CSV
$header
REF-1,Sem,de,Vries,2012-04-05,1234 AB,7,tiktok,2019-06-01,Ouder Een,ouder1@example.nl,parent,ja,2024-01-15T10:00:00Z
REF-2,Semm,de,Vries,2012-04-05,1234 AB,7,tiktok,2019-06-01,Ouder Twee,ouder2@example.nl,parent,ja,2024-01-16T10:00:00Z
REF-3,Lotte,,Bakker,2010-02-03,3511 AX,12,tiktok,2020-01-01,Ouder Drie,ouder3@example.nl,parent,ja,2024-01-17T10:00:00Z
REF-4,Lotta,,Bakker,2010-02-03,3511 AX,12,tiktok,2020-01-01,Ouder Vier,ouder4@example.nl,parent,ja,2024-01-18T10:00:00Z
REF-5,Fleur,,Jansen,2011-01-01,9711 AA,3,tiktok,2020-01-01,Ouder Vijf,ouder5@example.nl,parent,ja,2024-01-19T10:00:00Z
REF-6,Floor,,Jansen,2011-01-01,9711 AA,3,tiktok,2020-01-01,Ouder Vijf,ouder5@example.nl,parent,ja,2024-01-19T10:00:00Z
CSV
    run import-csv dump.csv
    expect_status 0
    expect_eq "$(count)" "6" "claimants before any decision"
}
# Then 6 withdrawn and put back as it was.
fixture_restored() {
    fixture imported
    "$CLAIMREG" -q withdraw 6 || fail "withdraw 6"
    sql claimreg.db "UPDATE claimants SET state = 'active', verdict = 'eligible', reasons = '' WHERE id = 6" # back, as it was
}
# Then 2 linked into 1.
fixture_linked() {
    fixture restored
    "$CLAIMREG" -q link 1 2 || fail "link 1 2"
}
# OTHER's row with a state cell and a correction (other.csv), a new registration of OTHER's child
# by another registrant (new.csv), OTHER's row corrected to KEEP's very names (same.csv).
fixture_correction_files() {
    printf '%s,state\n%s\n' "$header" "REF-2,Semm,de,Vries,2012-04-05,1234 AB,7a,tiktok,2019-06-01,Ouder Twee,ouder2@example.nl,parent,ja,2024-01-16T10:00:00Z,actief" > other.csv
    printf '%s\n%s\n' "$header" "REF-9,Semm,de,Vries,2012-04-05,1234 AB,7,tiktok,2019-06-01,Ouder Negen,ouder9@example.nl,guardian,ja,2024-02-01" > new.csv
    printf '%s\n%s\n' "$header" "REF-2,Sem,de,Vries,2012-04-05,1234 AB,7a,tiktok,2019-06-01,Ouder Twee,ouder2@example.nl,parent,ja,2024-01-16T10:00:00Z" > same.csv
}
# Then the re-imports of those, and of the dump: OTHER stays linked, with its corrections.
fixture_reimported() {
    fixture linked
    fixture correction_files
    for file in dump.csv other.csv new.csv; do
        "$CLAIMREG" -q import-csv "$file" 2>/dev/null || fail "import of $file"
    done
    "$CLAIMREG" -q add "${semm[@]}" > /dev/null || fail "add"
    for file in same.csv other.csv; do
        "$CLAIMREG" -q import-csv "$file" 2>/dev/null || fail "import of $file"
    done
}
# Then 2 unlinked.
fixture_unlinked() {
    fixture reimported
    "$CLAIMREG" -q unlink 2 || fail "unlink 2"
}
# Then 5 and 6 recorded as different children.
fixture_distinct() {
    fixture unlinked
    "$CLAIMREG" -q distinct 5 6 || fail "distinct 5 6"
}
# A reviewed duplicates file: score first, other columns ignored, Dutch and any case.
fixture_review_csv() {
    cat > review.csv <<'CSV'
score,a,b,child_first_name,decision
0.97,1,2,typo,same
0.95,3,4,typo,Zelfde
0.93,5,6,typo,DISTINCT
0.91,1,3,different,
0.90,2,5,different,verschillend
CSV
}
# Then review.csv and a pair through a linked claimant resolved.
fixture_resolved() {
    fixture distinct
    fixture review_csv
    printf 'a,b,decision\n2,3,same\n' > through.csv
    "$CLAIMREG" -q resolve review.csv || fail "resolve review.csv"
    "$CLAIMREG" -q resolve through.csv || fail "resolve through.csv"
}

# Missing registry: 66, none created.
case_missing_registry() {
    for cmd in "link 1 2" "distinct 1 2" "unlink 1"; do
        run $cmd
        expect_status 66
        expect_err_contains "no registry at claimreg.db"
    done
    printf 'a,b,decision\n' > empty-review.csv
    run resolve empty-review.csv
    expect_status 66
    [ -e claimreg.db ] && fail "a decision created a registry"
}

# ---- link ----------------------------------------------------------------------------------
case_link_refused() {
    fixture imported
    run link 1 1
    expect_status 65
    expect_err "claimreg: claimant 1 cannot be linked into itself"
    keep
    run link 1 99
    expect_status 66
    expect_err "claimreg: no claimant with id 99"
    run link 1 x
    expect_status 64
    run link 1
    expect_status 64
    run withdraw 6
    run link 1 6
    expect_status 65
    expect_err "claimreg: claimant 6 is withdrawn, not active: nothing linked"
    keep
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM pair_decisions")" "0" "no decision after refused links"
    expect_no_personal_values
}

case_link() {
    fixture restored
    sleep 1
    since=$(date -u +%FT%TZ)
    before=$(last_audit)
    run link 1 2
    expect_status 0
    expect_out ""
    expect_err "claimreg: claimant 2 linked into claimant 1"
    keep
    expect_eq "$(count)" "5" "stats --count after link"
    run stats --by state --format csv
    expect_out "state,count
active,5"
    [ "$out" == *linked* ] && fail "stats --by state shows linked"
    expect_eq "$(sql claimreg.db "SELECT state || ' ' || linked_to FROM claimants WHERE id = 2")" "linked 1" "OTHER's row"
    expect_eq "$(sql claimreg.db "SELECT child_first_name || ' ' || registrant_email FROM claimants WHERE id = 2")" "Semm ouder2@example.nl" "OTHER's data kept"
    expect_eq "$(decisions)" "1 2 same," "pair decision"
    expect_eq "$(review_audit "$before")" "1 linked keep=1 other=2
2 linked keep=1 other=2" "audit rows of the link"
    expect_eq "$(export_ids)" "1 3 4 5 6 " "export leaves the linked claimant out"
    expect_eq "$(export_ids --include-withdrawn)" "1 3 4 5 6 " "export --include-withdrawn too"
    expect_eq "$(export_ids --since "$since")" "1 " "export --since carries KEEP"
    run check-eligibility --all
    expect_out "eligible	5
ineligible	0
review	0"
    expect_no_personal_values
}

case_what_a_linked_claimant_is_refused() {
    fixture linked
    run link 1 2
    expect_status 65
    expect_err "claimreg: claimant 2 is already linked into claimant 1: nothing linked"
    run link 2 3
    expect_status 65
    expect_err "claimreg: claimant 2 is already linked into claimant 1: nothing linked"
    for cmd in "withdraw 2" "update 2 --house-number 8" "check-eligibility 2"; do
        run $cmd
        expect_status 65
        expect_err "claimreg: claimant 2 is linked into claimant 1 (the same child): use 1, or 'claimreg unlink 2' first"
        keep
    done
    expect_eq "$(sql claimreg.db "SELECT house_number || ' ' || state FROM claimants WHERE id = 2")" "7 linked" "refused commands changed nothing"

    run show 2
    expect_status 0
    expect_out_contains "state:               linked
linked_to:           1
state_changed_at:"
    run show 1
    expect_out_contains "
linked claimants: 2

audit:"
    expect_out_contains "  linked     keep=1 other=2"
    run show 1 --json
    expect_out_contains '"state":"active","linked_to":null,'
    expect_out_contains '"linked_claimants":[2],'
    run show 2 --json
    expect_out_contains '"state":"linked","linked_to":1,'
    expect_no_personal_values
}

# ---- decisions survive re-imports ----------------------------------------------------------
case_decisions_survive_reimports() {
    fixture linked
    fixture correction_files
    run import-csv dump.csv
    expect_status 0
    expect_err "claimreg: 6 rows read: 0 imported, 0 linked, 0 updated, 6 unchanged, 6 duplicates, 0 rejected, 0 erased"
    expect_eq "$(count)" "5" "count after a re-import"
    expect_eq "$(sql claimreg.db "SELECT state || ' ' || linked_to FROM claimants WHERE id = 2")" "linked 1" "the link after a re-import"
    # OTHER's row with a state cell and a correction: its data is updated, it stays linked.
    run import-csv other.csv
    expect_status 0
    expect_err "claimreg: line 2: claimant 2 is linked into claimant 1: its state is not applied
claimreg: 1 rows read: 0 imported, 0 linked, 1 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    keep
    expect_eq "$(sql claimreg.db "SELECT house_number || ' ' || state || ' ' || linked_to FROM claimants WHERE id = 2")" "7a linked 1" "OTHER updated, still linked"
    expect_eq "$(count)" "5" "count after OTHER's state cell"
    # A new registration of OTHER's child (another registrant) goes to KEEP.
    run import-csv new.csv
    expect_status 0
    expect_err "claimreg: 1 rows read: 0 imported, 1 linked, 0 updated, 0 unchanged, 1 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql claimreg.db "SELECT claimant_id FROM registrations WHERE external_ref = 'REF-9'")" "1" "new registration linked to KEEP"
    expect_eq "$(count)" "5" "count after a new registration of OTHER's child"
    run add "${semm[@]}"
    expect_status 0
    expect_out "1"
    expect_eq "$(count)" "5" "count after add of OTHER's child"

    # OTHER's row corrected to KEEP's very names: applied (no identity_conflict), and unlink refused.
    run import-csv same.csv
    expect_status 0
    expect_err "claimreg: 1 rows read: 0 imported, 0 linked, 1 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    expect_eq "$(count)" "5" "count after OTHER became KEEP's very child"
    run unlink 2
    expect_status 65
    expect_err "claimreg: claimant 2 is now the same child as claimant 1 (the same names, birth date and postcode): not unlinked"
    keep
    run import-csv other.csv # back to Semm
    expect_status 0
    expect_eq "$(sql claimreg.db "SELECT child_first_name || ' ' || state FROM claimants WHERE id = 2")" "Semm linked" "OTHER corrected back"
    expect_no_personal_values
}

# ---- unlink --------------------------------------------------------------------------------
case_unlink() {
    fixture reimported
    before=$(last_audit)
    run unlink 2
    expect_status 0
    expect_err "claimreg: claimant 2 unlinked from claimant 1: a claimant again"
    keep
    expect_eq "$(count)" "6" "stats --count after unlink"
    expect_eq "$(sql claimreg.db "SELECT state || ' ' || coalesce(linked_to, '-') || ' ' || house_number || ' ' || verdict FROM claimants WHERE id = 2")" "active - 7a eligible" "OTHER restored with its own data and verdict"
    expect_eq "$(decisions)" "" "the same decision is gone"
    expect_eq "$(review_audit "$before")" "1 unlinked keep=1 other=2
2 unlinked keep=1 other=2" "audit rows of the unlink"
    run unlink 2
    expect_status 65
    expect_err "claimreg: claimant 2 is not linked into another claimant: nothing to unlink"
    run unlink 99
    expect_status 66
    expect_no_personal_values
}

# ---- distinct ------------------------------------------------------------------------------
case_distinct() {
    fixture unlinked
    before=$(last_audit)
    run distinct 6 5
    expect_status 0
    expect_err "claimreg: claimants 5 and 6 recorded as different children"
    run distinct 5 6
    expect_status 0
    expect_eq "$(decisions)" "5 6 distinct," "distinct decision"
    expect_eq "$(review_audit "$before")" "5 distinct a=5 b=6
6 distinct a=5 b=6" "audit rows of distinct (once)"
    run distinct 5 5
    expect_status 65
    expect_err "claimreg: claimant 5 is one child: not distinct from itself"
    expect_eq "$(count)" "6" "distinct changes no count"
    expect_no_personal_values
}

# ---- resolve -------------------------------------------------------------------------------
# Bad files apply nothing: each bad row by line and column, 65.
case_resolve() {
    fixture distinct
    fixture review_csv
    state_before=$(sql claimreg.db "SELECT id, state, coalesce(linked_to, '') FROM claimants ORDER BY id; SELECT * FROM pair_decisions")
    audit_before=$(last_audit)
    printf 'a;b;decision\r\n1;2;same\r\n1;99;same\r\nx;3;same\r\n3;4;maybe\r\n5;6;zelfde\r\n3;3;same\r\n0;-1;distinct\r\n' > bad.csv
    run resolve bad.csv
    expect_status 65
    expect_err "claimreg: line 3: b: no claimant with id 99
claimreg: line 4: a: not a claimant id (a positive whole number)
claimreg: line 5: decision: not same, distinct, zelfde or verschillend
claimreg: line 6: decision: the pair was recorded as distinct children before
claimreg: line 7: b: the same claimant as a
claimreg: line 8: a: not a claimant id (a positive whole number)
claimreg: line 8: b: not a claimant id (a positive whole number)
claimreg: 6 bad rows: nothing applied"
    keep
    printf 'a,b,decision\n1,3,same\n3,1,distinct\n2,4,same\n4,1,same\n2,1,verschillend\n' > contradiction.csv
    run resolve contradiction.csv
    expect_status 65
    expect_err "claimreg: line 3: decision: contradicts line 2 (same)
claimreg: line 6: decision: contradicts the same decisions of other rows, which make them one child
claimreg: 2 bad rows: nothing applied"
    printf 'b,a\n1,2\n' > nodecision.csv
    run resolve nodecision.csv
    expect_status 65
    expect_err "claimreg: line 1: missing required column: decision"
    run resolve missing.csv
    expect_status 66
    expect_eq "$(sql claimreg.db "SELECT id, state, coalesce(linked_to, '') FROM claimants ORDER BY id; SELECT * FROM pair_decisions")" "$state_before" "bad files changed nothing"
    expect_eq "$(last_audit)" "$audit_before" "bad files wrote no audit row"
    expect_eq "$(count)" "6" "count after bad files"

    before=$(last_audit)
    run resolve review.csv
    expect_status 0
    expect_out ""
    expect_err "claimreg: 5 rows read: 2 linked, 1 distinct, 1 skipped (no decision), 1 decided before"
    keep
    expect_eq "$(count)" "4" "stats --count after resolve"
    expect_eq "$(sql claimreg.db "SELECT group_concat(id || ':' || state || ':' || coalesce(linked_to, ''), ' ') FROM (SELECT * FROM claimants ORDER BY id)")" \
        "1:active: 2:linked:1 3:active: 4:linked:3 5:active: 6:active:" "states after resolve"
    expect_eq "$(decisions)" "1 2 same,2 5 distinct,3 4 same,5 6 distinct," "decisions after resolve"
    expect_eq "$(review_audit "$before")" "1 linked keep=1 other=2 by=resolve
2 linked keep=1 other=2 by=resolve
3 linked keep=3 other=4 by=resolve
4 linked keep=3 other=4 by=resolve
2 distinct a=2 b=5 by=resolve
5 distinct a=2 b=5 by=resolve" "audit rows of resolve"
    # The same file again: nothing to do. From stdin too.
    run_in "$(cat review.csv)" resolve -
    expect_status 0
    expect_err "claimreg: 5 rows read: 0 linked, 0 distinct, 1 skipped (no decision), 4 decided before"
    # A pair through a linked claimant: 2 stands for 1, so 2-3 joins 3 into 1.
    printf 'a,b,decision\n2,3,same\n' > through.csv
    run resolve through.csv
    expect_status 0
    expect_err "claimreg: 1 rows read: 1 linked, 0 distinct, 0 skipped (no decision), 0 decided before"
    expect_eq "$(sql claimreg.db "SELECT group_concat(id || ':' || coalesce(linked_to, ''), ' ') FROM (SELECT * FROM claimants ORDER BY id)")" \
        "1: 2:1 3:1 4:3 5: 6:" "linked through another link"
    expect_eq "$(count)" "3" "count after linking through"
    expect_no_personal_values
}

# ---- erasure: KEEP takes the claimants linked into it; OTHER goes alone ----------------------
case_erasure() {
    fixture resolved
    run unlink 3
    expect_status 0
    expect_eq "$(count)" "4" "count after unlinking 3"
    run erase --force 4
    expect_status 0
    expect_eq "$(sql claimreg.db "SELECT group_concat(id, ' ') FROM (SELECT id FROM claimants ORDER BY id)")" "1 2 3 5 6" "erase OTHER erases it alone"
    expect_eq "$(count)" "4" "count after erasing a linked claimant"
    run erase --force 1
    expect_status 0
    expect_err "claimreg: claimant 1 erased with 1 linked registration and 1 linked claimant (the same child)"
    expect_eq "$(sql claimreg.db "SELECT group_concat(id, ' ') FROM (SELECT id FROM claimants ORDER BY id)")" "3 5 6" "erase KEEP erases the claimants linked into it"
    expect_eq "$(sql claimreg.db "SELECT count || ' ' || detail FROM audit WHERE action = 'erased' AND claimant_id = 1")" "3 linked=1 claimants=2" "audit row of the erasure"
    expect_eq "$(count)" "3" "count after erasing KEEP"
    run stats --format json
    expect_out_contains '"erased":2'
    run import-csv dump.csv
    expect_err "claimreg: line 2: an erased child (its reference or identity): not stored again
claimreg: line 3: an erased child (its reference or identity): not stored again
claimreg: line 5: an erased child (its reference or identity): not stored again
claimreg: 6 rows read: 0 imported, 0 linked, 0 updated, 3 unchanged, 3 duplicates, 0 rejected, 3 erased"
    expect_no_personal_values
}

finish
