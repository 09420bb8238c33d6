#!/usr/bin/env bash
# claimreg report in a real browser (headless Chromium): the page loads with no console error
# and no network request, every chart is there with the right number of bars, and a screenshot
# is not blank. Chromium is installed by `make test` (scripts/install-deps.sh chromium); without
# it this suite fails under CI=true and is skipped otherwise.
. "$SRC_DIR/tests/cli/lib.sh"
. "$SRC_DIR/tests/cli/report_fixture.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    if [ "${CI:-}" = true ]; then
        fail "no browser at $CHROMIUM (make test installs Debian's chromium)"
        finish
    fi
    echo "skipped: no browser at $CHROMIUM (make test installs Debian's chromium)"
    exit 0
fi
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

# browse OUTPUT ARGS...: Chromium headless on the report, with no way out: every host name
# resolves to nothing, and background services are off. Its stderr (with the page's console
# messages, --enable-logging) goes to OUTPUT.err.
browse() {
    local output=$1
    shift
    timeout 20 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-extensions --user-data-dir="$WORK/profile-$output" \
        --host-resolver-rules='MAP * ~NOTFOUND' --enable-logging=stderr --v=0 \
        --log-net-log="$WORK/$output.netlog" "$@" "file://$WORK/report.html" \
        >"$WORK/$output" 2>"$WORK/$output.err"
}

# The page loads with no console message and no request, every chart is there, and a screenshot
# of it is not blank.
case_the_report_in_a_browser() {
    fixture report_registry
    run report --output report.html
    expect_status 0
    started=$SECONDS
    browse dom.html --dump-dom
    expect_eq "$?" 0 "chromium --dump-dom exit status"
    browse shot.out --screenshot="$WORK/shot.png" --window-size=1200,2000 --hide-scrollbars
    expect_eq "$?" 0 "chromium --screenshot exit status"

    # No console message of the page (an error, a refused resource, a CSP violation).
    for log in dom.html.err shot.out.err; do
        expect_eq "$(grep -c 'CONSOLE' "$log")" 0 "console messages in $log"
    done
    # No request left the page. The browser's own services ask for updates (initiator "not an
    # origin"; the host resolver rule sends them nowhere); a request of the page has the page's
    # origin as initiator.
    for log in dom.html.netlog shot.out.netlog; do
        requests=$("$PYTHON" - "$log" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
for e in log["events"]:
    p = e.get("params", {})
    if e["type"] == start and p.get("initiator", "not an origin") != "not an origin":
        print(p.get("url", "?"))
PY
)
        expect_eq "$?" 0 "net log $log read"
        expect_eq "$requests" "" "requests of the page in $log"
    done

    # The rendered DOM: each chart with its number of bars, its title, and its table.
    expect_eq "$(grep -c '<html lang="nl">' dom.html)" 1 "rendered page is in Dutch"
    counts=$("$PYTHON" - dom.html <<'PY'
import sys
from html.parser import HTMLParser

class Charts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figure = None
        self.depth = 0
        self.found = {}
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "figure":
            self.figure = a.get("id")
            self.found[self.figure] = [0, 0, 0, 0]
        elif self.figure:
            f = self.found[self.figure]
            if tag == "rect" and "bar" in (a.get("class") or "").split(): f[0] += 1
            if tag == "svg" and a.get("role") == "img": f[1] += 1
            if tag == "table": f[2] += 1
            if tag == "polyline": f[3] += 1
    def handle_endtag(self, tag):
        if tag == "figure":
            self.figure = None

p = Charts()
p.feed(open(sys.argv[1], encoding="utf-8").read())
for k, v in p.found.items():
    print(k, *v)
PY
)
    expect_eq "$counts" "chart-weeks 0 1 1 1
chart-age 4 1 1 0
chart-verdicts 1 1 1 0
chart-reasons 6 1 1 0
chart-platform 2 1 1 0
chart-postcode 1 1 1 0
chart-linked 4 1 1 0" "charts: bars, svg images, tables, lines"
    for value in $(planted_values); do
        expect_not_contains "$(cat dom.html)" "$value"
    done

    # The screenshot: a PNG of the requested size that is not blank (many colours, ink on much of
    # it, the chart blue among them).
    shot=$("$PYTHON" - shot.png <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width, height = 8, b"", 0, 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and colour in (2, 6), "unexpected PNG format"
        channels = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * channels
rows, prev, i = [], bytearray(stride), 0
for _ in range(height):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - channels] if x >= channels else 0
        b = prev[x]; c = prev[x - channels] if x >= channels else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
colours, ink, blue = set(), 0, 0
for line in rows[::2]:
    for x in range(0, stride, channels * 2):
        px = line[x:x + 3]
        colours.add(px)
        if px != b"\xff\xff\xff": ink += 1
        if px == b"\x00\x72\xb2": blue += 1
samples = (height + 1) // 2 * ((width + 1) // 2)
print(width, height, "many-colours" if len(colours) > 20 else "few-colours",
      "ink" if ink * 100 > samples * 3 else "blank", "blue" if blue > 100 else "no-blue")
PY
)
    expect_eq "$shot" "1200 2000 many-colours ink blue" "screenshot size and content"

    elapsed=$((SECONDS - started))
    checks=$((checks + 1))
    [ "$elapsed" -lt 20 ] || fail "the browser checks took ${elapsed}s (at most 20)"
}

finish
