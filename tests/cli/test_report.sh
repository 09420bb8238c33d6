#!/usr/bin/env bash
# claimreg report: the HTML page's figures against a known fixture, small counts hidden, no
# personal data, the file written like every output (atomic, 0600), the registry only read,
# usage errors and exit statuses. What a browser shows: test_report_browser.sh.
. "$SRC_DIR/tests/cli/lib.sh"
. "$SRC_DIR/tests/cli/report_fixture.sh"

# bars CHART: the bars of CHART in $html.
bars() { sed -n "/<figure id=\"$1\">/,/<\/figure>/p" <<<"$html" | grep -o '<rect class="bar"' | wc -l; }

# The report page of the fixture (page.html), as stdout gets it.
fixture_page() {
    fixture report_registry
    "$CLAIMREG" report > page.html || fail "report"
}

# A missing registry: 66, nothing created (no output file either).
case_missing_registry() {
    run --db missing.db report --output r.html
    expect_status 66
    expect_out ""
    expect_err_contains "no registry at missing.db"
    expect_eq "$(ls)" "" "files after report on a missing registry"
}

# stdout, with no --output or with -.
case_stdout() {
    fixture report_registry
    run report
    expect_status 0
    expect_err ""
    html=$out
    run report --output -
    expect_status 0
    expect_eq "$out" "$html" "report -o - is the same page as stdout"
}

# The page: one self-contained document in Dutch; no script, nothing fetched.
case_self_contained_page() {
    fixture report_registry
    run report
    expect_out_contains '<!DOCTYPE html>'
    expect_out_contains '<html lang="nl">'
    expect_out_contains '<meta name="viewport" content="width=device-width, initial-scale=1">'
    expect_out_contains "content=\"default-src 'none'; style-src 'unsafe-inline'\""
    expect_out_contains '@media print'
    expect_out_contains 'break-before: page'
    for banned in '<script' 'javascript:' '<link' '<img' '@import' 'url(' 'http://' 'https://' ' on'{load,click,error}'='; do
        expect_not_contains "$out" "$banned"
    done
    checks=$((checks + 1))
    [ "$(grep -c '</html>' <<<"$out")" -eq 1 ] || fail "one document"
}

# The headline figures: 66 active; verdicts 30 eligible, 32 review, 4 ineligible: the 4 is
# small and the next smallest (30) is hidden with it, so the total cannot give either away;
# the claimed amount would tell the eligible count, so it is hidden too.
case_headline_figures() {
    fixture report_registry
    run report
    expect_out_contains '<div><dt>Actieve deelnemers</dt><dd>66</dd></div>'
    expect_out_contains '<div><dt>In aanmerking</dt><dd>≥10</dd></div>'
    expect_out_contains '<div><dt>In beoordeling</dt><dd>32</dd></div>'
    expect_out_contains '<div><dt>Niet in aanmerking</dt><dd>&lt;10</dd></div>'
    expect_out_contains '<div><dt>Geclaimd bedrag</dt><dd>niet getoond (kleine aantallen)</dd></div>'
    expect_out_contains "<div><dt>Peildatum</dt><dd>$(date -u +%F)</dd></div>"
    expect_out_contains '<div><dt>Regelset</dt><dd>ruling-2024</dd></div>'
}

# Weeks (each step at least 10 new claimants), cumulative.
case_groups() {
    fixture report_registry
    run report
    expect_out_contains '<tr><th scope="row">week van 2024-01-15</th><td class="n">30</td><td class="n">30</td></tr>'
    expect_out_contains '<tr><th scope="row">week van 2024-01-22</th><td class="n">12</td><td class="n">42</td></tr>'
    expect_out_contains '<tr><th scope="row">week van 2024-02-05</th><td class="n">24</td><td class="n">66</td></tr>'
    expect_out_contains '<polyline class="line"'
    # Age bands: 54 under 13, 12 aged 13-15.
    expect_out_contains '<tr><th scope="row">jonger dan 13</th><td class="n">54</td></tr>'
    expect_out_contains '<tr><th scope="row">13 t/m 15</th><td class="n">12</td></tr>'
    # Postcode areas: 10 shown; 97 (4) small, then 35 (12) and 25 (20) hidden with it, listed last.
    postcode=$(sed -n '/id="chart-postcode"/,/<\/figure>/p' <<<"$out" | grep '<tr><th scope="row"')
    expect_eq "$postcode" '<tr><th scope="row">10</th><td class="n">30</td></tr>
<tr><th scope="row">25</th><td class="n">≥10</td></tr>
<tr><th scope="row">35</th><td class="n">≥10</td></tr>
<tr><th scope="row">97</th><td class="n">&lt;10</td></tr>' "postcode areas"
    # Platform, reasons, linked registrations, imports.
    expect_out_contains '<tr><th scope="row">musical.ly</th><td class="n">20</td></tr>'
    expect_out_contains '<tr><th scope="row">tiktok</th><td class="n">46</td></tr>'
    expect_out_contains '<tr><th scope="row">musical.ly na de fusie (musically_after_merge)</th><td class="n">20</td></tr>'
    expect_out_contains '<tr><th scope="row">geen toestemming (no_consent)</th><td class="n">&lt;10</td></tr>'
    expect_out_contains '<strong>10</strong> aanmeldingen'
    expect_out_contains '<tr><th scope="row">1</th><td class="n">10</td></tr>'
    expect_out_contains "<tr><th scope=\"row\">$(date -u +%F)</th><td class=\"n\">77</td><td class=\"n\">66</td><td class=\"n\">&lt;10</td></tr>"
}

