#!/usr/bin/env bash
# bench/run.sh — claimreg against named baselines, measured in the same run.
#
#   bench/run.sh [BUILD]            (make bench runs ./bench/run.sh $(BUILD); BUILD defaults to build)
#
# Environment:
#   BENCH_ROWS  generated data rows (default 1500000)
#   REPEAT      repetitions of every case (default 3); claimreg and its baseline alternate within
#               each repetition (and swap which goes first every repetition), so machine load
#               falls on both alike
#   BENCH_DIR   work directory (default $BUILD/bench-work); the generated CSV is kept there and
#               reused while its row count (and seed) stays the same
#   BENCH_SEED  generator seed (default 1)
#   BENCH_CASES the cases to run, by name, separated by commas or spaces (default: all), e.g.
#               BENCH_CASES=import-xlsx; a case that needs the full registry gets it untimed
#
# Prints medians, ratios claimreg/baseline and the goals from the issues. Exit status: 0 whether
# goals are met or missed (it reports; it is not a test); 1 when a measured command failed (the
# numbers are then not trustworthy); 2 when the set-up (binaries, generator) is missing.
set -euo pipefail

BUILD=${1:-build}
ROWS=${BENCH_ROWS:-1500000}
REPEAT=${REPEAT:-3}
SEED=${BENCH_SEED:-1}
DIR=${BENCH_DIR:-$BUILD/bench-work}
CASES=${BENCH_CASES:-}

die() { printf 'bench: %s\n' "$*" >&2; exit 2; }

