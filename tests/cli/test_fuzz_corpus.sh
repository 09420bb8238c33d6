#!/usr/bin/env bash
# The fuzzing corpus (and every input the fuzzer ever crashed on, kept in fuzz/regressions/)
# goes through the real import: exit 0 or 65, never a crash; nothing is created on --dry-run.
. "$SRC_DIR/tests/cli/lib.sh"

case_corpus_and_regressions() {
    files=0
    for f in "$SRC_DIR"/fuzz/corpus/* "$SRC_DIR"/fuzz/regressions/*; do
        [ -f "$f" ] || continue
        files=$((files + 1))
        for encoding in utf-8 windows-1252; do
            run -q --db r.db import-csv --dry-run --encoding "$encoding" "$f"
            checks=$((checks + 1))
            case $status in
            0 | 65) ;;
            *) fail "${f##*/} ($encoding): exit status $status: $err" ;;
            esac
        done
    done
    [ "$files" -ge 4 ] || fail "only $files corpus files"
    [ -e r.db ] && fail "--dry-run created a registry"
}

finish
