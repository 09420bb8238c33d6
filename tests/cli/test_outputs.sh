#!/usr/bin/env bash
# Files claimreg writes (export --output, import-csv --rejects): never the registry, its -wal,
# -shm or -journal, or the input; replaced atomically and only by a run that got to its end; a
# symlink's target replaced, the link kept; FIFOs, character devices and open descriptors
# (/dev/stdout, /dev/fd/N, /proc/self/fd/N) written to directly; formulas neutralised in the
# rejects file; signals that were ignored at start stay ignored.
. "$SRC_DIR/tests/cli/lib.sh"
set -o pipefail
umask 022

HEADER="child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation"

# expect_only_files DIR NAMES: exactly these entries (hidden ones included).
expect_only_files() {
    checks=$((checks + 1))
    local got
    got=$(ls -A "$1" | tr '\n' ' ')
    [ "$got" == "$2" ] || fail "files in $1: got [$got], expected [$2]"
}
# expect_same FILE1 FILE2 WHAT: byte-identical files.
expect_same() {
    checks=$((checks + 1))
    cmp -s "$1" "$2" || fail "$3: $1 differs from $2"
}
# expect_type FILE TYPE: stat's file type (regular file, symbolic link, fifo, character special file).
expect_type() {
    checks=$((checks + 1))
    local got
    got=$(stat -c '%F' "$1" 2>/dev/null)
    [ "$got" == "$2" ] || fail "$1 is [$got], expected [$2]"
}
count() { sql "${1:-claimreg.db}" 'SELECT count(*) FROM claimants'; }

