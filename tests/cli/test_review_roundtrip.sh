#!/usr/bin/env bash
# The review loop: `duplicates --format csv` for a reviewer, the decision column filled in
# (`same`, Dutch `verschillend`, one left empty), `resolve` of that file; counts drop by one per
# link, decided pairs are not proposed again, a re-import keeps the decisions, `unlink` undoes one.
. "$SRC_DIR/tests/cli/lib.sh"
pairs() { cut -f2,3 | tr '\t\n' '- '; } # "a-b a-b ..." of TSV output

fixture_reg() {
    "$CLAIMREG" -q --db r.db import-csv "$SRC_DIR/tests/fixtures/near-duplicates.csv" || fail "import"
}
# The reviewer: 1-2 the same child, 3-4 two children, the rest undecided (reviewed.csv).
fixture_reviewed() {
    fixture reg
    "$CLAIMREG" -q --db r.db duplicates --format csv >review.csv || fail "duplicates --format csv"
    awk -F, 'BEGIN { OFS = "," } NR == 2 { $NF = "same" } NR == 3 { $NF = "verschillend" } { print }' \
        review.csv >reviewed.csv
}
# Then reviewed.csv resolved.
fixture_resolved() {
    fixture reviewed
    "$CLAIMREG" -q --db r.db resolve reviewed.csv || fail "resolve"
}

case_pairs_before_the_review() {
    fixture reg
    run --db r.db stats --count
    expect_out "22"
    run -q --db r.db duplicates
    expect_eq "$(pairs <<<"$out")" "1-2 3-4 5-6 7-8 " "pairs proposed before the review"
}

case_the_reviewers_csv() {
    fixture reg
    "$CLAIMREG" -q --db r.db duplicates --format csv >review.csv || fail "duplicates --format csv"
    expect_eq "$(head -n 1 review.csv | tr -d '\r')" "score,a,b,levels,decision" "the reviewer's CSV header"
}

case_resolve_the_reviewed_csv() {
    fixture reviewed
    run --db r.db resolve reviewed.csv
    expect_status 0
    expect_err "claimreg: 4 rows read: 1 linked, 1 distinct, 2 skipped (no decision), 0 decided before"
    run --db r.db stats --count
    expect_out "21"
    run -q --db r.db duplicates
    expect_eq "$(pairs <<<"$out")" "5-6 7-8 " "pairs proposed after the review"
    expect_eq "$(sql r.db "SELECT a, b, decision FROM pair_decisions ORDER BY a" | tr '\n' ' ')" \
        "1|2|same 3|4|distinct " "decisions stored"
    expect_eq "$(sql r.db "SELECT id, state, linked_to FROM claimants WHERE id = 2")" "2|linked|1" "2 linked into 1"
}

# The same file again decides nothing new; a re-import of the dump keeps every decision.
case_decisions_survive() {
    fixture resolved
    run --db r.db resolve reviewed.csv
    expect_status 0
    expect_err "claimreg: 4 rows read: 0 linked, 0 distinct, 2 skipped (no decision), 2 decided before"
    run -q --db r.db import-csv "$SRC_DIR/tests/fixtures/near-duplicates.csv"
    expect_status 0
    run --db r.db stats --count
    expect_out "21"
    run -q --db r.db duplicates
    expect_eq "$(pairs <<<"$out")" "5-6 7-8 " "pairs proposed after a re-import"
}

# unlink: 2 is a claimant again and its pair comes back; the distinct pair stays decided.
case_unlink() {
    fixture resolved
    run --db r.db unlink 2
    expect_status 0
    run --db r.db stats --count
    expect_out "22"
    run -q --db r.db duplicates
    expect_eq "$(pairs <<<"$out")" "1-2 5-6 7-8 " "pairs proposed after unlink"
}

finish
