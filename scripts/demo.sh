#!/usr/bin/env bash
# make demo: imports the bundled sample into a fresh registry under the build folder, checks
# eligibility, and prints what an admin would look at.
set -uo pipefail
build=${1:-build}
claimreg="$build/claimreg"
demo="$build/demo"
rm -rf "$demo"
mkdir -p "$demo"
export CLAIMREG_DB="$demo/claimreg.db"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { step "claimreg $*"; "$claimreg" "$@"; }

run import-csv examples/registrations.csv --rejects "$demo/rejects.csv"
status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 65 ] || exit "$status"
step "awk -F';' '{print \$1 \": \" \$NF}' $demo/rejects.csv   # why rows were rejected"
awk -F';' '{print $1 ": " $NF}' "$demo/rejects.csv"
run check-eligibility --all
run check-eligibility --all --rules as-filed
run check-eligibility --child-birth-date 2004-02-29 --first-use 2019-01-15
run check-eligibility 1
for cmd in stats export; do
    if "$claimreg" "$cmd" --help >/dev/null 2>&1; then
        case $cmd in
        stats) run stats; run stats --by age-band ;;
        export) run export --format csv --pseudonymize --output "$demo/export.csv" &&
                step "head -4 $demo/export.csv" && head -4 "$demo/export.csv" ;;
        esac
    fi
done
run report --output "$demo/report.html" &&
    printf 'Report: %s (open it in a browser; counts below 10 show as <10)\n' "$demo/report.html"
COLUMNS=${COLUMNS:-80} run stats --by age-band --chart
printf '\nRegistry: %s (mode %s)\n' "$CLAIMREG_DB" "$(stat -c %a "$CLAIMREG_DB")"