# Signals: `trap '' HUP INT` ignores them as nohup does (SIGHUP) and as a shell does for a
# background job (SIGINT).
# (wait_for_handler PID SIGNAL: until PID catches SIGNAL, at most 10 s.)
wait_for_handler() {
    local mask i
    for i in $(seq 100); do
        mask=$(sed -n 's/^SigCgt:\t//p' "/proc/$1/status" 2>/dev/null)
        [ -n "$mask" ] && (((16#$mask >> ($2 - 1)) & 1)) && return 0
        sleep 0.1
    done
    return 1
}
ignores() { # ignores PID SIGNAL
    local mask
    mask=$(sed -n 's/^SigIgn:\t//p' "/proc/$1/status" 2>/dev/null)
    [ -n "$mask" ] && (((16#$mask >> ($2 - 1)) & 1))
}
# slow_import DB ARGS...: import-csv from the FIFO, SIGHUP ignored; the header is sent, then
# the test waits until the import guards its files against SIGTERM, sends SIGHUP, then the rows.
slow_import() {
    local db=$1
    shift
    (trap '' HUP INT; exec "$CLAIMREG" --db "$db" import-csv - "$@" < feed 2> slow.err) &
    pid=$!
    exec 3> feed
    head -1 late.csv >&3
    checks=$((checks + 1))
    wait_for_handler "$pid" 15 || fail "import-csv $* does not guard its files against SIGTERM"
    checks=$((checks + 1))
    ignores "$pid" 1 || fail "import-csv $* does not keep SIGHUP ignored"
    checks=$((checks + 1))
    ignores "$pid" 2 || fail "import-csv $* does not keep SIGINT ignored"
    kill -HUP "$pid"
    tail -n +2 late.csv >&3
    exec 3>&-
    wait "$pid"
    status=$?
}
# lock_registry: an sqlite3 shell holds an exclusive lock on the registry until fd 4 is closed.
lock_registry() {
    sqlite3 claimreg.db < lock > /dev/null 2>&1 &
    locker=$!
    exec 4> lock
    echo "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; SELECT count(*) FROM claimants;" >&4
    local i
    for i in $(seq 100); do # until another reader finds the registry locked
        sqlite3 claimreg.db 'SELECT count(*) FROM claimants' > /dev/null 2>&1 || return 0
        sleep 0.1
    done
    fail "the registry could not be locked"
}
unlock_registry() {
    exec 4>&-
    wait "$locker"
}

# A registry of four claimants, and a file with one good and one bad row (a formula-like name,
# a phone number that must stay as typed, a bad postcode).
fixture_four() {
    {
        echo "$HEADER"
        for n in 1 2 3 4; do echo "Kind$n,Berg,2011-03-1$n,1012 AB,tiktok,2019-06-01,Anna Berg,anna$n@example.nl,,parent"; done
    } > four.csv
    "$CLAIMREG" -q import-csv four.csv || fail "import of four.csv"
    cat > more.csv <<'CSV'
child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation
Noor,Smit,2010-01-01,1234 AB,tiktok,2019-01-01,Els Smit,els@example.nl,06 12345678,parent
"=HYPERLINK(""x"")",Geheim,2010-01-01,0123 AB,tiktok,2019-01-01,-Rik,rik@example.nl,+31612345678,parent
CSV
    cp claimreg.db registry.copy
    cp more.csv more.copy
    ln -s claimreg.db link.db
    ln claimreg.db hard.db
}
# Yesterday's rejects file, out/rejects.csv.
fixture_out_dir() {
    mkdir out
    printf 'yesterday\n' > out/rejects.csv
    chmod 600 out/rejects.csv
    cp out/rejects.csv yesterday.csv
}
# The registry of four with more.csv's good row and its bad row corrected (six claimants), and
# exports in out/ (made.csv, target.csv) beside the rejects file.
fixture_six() {
    fixture four
    fixture out_dir
    "$CLAIMREG" -q import-csv more.csv --rejects out/rejects.csv 2>/dev/null
    [ $? -eq 65 ] || fail "import of more.csv"
    sed 's/0123 AB/1234 AB/' out/rejects.csv > corrected.csv
    "$CLAIMREG" -q import-csv corrected.csv || fail "import of corrected.csv"
    "$CLAIMREG" export -o out/target.csv || fail "export to out/target.csv"
    "$CLAIMREG" export -o out/made.csv || fail "export to out/made.csv"
}
fixture_late_csv() {
    {
        echo "$HEADER"
        for n in 1 2 3 4 5 6; do echo "Late$n,Dam,2011-04-0$n,1234 AB,tiktok,2019-06-01,Ria Dam,ria$n@example.nl,,parent"; done
        echo "Late7,Dam,2011-04-07,0123 AB,tiktok,2019-06-01,Ria Dam,ria7@example.nl,,parent"
    } > late.csv
}

# --rejects and --output naming the registry (by any name), one of its companion files, or the
# input: a usage error naming the option, before anything is read, written or truncated.
# A registry that does not exist yet, named by --rejects (also through a dangling link): refused
# by its path; neither a registry nor a rejects file is created.
case_refused_outputs() {
    fixture four
    for name in claimreg.db ./claimreg.db "$WORK/claimreg.db" link.db hard.db; do
        run import-csv more.csv --rejects "$name"
        expect_status 64
        expect_err "claimreg: --rejects is the registry itself"
        run export --output "$name"
        expect_status 64
        expect_err "claimreg: --output is the registry itself"
    done
    for suffix in -wal -shm -journal; do
        run import-csv more.csv --rejects "claimreg.db$suffix"
        expect_status 64
        expect_err "claimreg: --rejects is a file of the registry (its $suffix)"
        run --db link.db export -o "claimreg.db$suffix"
        expect_status 64
        expect_err "claimreg: --output is a file of the registry (its $suffix)"
    done
    run import-csv more.csv --rejects more.csv
    expect_status 64
    expect_err "claimreg: --rejects is the input file"
    ln -s more.csv more.link
    run import-csv more.link --rejects more.csv
    expect_status 64
    expect_err "claimreg: --rejects is the input file"
    out=$("$CLAIMREG" import-csv - --rejects more.csv < more.csv 2>&1); status=$?
    expect_eq "$status" "64" "--rejects naming the input on stdin"
    expect_eq "$out" "claimreg: --rejects is the input file" "--rejects naming stdin's file"
    expect_same claimreg.db registry.copy "a refused --rejects or --output changed the registry"
    expect_same more.csv more.copy "a refused --rejects changed the input"
    expect_eq "$(count)" "4" "claimants after refused runs"
    expect_only_files . ".stderr claimreg.db four.csv hard.db link.db more.copy more.csv more.link registry.copy "
    rm -f claimreg.db-* && cp registry.copy claimreg.db && cp more.copy more.csv
    ln -s new.db new.link
    for name in new.db new.link new.db-wal "$WORK/new.db-journal"; do
        run --db new.db import-csv more.csv --rejects "$name"
        expect_status 64
        expect_err_contains "claimreg: --rejects is "
        run --db new.link import-csv --dry-run more.csv --rejects "$name"
        expect_status 64
    done
    expect_only_files . ".stderr claimreg.db four.csv hard.db link.db more.copy more.csv more.link new.link registry.copy "
    for secret in Noor Smit els@ Geheim HYPERLINK rik@; do expect_not_contains "$err" "$secret"; done
}

# The rejects file: only a run that got to its end replaces it; a refused header, a missing or
# unusable registry, a missing input leave yesterday's file as it was, and no temporary file.
case_rejects_file_of_a_refused_run() {
    fixture four
    fixture out_dir
    printf 'voornaam,achternaam\nA,B\n' > nohead.csv
    run import-csv nohead.csv --rejects out/rejects.csv
    expect_status 65
    expect_err "claimreg: line 1: missing required columns: child_birth_date, platform, first_use, registrant_name, registrant_email, registrant_relation"
    run --db no-such-dir/x.db import-csv more.csv --rejects out/rejects.csv
    expect_status 73
    printf 'not a registry' > junk.db
    run --db junk.db import-csv more.csv --rejects out/rejects.csv
    expect_status 65
    run import-csv missing.csv --rejects out/rejects.csv
    expect_status 66
    expect_same out/rejects.csv yesterday.csv "a refused import replaced the rejects file"
    expect_only_files out "rejects.csv "
    expect_eq "$(count)" "4" "claimants after refused imports"
}

# A run with rejected rows got to its end (65): the file is replaced, 0600, formulas neutralised
# (the phone number and the plain number stay as typed); corrected, it re-imports.
# --strict and --dry-run runs get to their end too; a run without rejects writes just the header.
case_rejects_file_of_a_finished_run() {
    fixture four
    fixture out_dir
    chmod 644 out/rejects.csv
    run import-csv more.csv --rejects out/rejects.csv
    expect_status 65
    expect_err "claimreg: line 3: postcode: not a Dutch postcode (use 1234 AB)
claimreg: 2 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 1 rejected, 0 erased"
    expect_mode out/rejects.csv 600
    expect_eq "$(cat -A out/rejects.csv)" "$HEADER,reason^M\$
\"'=HYPERLINK(\"\"x\"\")\",Geheim,2010-01-01,0123 AB,tiktok,2019-01-01,'-Rik,rik@example.nl,+31612345678,parent,line 3: postcode: not a Dutch postcode (use 1234 AB)^M\$" "rejects file"
    expect_only_files out "rejects.csv "
    sed 's/0123 AB/1234 AB/' out/rejects.csv > corrected.csv
    run import-csv corrected.csv
    expect_status 0
    expect_err "claimreg: 1 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased"
    expect_eq "$(sql claimreg.db "SELECT child_first_name || '|' || registrant_name || '|' || registrant_phone FROM claimants WHERE child_last_name = 'Geheim'")" \
        '=HYPERLINK("x")|-Rik|+31612345678' "re-imported rejected row"
    # --strict and --dry-run runs get to their end too; a run without rejects writes just the header.
    printf 'old\n' > out/rejects.csv
    run import-csv more.csv --strict --rejects out/rejects.csv
    expect_status 65
    expect_eq "$(wc -l < out/rejects.csv)" "2" "rejects of a --strict run"
    run import-csv four.csv --dry-run --rejects out/rejects.csv
    expect_status 0
    expect_eq "$(cat -A out/rejects.csv)" "$HEADER,reason^M\$" "rejects of a clean dry run"
}

# A symlink is followed (a chain too, relative to the link's directory) and its target replaced
# atomically; the link stays a link. A dangling link creates its target.
case_symlinks() {
    fixture four
    fixture out_dir
    "$CLAIMREG" export > expected.csv || fail "export to stdout"
    mkdir -p links/sub
    printf 'stale\n' > out/target.csv
    ln -s ../out/target.csv links/one.csv
    ln -s one.csv links/two.csv
    ln -s sub/../two.csv links/three.csv
    run export -o links/three.csv
    expect_status 0
    expect_out ""
    expect_err ""
    expect_type links/three.csv "symbolic link"
    expect_type links/two.csv "symbolic link"
    expect_type links/one.csv "symbolic link"
    expect_type out/target.csv "regular file"
    expect_mode out/target.csv 600
    expect_same out/target.csv expected.csv "the export through a chain of links"
    ln -s ../out/made.csv links/dangling.csv
    run export -o links/dangling.csv
    expect_status 0
    expect_type links/dangling.csv "symbolic link"
    expect_mode out/made.csv 600
    expect_same out/made.csv expected.csv "the export through a dangling link"
    ln -s ../out/rejects.csv links/rejects.csv
    run import-csv more.csv --rejects links/rejects.csv
    expect_status 65
    expect_type links/rejects.csv "symbolic link"
    expect_eq "$(wc -l < out/rejects.csv)" "2" "rejects through a link"
    expect_only_files out "made.csv rejects.csv target.csv "
    expect_only_files links "dangling.csv one.csv rejects.csv sub three.csv two.csv "
    # A failed export through a link leaves the target as it was.
    cp out/target.csv target.copy
    run export --since yesterday -o links/one.csv
    expect_status 64
    run --db missing.db export -o links/one.csv
    expect_status 66
    expect_same out/target.csv target.copy "a failed export through a link"
    expect_only_files out "made.csv rejects.csv target.csv "
    # A link loop, a link to a directory, a link into a missing directory: cannot create (73).
    ln -s loop2 links/loop1
    ln -s loop1 links/loop2
    run export -o links/loop1
    expect_status 73
    ln -s ../out links/dir
    run export -o links/dir
    expect_status 73
    ln -s ../nowhere/x.csv links/nowhere
    run export -o links/nowhere
    expect_status 73
    expect_only_files out "made.csv rejects.csv target.csv "
    # As root: a link planted by another user in a sticky, world-writable directory (such as /tmp)
    # is not followed, as the kernel's protected_symlinks would refuse.
    if [ "$(id -u)" == 0 ]; then
        mkdir sticky && chmod 1777 sticky
        ln -s ../out/planted.csv sticky/planted.csv && chown -h 65534 sticky/planted.csv
        run export -o sticky/planted.csv
        expect_status 73
        expect_err "claimreg: cannot create sticky/planted.csv: Permission denied"
        expect_only_files out "made.csv rejects.csv target.csv "
    fi
}

# A FIFO is written to, never replaced (the reader gets the export).
case_fifo() {
    fixture four
    "$CLAIMREG" export > expected.csv || fail "export to stdout"
    mkfifo pipe
    timeout 20 cat pipe > from-pipe.csv &
    reader=$!
    run export -o pipe
    expect_status 0
    expect_type pipe "fifo"
    if [ -p pipe ]; then wait "$reader"; else kill "$reader" 2>/dev/null; wait "$reader"; fi
    expect_same from-pipe.csv expected.csv "the export read from a FIFO"
    timeout 20 cat pipe > from-pipe.csv &
    reader=$!
    run import-csv more.csv --rejects pipe
    expect_status 65
    expect_type pipe "fifo"
    if [ -p pipe ]; then wait "$reader"; else kill "$reader" 2>/dev/null; wait "$reader"; fi
    expect_eq "$(wc -l < from-pipe.csv)" "2" "rejects read from a FIFO"
}

# A character device is written to, its mode untouched. As root: a node of this directory (so
# that nothing can replace the machine's /dev/null); otherwise /dev/null itself.
case_character_device() {
    fixture four
    if [ "$(id -u)" == 0 ] && mknod null c 1 3 && chmod 666 null; then device="$WORK/null"; else device=/dev/null; fi
    for args in "export -o $device" "import-csv four.csv --rejects $device"; do
        # shellcheck disable=SC2086
        run $args
        expect_status 0
        expect_type "$device" "character special file"
        expect_mode "$device" 666
    done
}

# /dev/stdout, /dev/fd/1, /proc/self/fd/1 (and a link to it, which is what /dev/stdout is) are
# the descriptor itself: written to where it points (a file keeps the shell's mode), never
# renamed over.
case_descriptors() {
    fixture six
    "$CLAIMREG" export > expected.csv || fail "export to stdout"
    registry_dump=$(sqlite3 claimreg.db .dump)
    ln -s /proc/self/fd/1 stdout.link
    names="/dev/fd/1 /proc/self/fd/1 $WORK/stdout.link"
    [ "$(id -u)" != 0 ] && names="$names /dev/stdout" # as root a broken build could replace it
    for name in $names; do
        rm -f got.csv
        "$CLAIMREG" export -o "$name" > got.csv 2> got.err
        expect_eq "$?" "0" "export -o $name"
        expect_eq "$(cat got.err)" "" "stderr of export -o $name"
        expect_same got.csv expected.csv "export -o $name into a file"
        expect_mode got.csv 644
        got=$("$CLAIMREG" export -o "$name" | cat)
        expect_eq "$?" "0" "export -o $name into a pipe"
        expect_eq "$got" "$(cat expected.csv)" "export -o $name into a pipe"
    done
    expect_type stdout.link "symbolic link"
    expect_type /dev/stdout "symbolic link"
    "$CLAIMREG" import-csv more.csv --rejects /dev/fd/3 3> fd3.csv 2> /dev/null
    expect_eq "$?" "65" "import-csv --rejects /dev/fd/3"
    expect_eq "$(wc -l < fd3.csv)" "2" "rejects written to descriptor 3"
    expect_mode fd3.csv 644
    run export -o /dev/fd/200
    expect_status 73
    expect_eq "$(sqlite3 claimreg.db .dump)" "$registry_dump" "the registry after the writes to other files"
}

# Signals ignored at start stay ignored; SIGTERM ends an import: yesterday's rejects file as it
# was, no new registry, no temporary file.
case_import_signals() {
    fixture six
    fixture late_csv
    mkfifo feed
    slow_import hup.db
    expect_eq "$status" "65" "import into a new registry after SIGHUP"
    expect_eq "$(count hup.db)" "6" "claimants imported after SIGHUP"
    slow_import claimreg.db --rejects out/late-rejects.csv
    expect_eq "$status" "65" "import with --rejects after SIGHUP"
    expect_eq "$(wc -l < out/late-rejects.csv)" "2" "rejects of the import after SIGHUP"
    expect_eq "$(count)" "12" "claimants after the import with --rejects"
    # SIGTERM ends an import: yesterday's rejects file as it was, no new registry, no temporary file.
    cp out/late-rejects.csv yesterday.csv
    (exec "$CLAIMREG" --db term.db import-csv - --rejects out/late-rejects.csv < feed 2> /dev/null) &
    pid=$!
    exec 3> feed
    head -1 late.csv >&3
    checks=$((checks + 1))
    wait_for_handler "$pid" 15 || fail "import-csv --rejects does not guard its rejects file"
    kill -TERM "$pid"
    wait "$pid"
    expect_eq "$?" "143" "import-csv ended by SIGTERM"
    exec 3>&-
    expect_same out/late-rejects.csv yesterday.csv "rejects file after SIGTERM"
    expect_eq "$(ls -A | grep -c term)" "0" "files of the new registry after SIGTERM"
    expect_only_files out "late-rejects.csv made.csv rejects.csv target.csv "
}

# An export held up by a locked registry: its output is guarded while it waits; SIGHUP ignored
# at start stays ignored, and SIGTERM leaves the previous file and no temporary file.
case_export_signals() {
    fixture six
    printf 'late rejects\n' > out/late-rejects.csv
    mkfifo lock
    "$CLAIMREG" export > expected.csv || fail "export to stdout"
    printf 'previous\n' > out/nightly.csv
    cp out/nightly.csv previous.csv
    lock_registry
    (trap '' HUP; exec "$CLAIMREG" export -o out/nightly.csv 2> export.err 4>&-) &
    pid=$!
    checks=$((checks + 1))
    wait_for_handler "$pid" 15 || fail "export does not guard its output while it waits for the registry"
    checks=$((checks + 1))
    ignores "$pid" 1 || fail "export does not keep SIGHUP ignored"
    kill -HUP "$pid"
    sleep 0.2
    unlock_registry
    wait "$pid"
    expect_eq "$?" "0" "export after SIGHUP"
    expect_eq "$(cat export.err)" "" "stderr of the export after SIGHUP"
    expect_same out/nightly.csv expected.csv "export after SIGHUP"
    cp previous.csv out/nightly.csv
    lock_registry
    "$CLAIMREG" export -o out/nightly.csv 2> /dev/null 4>&- &
    pid=$!
    checks=$((checks + 1))
    wait_for_handler "$pid" 15 || fail "export does not guard its output while it waits for the registry"
    kill -TERM "$pid"
    wait "$pid"
    expect_eq "$?" "143" "export ended by SIGTERM"
    unlock_registry
    expect_same out/nightly.csv previous.csv "the previous export after SIGTERM"
    expect_only_files out "late-rejects.csv made.csv nightly.csv rejects.csv target.csv "
}


# Standard output that cannot be written (a full device) is an I/O error (74) for every command
# that prints, also after its registry change was stored: the change stays, the caller learns
# that what was printed is lost.
case_standard_output_full() {
    [ -w /dev/full ] || return 0
    fixture four
    full() {
        "$CLAIMREG" "$@" > /dev/full 2> full.err
        expect_eq "$?" "74" "$1 into a full device"
        expect_eq "$(tail -n 1 full.err)" "claimreg: cannot write to standard output: No space left on device" "$1: its message, last"
    }
    full add --child-first-name Lotte --child-last-name Berg --child-birth-date 2012-05-01 \
        --postcode '1012 AB' --platform tiktok --first-use 2019-06-01 --registrant-name 'Anna Berg' \
        --registrant-email anna9@example.nl --registrant-relation parent --consent
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM claimants WHERE child_first_name = 'Lotte'")" "1" "the child added all the same"
    head -n 2 more.csv > noor.csv
    full import-csv --json noor.csv
    expect_eq "$(head -n 1 full.err)" "claimreg: 1 rows read: 1 imported, 0 linked, 0 updated, 0 unchanged, 0 duplicates, 0 rejected, 0 erased" "the import's summary first"
    expect_eq "$(sql claimreg.db "SELECT count(*) FROM claimants WHERE child_first_name = 'Noor'")" "1" "the rows imported all the same"
    full check-eligibility --all
    full check-eligibility --child-birth-date 2011-03-14 --postcode '1012 AB' --platform tiktok \
        --first-use 2019-06-01 --registrant-relation parent
    full update 1 --postcode '1013 AB'
    expect_eq "$(sql claimreg.db "SELECT postcode FROM claimants WHERE id = 1")" "1013 AB" "the update stored all the same"
    full stats
    full show 1
    full --help
    full --version
    full export --help
}

finish