# Bars: one per shown count, none for a hidden one (its length would tell it).
# Every chart is an image with a title, and its numbers are in a table.
case_bars_and_tables() {
    fixture page
    html=$(cat page.html)
    expect_eq "$(bars chart-age) $(bars chart-verdicts) $(bars chart-reasons) $(bars chart-platform) $(bars chart-postcode) $(bars chart-linked)" \
        "4 1 6 2 1 4" "bars per chart"
    # Every chart is an image with a title, and its numbers are in a table.
    expect_eq "$(grep -c '<svg class="chart" viewBox="0 0 [0-9]* [0-9]*" role="img" aria-labelledby="chart-[a-z]*-title">' <<<"$html")" \
        7 "charts with role=img, a viewBox and a title"
    expect_eq "$(grep -c '<caption>' <<<"$html")" 9 "tables"
}

# No personal value in the page.
case_no_personal_value() {
    fixture page
    html=$(cat page.html)
    while IFS= read -r value; do
        expect_not_contains "$html" "$value"
    done < <(planted_values)
}

# --min-count 0 (or 1): nothing hidden; the claimed amount is then 30 x EUR 1.500.
case_min_count() {
    fixture report_registry
    run report --min-count 0
    expect_status 0
    expect_out_contains '<div><dt>In aanmerking</dt><dd>30</dd></div>'
    expect_out_contains '<div><dt>Niet in aanmerking</dt><dd>4</dd></div>'
    expect_out_contains '<div><dt>Geclaimd bedrag</dt><dd>EUR 45.000</dd></div>'
    expect_out_contains 'er is niets verborgen'
    expect_not_contains "$out" '&lt;'
    run report --min-count 1
    expect_out_contains '<div><dt>Niet in aanmerking</dt><dd>4</dd></div>'
    # A higher threshold hides more: 12 < 13.
    run report --min-count 13
    expect_out_contains '<tr><th scope="row">13 t/m 15</th><td class="n">&lt;13</td></tr>'
}

# --rules / --as-of: evaluated afresh for the report, nothing stored.
case_rules_and_as_of() {
    fixture report_registry
    before=$(sha256sum claimreg.db | cut -d' ' -f1)
    run report --rules as-filed --as-of 2025-01-01
    expect_status 0
    expect_out_contains '<div><dt>Peildatum</dt><dd>2025-01-01</dd></div>'
    expect_out_contains '<div><dt>Regelset</dt><dd>as-filed</dd></div>'
    expect_out_contains 'opnieuw bepaald'
    expect_out_contains '<div><dt>Actieve deelnemers</dt><dd>66</dd></div>'
    run report --as-of 2025-01-01
    expect_out_contains '<div><dt>Regelset</dt><dd>ruling-2024</dd></div>'
    expect_eq "$(sha256sum claimreg.db | cut -d' ' -f1)" "$before" "registry unchanged by report"
}

# A file: 0600, atomic (an old file is replaced whole; a failed run leaves it as it was).
case_output_file() {
    fixture page
    html=$(cat page.html)
    echo old > report.html
    chmod 644 report.html
    run report --output report.html
    expect_status 0
    expect_out ""
    expect_err ""
    expect_eq "$(cat report.html)" "$html" "report file content"
    expect_mode report.html 600
    run --db missing.db report --output report.html
    expect_status 66
    expect_eq "$(cat report.html)" "$html" "report file after a failed run"
    expect_eq "$(ls -A | grep -c '^\.report')" 0 "no temporary file left"
    run report --output claimreg.db
    expect_status 64
    run report --output nodir/r.html
    expect_status 73
}

# The registry is opened read-only: a read-only registry file is reported on.
case_read_only_registry() {
    fixture report_registry
    chmod 400 claimreg.db
    run report --output ro.html
    expect_status 0
    chmod 600 claimreg.db
}

# Usage errors: 64, the value never echoed.
case_usage_errors() {
    fixture report_registry
    run report --min-count Zwaantje
    expect_status 64
    expect_err "claimreg: --min-count: not a whole number from 0 to 1000000"
    run report --min-count -3
    expect_status 64
    run report --rules Zwaantje
    expect_status 64
    expect_err_contains "--rules: unknown rule set"
    expect_not_contains "$err" Zwaantje
    run report --as-of 2024-02-30
    expect_status 64
    expect_err_contains "--as-of:"
    run report Zwaantje
    expect_status 64
    expect_not_contains "$err" Zwaantje
}

finish