[[ $ROWS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ROWS must be a positive integer (got '$ROWS')"
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer (got '$REPEAT')"
ALL_CASES="import-fresh import-pipe reimport-full reimport-changed check-eligibility check-eligibility-new-date export export-encrypted export-xlsx import-xlsx stats-birth-year report signals duplicates duplicates-since"
CASES=${CASES//,/ }
for c in $CASES; do
  [[ " $ALL_CASES " == *" $c "* ]] || die "BENCH_CASES: no case '$c' (cases: $ALL_CASES)"
done
# want CASE: whether CASE is to run (all of them without BENCH_CASES)
want() { [[ -z ${CASES// /} || " $CASES " == *" $1 "* ]]; }
# The cases that run on the full registry (and the raw sqlite3 import beside it).
needs_full=0
for c in reimport-full reimport-changed check-eligibility check-eligibility-new-date export export-encrypted export-xlsx stats-birth-year report signals; do
  want "$c" && needs_full=1
done

abspath() { (cd "$1" && pwd -P); }
[[ -d $BUILD ]] || die "no build directory '$BUILD' (run: make build)"
BUILD=$(abspath "$BUILD")
CLAIMREG=$BUILD/claimreg
GEN=$BUILD/bench/gen_registrations
XLSX_BASE=$BUILD/bench/xlsx_baseline
[[ -x $CLAIMREG ]] || die "missing $CLAIMREG (run: cmake --build $BUILD --target claimreg)"
[[ -x $GEN ]] || die "missing $GEN (run: cmake --build $BUILD --target gen_registrations)"
SQLITE3=$(command -v sqlite3) || die "sqlite3 not found (apt-get install sqlite3)"
GNU_TIME=
if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null; then
  GNU_TIME=/usr/bin/time
fi

mkdir -p "$DIR"
DIR=$(abspath "$DIR")
cd "$DIR"
umask 077   # the generated data looks like personal data; keep it private like the real thing

# Whether a case on the generated big.csv is wanted (all but the near-duplicate cases, which
# generate data of their own).
WANT_FULL=0
for c in $ALL_CASES; do
  [[ $c == duplicates || $c == duplicates-since ]] || { want "$c" && WANT_FULL=1; }
done

FAILED=0
NOTES=()
note() { NOTES+=("$*"); printf '  note: %s\n' "$*" >&2; }

# ------------------------------------------------------------------------------------------------
# Data

CSV=big.csv
CHANGED=changed.csv
CSV_BYTES=0
STAMP="rows=$ROWS seed=$SEED generator=$(stat -c %s "$GEN")"
if ((WANT_FULL)); then
if [[ -s $CSV && -f $CSV.stamp && $(<"$CSV.stamp") == "$STAMP" ]]; then
  printf 'bench: reusing %s/%s (%s)\n' "$DIR" "$CSV" "$STAMP" >&2
else
  printf 'bench: generating %s rows into %s/%s ...\n' "$ROWS" "$DIR" "$CSV" >&2
  rm -f "$CSV" "$CSV.stamp"
  "$GEN" --rows "$ROWS" --seed "$SEED" >"$CSV.tmp"
  mv "$CSV.tmp" "$CSV"
  printf '%s\n' "$STAMP" >"$CSV.stamp"
fi
CSV_BYTES=$(stat -c %s "$CSV")
# The same dump after corrections: 1% of the submissions with a new postcode, consent the other
# way or a state (withdrawn, opted-out) in a trailing state column.
if [[ -s $CHANGED && -f $CHANGED.stamp && $(<"$CHANGED.stamp") == "$STAMP changed=1" ]]; then
  :
else
  rm -f "$CHANGED" "$CHANGED.stamp"
  "$GEN" --rows "$ROWS" --seed "$SEED" --changed 1 >"$CHANGED.tmp"
  mv "$CHANGED.tmp" "$CHANGED"
  printf '%s\n' "$STAMP changed=1" >"$CHANGED.stamp"
fi

fi

# ------------------------------------------------------------------------------------------------
# Measuring

# run_timed LABEL SECONDS_VAR RSS_VAR STDOUT STDERR CMD... — runs CMD with its stdout and stderr
# in the given files, puts the wall time (s) and peak RSS (KiB, or n/a) in the named variables,
# and returns CMD's exit status (set -e does not stop on it: the caller decides).
run_timed() {
  local __label=$1 __secs=$2 __rss=$3 __out=$4 __err=$5; shift 5
  local rssfile=$DIR/.rss t0 t1 __rc=0
  rm -f "$rssfile"
  t0=$(date +%s.%N)
  if [[ -n $GNU_TIME ]]; then
    "$GNU_TIME" -f %M -o "$rssfile" "$@" >"$__out" 2>"$__err" || __rc=$?
  else
    "$@" >"$__out" 2>"$__err" || __rc=$?
  fi
  t1=$(date +%s.%N)
  printf -v "$__secs" '%s' "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
  local __kib=n/a
  if [[ -n $GNU_TIME && -s $rssfile ]]; then
    __kib=$(tail -n 1 "$rssfile")   # GNU time writes "Command exited with non-zero status" first
    [[ $__kib =~ ^[0-9]+$ ]] || __kib=n/a
  fi
  printf -v "$__rss" '%s' "$__kib"
  printf '    %-34s %8ss%s\n' "$__label" "${!__secs}" "$( ((__rc)) && echo "  (exit $__rc)")" >&2
  return "$__rc"
}

# check LABEL RC STDERR_FILE — records a failed command (exit status and the end of its stderr;
# claimreg's stderr names lines and fields, never personal data).
check() {
  local label=$1 rc=$2 err=$3
  [[ $rc -eq 0 ]] && return 0
  FAILED=1
  local tailmsg
  tailmsg=$(tail -n 3 "$err" 2>/dev/null | tr '\n' ' ' | cut -c1-300)
  if [[ $label == claimreg* && $rc -eq 65 ]]; then
    note "$label exited 65 (rows rejected on generated data, which is all valid): $tailmsg"
  else
    note "$label exited $rc: $tailmsg"
  fi
}

median() {  # median of the arguments ("n/a" when none)
  [[ $# -gt 0 ]] || { echo n/a; return; }
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
    END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rm_db() { rm -f -- "$1" "$1"-wal "$1"-shm "$1"-journal "$1".tmp* "$1"-tmp*; }
cp_db() {  # cp_db SRC DST: the database with its WAL, if any, so every run starts equal
  rm_db "$2"
  cp -- "$1" "$2"
  [[ -e $1-wal ]] && cp -- "$1-wal" "$2-wal"
  return 0
}
mv_db() { rm_db "$2"; mv -- "$1" "$2"; [[ -e $1-wal ]] && mv -- "$1-wal" "$2-wal"; rm -f -- "$1-shm"; return 0; }


ROWS_OUT=()   # table rows: case|claimreg median|baseline|baseline median|ratio|goal|verdict
add_row() { ROWS_OUT+=("$1|$2|$3|$4|$5|$6|$7"); }
# add_rss_row NAME KIB...: a table row with the largest of the peak RSS figures (KiB) against
# the goal of RSS_GOAL_MIB (default 100) MiB ("n/a" when none was measured); none when NAME's
# case ("CASE peak RSS") was not run.
add_rss_row() {
  local name=$1 kib mib goal=${RSS_GOAL_MIB:-100}
  shift
  want "${name% peak RSS}" || return 0
  kib=$(printf '%s\n' "$@" | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)
  if [[ -z $kib ]]; then
    add_row "$name" "n/a" "-" "-" "-" "<= $goal MiB" "n/a"
    return
  fi
  mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
  add_row "$name" "${mib} MiB" "-" "-" "-" "<= $goal MiB" \
    "$(awk -v m="$mib" -v g="$goal" 'BEGIN { print (m + 0 <= g + 0) ? "PASS" : "MISS" }')"
}

# case_pair NAME GOAL_RATIO BASELINE_NAME PREP_C CMD_C PREP_B CMD_B
# PREP_* and CMD_* are bash snippets (eval'd); PREP is untimed and runs before each timed CMD.
# CMD stdout/stderr go to logs/<case>.<tool>.{out,err}; CMD may refer to $OUT.
RSS_C=()
case_pair() {
  local name=$1 goal=$2 bname=$3 prep_c=$4 cmd_c=$5 prep_b=$6 cmd_b=$7
  local -a tc=() tb=()
  local i s rss rc first
  RSS_C=()
  want "$name" || return 0
  printf '  %s\n' "$name" >&2
  for ((i = 1; i <= REPEAT; i++)); do
    # odd repetitions: claimreg first; even: the baseline first
    for first in c b; do
      local who=$first
      ((i % 2 == 0)) && { [[ $first == c ]] && who=b || who=c; }
      if [[ $who == c ]]; then
        eval "$prep_c"
        rc=0
        run_timed "#$i claimreg" s rss logs/$name.claimreg.out logs/$name.claimreg.err \
          bash -c "$cmd_c" || rc=$?
        check "claimreg ($name)" "$rc" logs/$name.claimreg.err
        tc+=("$s"); RSS_C+=("$rss")
      else
        eval "$prep_b"
        rc=0
        run_timed "#$i $bname" s rss logs/$name.baseline.out logs/$name.baseline.err \
          bash -c "$cmd_b" || rc=$?
        check "$bname ($name)" "$rc" logs/$name.baseline.err
        tb+=("$s")
      fi
    done
  done
  local mc mb ratio verdict
  mc=$(median "${tc[@]}")
  mb=$(median "${tb[@]}")
  ratio=$(awk -v c="$mc" -v b="$mb" 'BEGIN { if (b > 0) printf "%.2f", c / b; else print "n/a" }')
  verdict=$(awk -v r="$ratio" -v g="$goal" 'BEGIN { if (r == "n/a") print "n/a"; else print (r + 0 <= g + 0) ? "PASS" : "MISS" }')
  add_row "$name" "$mc" "$bname" "$mb" "$ratio" "<= $goal" "$verdict"
}

mkdir -p logs
export CLAIMREG_BIN=$CLAIMREG SQLITE3_BIN=$SQLITE3 CSV CHANGED XLSX_BASE

# ------------------------------------------------------------------------------------------------
# Header

printf '\nclaimreg benchmark — %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
printf '  machine:  %s; %s cores; %s MiB RAM; load average %s (1/5/15 min) at start\n' \
  "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || echo '?')" "$(nproc)" \
  "$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  tools:    %s; sqlite3 %s\n' "$("$CLAIMREG" --version)" "$("$SQLITE3" --version | cut -d' ' -f1)"
if ((WANT_FULL)); then
  printf '  data:     %s/%s, %s rows, %s MiB (seed %s); %s repetitions, medians; warm page cache\n' \
    "$DIR" "$CSV" "$ROWS" "$(awk -v b="$CSV_BYTES" 'BEGIN { printf "%.0f", b / 1048576 }')" "$SEED" "$REPEAT"
else
  printf '  data:     %s rows with near-duplicates (seed %s); %s repetitions, medians; warm page cache\n' \
    "$ROWS" "$SEED" "$REPEAT"
fi
printf '  cases:    %s\n' "${BENCH_CASES:-all}"
printf '  timing:   wall clock (date +%%s.%%N); peak RSS by %s\n\n' "${GNU_TIME:-n/a (no /usr/bin/time)}"

# ------------------------------------------------------------------------------------------------
# 1. Import into a fresh registry vs sqlite3 .import into a fresh database

if want import-fresh; then
  case_pair import-fresh 1.0 "sqlite3 .import" \
    'rm_db fresh.db' \
    '"$CLAIMREG_BIN" --db fresh.db import-csv "$CSV"' \
    'rm_db raw.db' \
    '"$SQLITE3_BIN" raw.db -cmd ".mode csv" ".import $CSV claimants"'
  IMPORT_RSS=("${RSS_C[@]}")
  SUMMARY=$(grep -E 'rows read' logs/import-fresh.claimreg.err | tail -n 1 | sed 's/^claimreg: //' || true)
  add_rss_row "import-fresh peak RSS" "${IMPORT_RSS[@]}"
elif ((needs_full)); then
  printf '  (the full registry, untimed)\n' >&2
  rm_db fresh.db; rm_db raw.db
  "$CLAIMREG" -q --db fresh.db import-csv "$CSV" || true
  "$SQLITE3" raw.db -cmd ".mode csv" ".import $CSV claimants"
fi
if want import-fresh || ((needs_full)); then
  [[ -e fresh.db ]] || { note "claimreg import left no registry; later cases cannot run"; FAILED=1; }
  [[ -e raw.db ]] || { note "sqlite3 .import left no database; later cases cannot run"; FAILED=1; }
fi

# 1b. The same import from a pipe: no file size to size the key index by, so it grows as rows
# come (segment by segment, never the whole index twice).
if want import-pipe; then
  case_pair import-pipe 1.0 "sqlite3 .import" \
    'rm_db pipe.db' \
    'cat "$CSV" | "$CLAIMREG_BIN" --db pipe.db import-csv -' \
    'rm_db raw3.db' \
    '"$SQLITE3_BIN" raw3.db -cmd ".mode csv" ".import $CSV claimants"'
  add_rss_row "import-pipe peak RSS" "${RSS_C[@]}"
  rm_db pipe.db; rm_db raw3.db
fi

if ((needs_full)) && [[ -e fresh.db && -e raw.db ]]; then
  mv_db fresh.db full.db   # the full registry for the cases below
  rows_raw=$("$SQLITE3" raw.db 'select count(*) from claimants')
  claimants=$("$CLAIMREG" --db full.db stats --count 2>/dev/null || echo '?')

  # 2. Re-import of the same file into the full registry (a copy of it before every run)
  if want reimport-full; then
  case_pair reimport-full 1.0 "sqlite3 .import" \
    'cp_db full.db reimp.db' \
    '"$CLAIMREG_BIN" --db reimp.db import-csv "$CSV"' \
    'rm_db raw2.db' \
    '"$SQLITE3_BIN" raw2.db -cmd ".mode csv" ".import $CSV claimants"'
  rm_db reimp.db; rm_db raw2.db
  fi

  # 2b. The nightly dump after corrections (1% of the submissions changed) into the full registry
  if want reimport-changed; then
  case_pair reimport-changed 1.0 "sqlite3 .import" \
    'cp_db full.db reimp.db' \
    '"$CLAIMREG_BIN" --db reimp.db import-csv "$CHANGED"' \
    'rm_db raw2.db' \
    '"$SQLITE3_BIN" raw2.db -cmd ".mode csv" ".import $CHANGED claimants"'
  CHANGED_SUMMARY=$(grep -s -E 'rows read' logs/reimport-changed.claimreg.err | tail -n 1 | sed 's/^claimreg: //' || true)
  rm_db reimp.db; rm_db raw2.db
  fi

  # 3. check-eligibility --all vs an UPDATE of every row (copies, so every run starts equal)
  if want check-eligibility; then
  case_pair check-eligibility 1.5 "sqlite3 UPDATE" \
    'cp_db full.db elig.db' \
    '"$CLAIMREG_BIN" --db elig.db check-eligibility --all' \
    'cp_db raw.db upd.db' \
    '"$SQLITE3_BIN" upd.db "UPDATE claimants SET platform = lower(platform)"'
  rm_db elig.db; rm_db upd.db
  fi

  # 3b. the nightly case: a new as-of date, so every claimant is evaluated as of another day
  if want check-eligibility-new-date; then
  next_day=$(date -d tomorrow +%F)
  case_pair check-eligibility-new-date 1.5 "sqlite3 UPDATE" \
    'cp_db full.db elig.db' \
    '"$CLAIMREG_BIN" --db elig.db check-eligibility --all --as-of '"$next_day" \
    'cp_db raw.db upd.db' \
    '"$SQLITE3_BIN" upd.db "UPDATE claimants SET platform = lower(platform)"'
  rm_db elig.db; rm_db upd.db
  fi

  # 4. export --output vs sqlite3 -csv -header
  if want export; then
  case_pair export 1.0 "sqlite3 -csv" \
    'rm -f out.csv' \
    '"$CLAIMREG_BIN" --db full.db export --output out.csv' \
    'rm -f out2.csv' \
    '"$SQLITE3_BIN" -csv -header raw.db "select * from claimants" > out2.csv'
  export_lines=$(wc -l 2>/dev/null <out.csv || echo '?')
  rm -f out.csv out2.csv
  fi

  # 4b. export --encrypt-to (OpenPGP to a throwaway key in a keyring of its own) vs the plain
  # export --output of the same registry
  if want export-encrypted; then
  if command -v gpg >/dev/null 2>&1 && command -v gpgconf >/dev/null 2>&1; then
    export GNUPGHOME=$DIR/gnupg
    [[ -d $GNUPGHOME ]] && { gpgconf --kill all 2>/dev/null || true; }
    rm -rf "$GNUPGHOME" && mkdir -m 700 "$GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key 'Bench <bench@bench.invalid>' ed25519 cert never 2>/dev/null
    BENCH_KEY=$(gpg --batch --with-colons --list-keys '<bench@bench.invalid>' 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }')
    gpg --batch --quiet --passphrase '' --quick-add-key "$BENCH_KEY" cv25519 encr never 2>/dev/null
    export BENCH_KEY
    case_pair export-encrypted 1.5 "export --output" \
      'rm -f out.gpg' \
      '"$CLAIMREG_BIN" --db full.db export --encrypt-to "$BENCH_KEY" --output out.gpg' \
      'rm -f out.csv' \
      '"$CLAIMREG_BIN" --db full.db export --output out.csv'
    # Untimed: the ciphertext decrypts to the plain export.
    if ! gpg --batch --quiet --decrypt out.gpg 2>/dev/null | cmp -s - out.csv; then
      note "export-encrypted: out.gpg does not decrypt to the plain export"; FAILED=1
    fi
    encrypted_mib=$(awk -v b="$(stat -c %s out.gpg)" 'BEGIN { printf "%.0f", b / 1048576 }')
    plain_mib=$(awk -v b="$(stat -c %s out.csv)" 'BEGIN { printf "%.0f", b / 1048576 }')
    gpgconf --kill all 2>/dev/null || true
    rm -rf "$GNUPGHOME" out.gpg out.csv
  else
    note "gpg not found: export-encrypted not measured (apt-get install gnupg)"
    add_row export-encrypted n/a "export --output" n/a n/a "<= 1.5" n/a
  fi
  fi

  # 4c. export --format xlsx vs libxlsxwriter alone writing the same cells (from the CSV export,
  # made untimed), both in constant-memory mode; and claimreg's peak RSS
  if want export-xlsx; then
  if [[ -x $XLSX_BASE ]]; then
    "$CLAIMREG" --db full.db export --output xlsx-in.csv
    case_pair export-xlsx 1.2 "libxlsxwriter alone" \
      'rm -f out.xlsx' \
      '"$CLAIMREG_BIN" --db full.db export --format xlsx --output out.xlsx' \
      'rm -f base.xlsx' \
      '"$XLSX_BASE" xlsx-in.csv base.xlsx'
    add_rss_row "export-xlsx peak RSS" "${RSS_C[@]}"
    xlsx_mib_file=$(awk -v b="$(stat -c %s out.xlsx 2>/dev/null || echo 0)" 'BEGIN { printf "%.0f", b / 1048576 }')
    rm -f out.xlsx base.xlsx xlsx-in.csv
  else
    note "missing $XLSX_BASE: export-xlsx not measured"
  fi
  fi

  # 5. stats --by birth-year vs GROUP BY
  if want stats-birth-year; then
  case_pair stats-birth-year 0.5 "sqlite3 GROUP BY" \
    ':' \
    '"$CLAIMREG_BIN" --db full.db stats --by birth-year > /dev/null' \
    ':' \
    '"$SQLITE3_BIN" raw.db "select substr(child_birth_date,1,4), count(*) from claimants group by 1" > /dev/null'
  fi

  # 6. report: the HTML page of every figure (tallies plus one scan), against an absolute goal
  if want report; then
  declare -a tr=()
  want report && printf '  report\n' >&2
  for ((i = 1; i <= REPEAT; i++)); do
    want report || break
    rc=0
    run_timed "#$i claimreg" s rss logs/report.claimreg.out logs/report.claimreg.err \
      "$CLAIMREG" --db full.db report --output report.html || rc=$?
    check "claimreg (report)" "$rc" logs/report.claimreg.err
    tr+=("$s")
  done
  if want report; then
    mr=$(median "${tr[@]}")
    add_row "report" "$mr" "-" "-" "-" "<= 2 s" \
      "$(awk -v m="$mr" 'BEGIN { print (m + 0 <= 2) ? "PASS" : "MISS" }')"
  fi
  rm -f report.html
  fi

  # 6b. signals: shared contacts, crowded addresses and bursts of the active claimants (one scan)
  # against a GROUP BY of just one of its keys, the registrant e-mail; its peak RSS against the
  # memory goal of the near-duplicate search (issue: <= 1 GiB)
  if want signals; then
  case_pair signals 3.0 "sqlite3 GROUP BY e-mail" \
    ':' \
    '"$CLAIMREG_BIN" --db full.db signals > signals.out' \
    ':' \
    '"$SQLITE3_BIN" full.db "SELECT lower(registrant_email), count(*) FROM claimants WHERE state = '"'active'"' GROUP BY 1 HAVING count(*) > 1" > /dev/null'
  RSS_GOAL_MIB=1024 add_rss_row "signals peak RSS" "${RSS_C[@]}"
  if want signals && [[ -f signals.out ]]; then
    signals_found=$(cut -f1 signals.out | sort | uniq -c | awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
    signals_total=$(wc -l < signals.out)
  fi
  rm -f signals.out
  fi
fi


# 7. import-xlsx of a workbook of XLSX_ROWS rows (default 100,000) vs import-csv of the same
# rows; both built untimed from the first rows of the generated data (no full registry needed);
# and claimreg's peak RSS
if want import-xlsx; then
  XLSX_ROWS=${XLSX_ROWS:-100000}
  head -n "$((XLSX_ROWS + 1))" "$CSV" > xlsx-rows.csv
  rm_db xlsx-src.db
  "$CLAIMREG" -q --db xlsx-src.db import-csv xlsx-rows.csv || true
  "$CLAIMREG" --db xlsx-src.db export --format xlsx --output rows.xlsx
  "$CLAIMREG" --db xlsx-src.db export --output rows.csv
  xlsx_rows=$(($(wc -l < rows.csv) - 1))
  case_pair import-xlsx 2.0 "import-csv" \
    'rm_db xin.db' \
    '"$CLAIMREG_BIN" --db xin.db import-xlsx rows.xlsx' \
    'rm_db cin.db' \
    '"$CLAIMREG_BIN" --db cin.db import-csv rows.csv'
  add_rss_row "import-xlsx peak RSS" "${RSS_C[@]}"
  xlsx_rate=$(awk -v n="$xlsx_rows" -v t="$(printf '%s\n' "${ROWS_OUT[@]}" | awk -F'|' '$1 == "import-xlsx" { print $2 }')" \
    'BEGIN { if (t > 0) printf "%.0f", n / t; else print "n/a" }')
  rm_db xin.db; rm_db cin.db; rm_db xlsx-src.db; rm -f rows.xlsx rows.csv xlsx-rows.csv
fi

# ------------------------------------------------------------------------------------------------
# 8. duplicates: near-duplicate search on a registry with labelled near-duplicates
# (gen_registrations --near-duplicates 2 --truth truth.tsv: typos, swaps, a dropped prefix, moves,
# and look-alike twins and siblings as hard negatives), against the absolute goals of the issue;
# precision and recall at the default threshold from the truth file (references -> claimant ids).

# eval_pairs DB PAIRS SINCE: prints "positives proposed true" for the pairs in PAIRS (TSV of
# duplicates) against truth.tsv; SINCE non-empty: only positive pairs with a claimant changed since.
eval_pairs() {
  "$SQLITE3" -cmd "ATTACH '$1' AS reg" :memory: <<SQL
CREATE TEMP TABLE truth (child INTEGER, ref TEXT);
CREATE TEMP TABLE pairs (score REAL, a INTEGER, b INTEGER, levels TEXT);
.mode tabs
.import truth.tsv truth
.import $2 pairs
CREATE INDEX truth_ref ON truth (ref);
CREATE TEMP TABLE pos AS
  SELECT DISTINCT min(x.id, y.id) AS a, max(x.id, y.id) AS b
  FROM truth t1 JOIN truth t2 ON t2.child = t1.child AND t2.ref <> t1.ref
  JOIN reg.claimants x ON x.external_ref = t1.ref
  JOIN reg.claimants y ON y.external_ref = t2.ref
  WHERE x.id <> y.id AND x.state = 'active' AND y.state = 'active'
    AND ('$3' = '' OR x.changed_at >= '$3' OR y.changed_at >= '$3');
SELECT (SELECT count(*) FROM pos) || ' ' || (SELECT count(*) FROM pairs) || ' ' ||
       (SELECT count(*) FROM pairs p JOIN pos USING (a, b));
SQL
}

# duplicates_case NAME DB ARGS...: times `duplicates ARGS` REPEAT times and adds the rows.
duplicates_case() {
  local name=$1 db=$2 goal=$3 since=$4; shift 4
  local -a td=() rd=()
  local i s rss rc
  printf '  %s\n' "$name" >&2
  for ((i = 1; i <= REPEAT; i++)); do
    rc=0
    run_timed "#$i claimreg" s rss "logs/$name.claimreg.out" "logs/$name.claimreg.err" \
      "$CLAIMREG" --db "$db" duplicates "$@" || rc=$?
    check "claimreg ($name)" "$rc" "logs/$name.claimreg.err"
    td+=("$s"); rd+=("$rss")
  done
  local md kib mib
  md=$(median "${td[@]}")
  add_row "$name" "$md" "-" "-" "-" "<= $goal s" "$(awk -v m="$md" -v g="$goal" 'BEGIN { print (m + 0 <= g + 0) ? "PASS" : "MISS" }')"
  kib=$(printf '%s\n' "${rd[@]}" | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true)
  if [[ -n $kib ]]; then
    mib=$(awk -v k="$kib" 'BEGIN { printf "%.1f", k / 1024 }')
    add_row "$name peak RSS" "${mib} MiB" "-" "-" "-" "<= 1024 MiB" "$(awk -v m="$mib" 'BEGIN { print (m + 0 <= 1024) ? "PASS" : "MISS" }')"
  fi
  local counts positives proposed hits precision recall
  counts=$(eval_pairs "$db" "logs/$name.claimreg.out" "$since")
  read -r positives proposed hits <<<"$counts"
  precision=$(awk -v t="$hits" -v p="$proposed" 'BEGIN { if (p > 0) printf "%.2f", 100 * t / p; else print "n/a" }')
  recall=$(awk -v t="$hits" -v p="$positives" 'BEGIN { if (p > 0) printf "%.2f", 100 * t / p; else print "n/a" }')
  add_row "$name precision" "${precision}%" "-" "-" "-" ">= 98%" "$(awk -v v="$precision" 'BEGIN { print (v + 0 >= 98) ? "PASS" : "MISS" }')"
  add_row "$name recall" "${recall}%" "-" "-" "-" ">= 95%" "$(awk -v v="$recall" 'BEGIN { print (v + 0 >= 95) ? "PASS" : "MISS" }')"
  DUP_NOTES+=("$name: $(sed 's/^claimreg: //' "logs/$name.claimreg.err" | tail -n 1); labelled pairs $positives, proposed $proposed, of them labelled $hits")
}

DUP_NOTES=()
if want duplicates || want duplicates-since; then
  NEAR_STAMP="rows=$ROWS seed=$SEED generator=$(stat -c %s "$GEN") claimreg=$(stat -c %s "$CLAIMREG") near=2"
  if [[ -s near.db && -f near.db.stamp && $(<near.db.stamp) == "$NEAR_STAMP" ]]; then
    printf 'bench: reusing %s/near.db (%s)\n' "$DIR" "$NEAR_STAMP" >&2
  else
    printf 'bench: generating %s rows with near-duplicates and importing them (untimed) ...\n' "$ROWS" >&2
    rm -f near.db.stamp truth.tsv; rm_db near.db
    "$GEN" --rows "$ROWS" --seed "$SEED" --near-duplicates 2 --truth truth.tsv >near.csv
    "$CLAIMREG" -q --db near.db import-csv near.csv || { note "import of near.csv failed"; FAILED=1; }
    rm -f near.csv
    printf '%s\n' "$NEAR_STAMP" >near.db.stamp
  fi
  want duplicates && duplicates_case duplicates near.db 60 ""
  if want duplicates-since; then
    # The nightly run: the newest 10,000 claimants were added since the last one, the rest
    # (changed_at moved back, untimed) long before.
    cp_db near.db since.db
    "$SQLITE3" since.db "UPDATE claimants SET changed_at = '2000-01-01T00:00:00Z' WHERE id <= (SELECT max(id) FROM claimants) - 10000"
    duplicates_case duplicates-since since.db 10 "2001-01-01T00:00:00Z" --since 2001-01-01
    rm_db since.db
  fi
fi

# ------------------------------------------------------------------------------------------------
# Report

{
  printf 'case|claimreg (median s)|baseline|baseline (median s)|ratio|goal|result\n'
  printf '%s\n' "${ROWS_OUT[@]}"
} | column -t -s '|' 2>/dev/null || printf '%s\n' "${ROWS_OUT[@]}"

printf '\n'
[[ -n ${SUMMARY:-} ]] && printf '  claimreg import summary: %s\n' "$SUMMARY"
[[ -n ${CHANGED_SUMMARY:-} ]] && printf '  claimreg reimport-changed summary: %s\n' "$CHANGED_SUMMARY"
[[ -n ${rows_raw:-} ]] && printf '  sqlite3 rows imported: %s; claimreg active claimants: %s; export lines: %s\n' \
  "$rows_raw" "${claimants:-?}" "${export_lines:-?}"
[[ -n ${encrypted_mib:-} ]] && printf '  export-encrypted: %s MiB of ciphertext for %s MiB of CSV (not compressed)\n' \
  "$encrypted_mib" "$plain_mib"
[[ -n ${xlsx_rate:-} ]] && printf '  export-xlsx: %s MiB workbook; import-xlsx: %s rows at %s rows/s\n' \
  "${xlsx_mib_file:-?}" "$xlsx_rows" "$xlsx_rate"
[[ -n ${signals_total:-} ]] && printf '  signals: %s (%s)\n' "$signals_total" "${signals_found:-none}"
for n in "${DUP_NOTES[@]}"; do printf '  %s\n' "$n"; done
printf '  load average at end: %s (1/5/15 min)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '  ratio = claimreg median / baseline median (lower is better); goal met: PASS, not met: MISS\n'
if ((${#NOTES[@]})); then
  printf '\n  failures:\n'
  printf '    %s\n' "${NOTES[@]}"
fi
printf '\n'
rm -f "$DIR/.rss"
exit "$FAILED"
